// Telling a 2026-07-28 client that its tool list changed, in process: only on listen streams it opened.
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { InProcessProxy, MODERN_META } from "../helpers/in-process.js";
import { tempDir } from "../helpers/tmp.js";
import { policyFrom } from "../policy/helpers.js";

const dir = tempDir();
afterAll(() => dir.cleanup());
let proxy: InProcessProxy | null = null;
afterEach(() => proxy?.close());

const SUBSCRIPTION_ID = "io.modelcontextprotocol/subscriptionId";

/** A session whose server listed no tools, so calls are decided at once. */
function modernSession(): InProcessProxy {
  proxy = new InProcessProxy({
    policy: policyFrom("version: 1\ndefault: allow\n"),
    auditPath: join(dir.path, `audit-${Date.now()}-${Math.random()}.jsonl`),
  });
  proxy.fromClient({ jsonrpc: "2.0", id: "list", method: "tools/list", params: { _meta: MODERN_META } });
  proxy.serverReceived();
  proxy.fromServer({ jsonrpc: "2.0", id: "list", result: { tools: [], resultType: "complete" } });
  proxy.clientReceived();
  return proxy;
}

/** Opens a listen stream for tools/list changes under `id`. */
function listen(session: InProcessProxy, id: string): void {
  session.fromClient({
    jsonrpc: "2.0",
    id,
    method: "subscriptions/listen",
    params: { notifications: { toolsListChanged: true }, _meta: MODERN_META },
  });
}

describe("list changes for a 2026-07-28 client, in process", () => {
  it("sends nothing unsolicited to a client that only sent tools/call", () => {
    proxy = new InProcessProxy({
      policy: policyFrom("version: 1\ndefault: allow\n"),
      auditPath: join(dir.path, `audit-${Date.now()}-${Math.random()}.jsonl`),
    });
    const session = proxy;
    session.fromClient({
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: { name: "echo", arguments: {}, _meta: MODERN_META },
    });
    // The call's tool is looked up first: our own tools/list, answered with an empty list.
    const [list] = session.serverReceived();
    session.fromServer({
      jsonrpc: "2.0",
      id: list?.id as string,
      result: { tools: [], resultType: "complete" },
    });
    session.clientReceived();
    session.session.toolsListChanged();
    expect(session.clientReceived()).toEqual([]);
  });

  it("announces nothing on a listen stream before the server acknowledged it, and on it once acknowledged", () => {
    const session = modernSession();
    listen(session, "L1");
    session.serverReceived();
    // A reload between the client's listen and the server's acknowledgment.
    session.session.toolsListChanged();
    expect(session.clientReceived()).toEqual([]);
    const acknowledged = {
      jsonrpc: "2.0",
      method: "notifications/subscriptions/acknowledged",
      params: { notifications: { toolsListChanged: true }, _meta: { [SUBSCRIPTION_ID]: "L1" } },
    };
    session.fromServer(acknowledged);
    expect(session.clientReceived()).toEqual([acknowledged]);
    session.session.toolsListChanged();
    expect(session.clientReceived()).toEqual([
      {
        jsonrpc: "2.0",
        method: "notifications/tools/list_changed",
        params: { _meta: { [SUBSCRIPTION_ID]: "L1" } },
      },
    ]);
  });

  it("closes a listen stream the server cancels: nothing more is sent on it, and its id may open another", () => {
    const session = modernSession();
    listen(session, "L1");
    expect(session.serverReceived()).toMatchObject([{ id: "L1", method: "subscriptions/listen" }]);
    const cancelled = { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: "L1" } };
    session.fromServer(cancelled);
    expect(session.clientReceived()).toEqual([cancelled]);
    session.session.toolsListChanged();
    expect(session.clientReceived()).toEqual([]);
    listen(session, "L1");
    expect(session.clientReceived()).toEqual([]);
    expect(session.serverReceived()).toMatchObject([{ id: "L1", method: "subscriptions/listen" }]);
  });

  it("owes no answer at the server's exit for a listen stream the server cancelled", () => {
    const session = modernSession();
    listen(session, "L1");
    session.fromServer({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: "L1" } });
    session.clientReceived();
    session.session.serverExited("exited with code 0");
    expect(session.clientReceived()).toEqual([]);
  });

  it("keeps a pending request the server's cancellation names when it is not a listen stream", () => {
    const session = modernSession();
    session.fromClient({ jsonrpc: "2.0", id: 5, method: "resources/list", params: { _meta: MODERN_META } });
    session.serverReceived();
    session.fromServer({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 5 } });
    session.clientReceived();
    session.fromServer({ jsonrpc: "2.0", id: 5, result: { resources: [], resultType: "complete" } });
    expect(session.clientReceived()).toMatchObject([{ id: 5, result: { resources: [] } }]);
  });
});
