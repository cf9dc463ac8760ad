// The proxy session and its gate in this process, over streams, with a clock the test moves.
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { InProcessProxy } from "../helpers/in-process.js";
import { tempDir } from "../helpers/tmp.js";
import { policyFrom } from "../policy/helpers.js";

const dir = tempDir();
afterAll(() => dir.cleanup());
let proxy: InProcessProxy | null = null;
afterEach(() => proxy?.close());

/** A session whose server listed no tools: every call is of a tool the server does not list, decided at once. */
function proxyWith(policyYaml: string): InProcessProxy {
  proxy = new InProcessProxy({
    policy: policyFrom(policyYaml),
    auditPath: join(dir.path, `audit-${Date.now()}-${Math.random()}.jsonl`),
  });
  proxy.serverLists([]);
  return proxy;
}

let nextId = 1;
/** Sends one tools/call; answers it as the server when it is forwarded; returns whether it was and the client's answer. */
function call(session: InProcessProxy, name: string, args: Record<string, unknown> = {}) {
  const id = nextId++;
  session.fromClient({ jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: args } });
  const forwarded = session.serverReceived();
  if (forwarded.length > 0)
    session.fromServer({ jsonrpc: "2.0", id, result: { content: [{ type: "text", text: "ok" }] } });
  const [answer] = session.clientReceived();
  return { forwarded, result: answer?.result as Record<string, unknown> | undefined };
}

describe("ProxySession with the gate, in process", () => {
  it("a rate-limited tool passes max times, is denied with a retry time, and passes again once that time has passed", () => {
    const session = proxyWith(
      "version: 1\ndefault: deny\nrules:\n  - { tool: list, action: allow, rate_limit: { max: 3, window: 2 } }\n",
    );
    for (let index = 0; index < 3; index++) expect(call(session, "list").forwarded).toHaveLength(1);
    session.nowMs += 500;
    const denied = call(session, "list");
    expect(denied.forwarded).toEqual([]);
    expect(denied.result?.isError).toBe(true);
    const meta = denied.result?._meta as Record<string, { retryAfterSeconds: number }> | undefined;
    const decision = meta?.["policylayer/decision"];
    expect(decision?.retryAfterSeconds).toBe(2);
    // The window counts from the first three calls: 1999 ms after them it is still full, at 2000 ms it is free.
    session.nowMs += 1499;
    expect(call(session, "list").forwarded).toEqual([]);
    session.nowMs += 1;
    expect(call(session, "list").forwarded).toHaveLength(1);
  });

  it("denies a call no rule allows, tells the agent why, and the server never sees it", () => {
    const session = proxyWith("version: 1\ndefault: deny\n");
    const denied = call(session, "delete_stack", { stack: "prod" });
    expect(denied.forwarded).toEqual([]);
    expect(denied.result?.isError).toBe(true);
    expect(JSON.stringify(denied.result?.content)).toContain(
      'policylayer blocked the call to tool \\"delete_stack\\": no rule matched',
    );
    const audited = session.auditLines().filter((line) => line.event === "tools/call");
    expect(audited).toMatchObject([{ tool: "delete_stack", decision: "deny", policy_action: "deny" }]);
  });

  it("forwards an allowed call as our serialization of what was decided, and audits how it ended", () => {
    const session = proxyWith("version: 1\ndefault: allow\n");
    session.nowMs = 1_700_000_000_000;
    const id = nextId++;
    session.fromClient({
      jsonrpc: "2.0",
      id,
      method: "tools/call",
      params: { name: "echo", arguments: { n: 1, n2: 2 } },
    });
    expect(session.serverReceived()).toEqual([
      { jsonrpc: "2.0", id, method: "tools/call", params: { name: "echo", arguments: { n: 1, n2: 2 } } },
    ]);
    session.nowMs += 25;
    session.fromServer({ jsonrpc: "2.0", id, result: { content: [], isError: true } });
    expect(session.clientReceived()).toEqual([
      { jsonrpc: "2.0", id, result: { content: [], isError: true } },
    ]);
    const [audited] = session.auditLines().filter((line) => line.event === "tools/call");
    expect(audited).toMatchObject({
      tool: "echo",
      decision: "allow",
      outcome: "tool_error",
      duration_ms: 25,
    });
  });

  it("sends a call of a tool it has no definition of only once the server's own list defined it", async () => {
    const session = new InProcessProxy({
      policy: policyFrom("version: 1\ndefault: allow\nrules:\n  - { category: destructive, action: deny }\n"),
      auditPath: join(dir.path, `audit-${Date.now()}-${Math.random()}.jsonl`),
    });
    proxy = session;
    session.fromClient({
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: { name: "wipe", arguments: {} },
    });
    const [list] = session.serverReceived();
    expect(list).toMatchObject({ method: "tools/list", params: {} });
    expect(String(list?.id)).toMatch(/^policylayer-/);
    session.fromServer({
      jsonrpc: "2.0",
      id: list?.id as string,
      result: {
        tools: [{ name: "wipe", inputSchema: { type: "object" }, annotations: { destructiveHint: true } }],
      },
    });
    // The verdict settles on the next turn of the event loop.
    await new Promise((resolve) => setImmediate(resolve));
    expect(session.serverReceived()).toEqual([]);
    const [denied] = session.clientReceived();
    expect(denied).toMatchObject({ id: 1, result: { isError: true } });
  });

  it("answers every pending request with an error when the server exits", () => {
    const session = proxyWith("version: 1\ndefault: allow\n");
    session.fromClient({ jsonrpc: "2.0", id: "a", method: "tools/call", params: { name: "echo" } });
    session.fromClient({ jsonrpc: "2.0", id: "b", method: "resources/list" });
    expect(session.serverReceived()).toHaveLength(2);
    session.session.serverExited("exited with code 1");
    expect(session.clientReceived()).toMatchObject([
      {
        id: "a",
        error: { code: -32000, message: "MCP server exited with code 1 before answering tools/call" },
      },
      {
        id: "b",
        error: { code: -32000, message: "MCP server exited with code 1 before answering resources/list" },
      },
    ]);
    const [audited] = session.auditLines().filter((line) => line.event === "tools/call");
    expect(audited).toMatchObject({ id: "a", outcome: "server_exited" });
  });
});
