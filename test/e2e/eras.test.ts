import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { recordingServer } from "../helpers/paths.js";
import { RawSession } from "../helpers/raw-session.js";
import { readJsonLines, tempDir, writePolicy } from "../helpers/tmp.js";

// The 2026-07-28 revision drops the initialize handshake: every request carries its protocol version
// and client capabilities in _meta. tools/call must be decided exactly as in the first era.
const META = {
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientCapabilities": {},
};

let dir: { path: string; cleanup: () => void };
let session: RawSession;
let recordFile: string;

beforeEach(() => {
  dir = tempDir();
  recordFile = join(dir.path, "received.jsonl");
  const policy = writePolicy(
    dir.path,
    "version: 1\ndefault: allow\nrules:\n  - tool: delete_stack\n    action: deny\n    reason: no\n",
  );
  session = new RawSession(
    ["--policy", policy, "--audit", join(dir.path, "a.jsonl"), "--", process.execPath, recordingServer],
    {
      RECORD_FILE: recordFile,
    },
  );
});
afterEach(async () => {
  session.closeInput();
  await session.exited;
  dir.cleanup();
});

describe("the 2026-07-28 era (no initialize)", () => {
  it("decides tools/call the same way and forwards _meta unchanged", async () => {
    const denied = await session.request(1, "tools/call", {
      name: "delete_stack",
      arguments: {},
      _meta: META,
    });
    expect((denied.result as { isError: boolean }).isError).toBe(true);
    const allowed = await session.request(2, "tools/call", {
      name: "echo",
      arguments: { a: 1 },
      _meta: META,
    });
    expect((allowed.result as { isError: boolean }).isError).toBe(false);
    // Before deciding, policylayer read the server's tool list itself, in the call's era.
    const received = readJsonLines(recordFile);
    const ownLists = received.filter((message) => message.method === "tools/list");
    expect(ownLists.length).toBeGreaterThan(0);
    for (const list of ownLists) expect((list.params as { _meta: unknown })._meta).toEqual(META);
    expect(received.filter((message) => message.method !== "tools/list")).toEqual([
      {
        jsonrpc: "2.0",
        id: 2,
        method: "tools/call",
        params: { name: "echo", arguments: { a: 1 }, _meta: META },
      },
    ]);
  });

  it("answers each request in its own era when the client mixes them on one wrap", async () => {
    await session.initialize();
    const legacy = await session.request(4, "tools/call", { name: "delete_stack", arguments: {} });
    const modern = await session.request(5, "tools/call", {
      name: "delete_stack",
      arguments: {},
      _meta: META,
    });
    expect(legacy.result).toMatchObject({ isError: true });
    expect(legacy.result).not.toHaveProperty("resultType");
    expect(modern.result).toMatchObject({ isError: true, resultType: "complete" });
  });

  it("passes server/discover through to the server", async () => {
    const response = await session.request(3, "server/discover", { _meta: META });
    // The recording server does not implement it: its own answer comes back.
    expect((response.error as { message: string }).message).toBe("Method not found: server/discover");
    expect(readJsonLines(recordFile).map((message) => message.method)).toEqual(["server/discover"]);
  });
});
