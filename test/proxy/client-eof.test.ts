// The client closes its input while calls are held, in process: they are decided before the server's
// input closes, and one decided after it is never counted as forwarded.
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { InProcessProxy } from "../helpers/in-process.js";
import { tempDir } from "../helpers/tmp.js";
import { policyFrom } from "../policy/helpers.js";

const dir = tempDir();
afterAll(() => dir.cleanup());
let proxy: InProcessProxy | null = null;
afterEach(() => proxy?.close());

/** A session that has seen no tools/list, with a call of `wipe` waiting for the server's own list. */
function callWaitingForItsDefinition(): { session: InProcessProxy; listId: string } {
  proxy = new InProcessProxy({
    policy: policyFrom("version: 1\ndefault: allow\n"),
    auditPath: join(dir.path, `audit-${Date.now()}-${Math.random()}.jsonl`),
  });
  proxy.fromClient({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "wipe", arguments: {} } });
  const [list] = proxy.serverReceived();
  expect(list).toMatchObject({ method: "tools/list" });
  return { session: proxy, listId: String(list?.id) };
}

/** Whether `promise` has settled once pending callbacks have run. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(() => {
    done = true;
  });
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

const WIPE = [{ name: "wipe", inputSchema: { type: "object" } }];

describe("the client closes its input while a call is held, in process", () => {
  it("waits until the held call is decided and written to the server, then lets the server's input close", async () => {
    const { session, listId } = callWaitingForItsDefinition();
    const decided = session.session.clientInputEnded();
    expect(await settled(decided)).toBe(false);
    session.fromServer({ jsonrpc: "2.0", id: listId, result: { tools: WIPE } });
    await decided;
    expect(session.serverReceived()).toMatchObject([
      { id: 1, method: "tools/call", params: { name: "wipe" } },
    ]);
    session.session.closeServerInput();
    session.fromServer({ jsonrpc: "2.0", id: 1, result: { content: [] } });
    expect(session.clientReceived()).toEqual([{ jsonrpc: "2.0", id: 1, result: { content: [] } }]);
    expect(session.auditLines().filter((line) => line.event === "tools/call")).toMatchObject([
      { id: 1, decision: "allow", outcome: "result" },
    ]);
  });

  it("lets the server's input close at once when no call is held", async () => {
    proxy = new InProcessProxy({
      policy: policyFrom("version: 1\ndefault: allow\n"),
      auditPath: join(dir.path, `audit-${Date.now()}-${Math.random()}.jsonl`),
    });
    expect(await settled(proxy.session.clientInputEnded())).toBe(true);
  });

  it("answers a message the input ended in the middle of (no newline after it) with a parse error under its id, and forwards nothing", async () => {
    proxy = new InProcessProxy({
      policy: policyFrom("version: 1\ndefault: allow\n"),
      auditPath: join(dir.path, `audit-${Date.now()}-${Math.random()}.jsonl`),
    });
    proxy.fromClientBytes('{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"wipe"}}');
    await proxy.session.clientInputEnded();
    expect(proxy.serverReceived()).toEqual([]);
    expect(proxy.clientReceived()).toMatchObject([{ jsonrpc: "2.0", id: 7, error: { code: -32700 } }]);
    expect(proxy.warnings.join("\n")).toContain("the input ended in the middle of a message");
  });

  it("answers a call decided after the server's input closed with an error, audited as not forwarded", async () => {
    const { session, listId } = callWaitingForItsDefinition();
    session.session.closeServerInput();
    session.fromServer({ jsonrpc: "2.0", id: listId, result: { tools: WIPE } });
    await session.session.clientInputEnded();
    expect(session.serverReceived()).toEqual([]);
    expect(session.clientReceived()).toMatchObject([{ id: 1, error: { code: -32000 } }]);
    expect(session.auditLines().filter((line) => line.event === "tools/call")).toMatchObject([
      { id: 1, decision: "allow", outcome: "not_forwarded" },
    ]);
    // Nothing is left for the server's exit to answer.
    session.session.serverExited("exited with code 0");
    expect(session.clientReceived()).toEqual([]);
  });
});
