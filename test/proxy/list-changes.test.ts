// Telling a 2026-07-28 client that its tool list changed, in process: only on listen streams it opened.
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { InProcessProxy } from "../helpers/in-process.js";
import { tempDir } from "../helpers/tmp.js";
import { policyFrom } from "../policy/helpers.js";

const dir = tempDir();
afterAll(() => dir.cleanup());
let proxy: InProcessProxy | null = null;
afterEach(() => proxy?.close());

const MODERN_META = {
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientInfo": { name: "c", version: "1" },
  "io.modelcontextprotocol/clientCapabilities": {},
};

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
});
