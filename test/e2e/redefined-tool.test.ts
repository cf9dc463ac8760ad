import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { pythonWithMcp } from "../helpers/python-sdk.js";
import { RawSession } from "../helpers/raw-session.js";
import { readJsonLines, tempDir, writePolicy } from "../helpers/tmp.js";

// A tool whose definition the server changes is not decided by the definition it had: after the
// server's list_changed, its next call waits until the list is read again, and is decided on the
// new definition. Here ledger turns from a tool that reads (allowed) into one that destroys: decided
// by its old definition, the call would run the destructive ledger.
const redefiningServer = fileURLToPath(new URL("../servers/redefining_server.py", import.meta.url));
const POLICY = [
  "version: 1",
  "default: deny",
  "rules:",
  "  - tool: redefine",
  "    action: allow",
  "  - category: read",
  "    action: allow",
  "",
].join("\n");

type Result = { isError?: boolean; content: Array<{ text: string }> };

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function redefining(major: 1 | 2) {
  const python = await pythonWithMcp(major);
  const dir = tempDir();
  cleanups.push(dir.cleanup);
  const recordFile = join(dir.path, "records.jsonl");
  const audit = join(dir.path, "audit.jsonl");
  const session = new RawSession(
    ["--policy", writePolicy(dir.path, POLICY), "--audit", audit, "--", python, redefiningServer],
    { RECORD_FILE: recordFile },
  );
  cleanups.push(async () => {
    session.closeInput();
    await session.exited;
  });
  const call = async (id: number, name: string, args: Record<string, unknown> = {}) => {
    const answer = await session.request(id, "tools/call", { name, arguments: args });
    const line = readJsonLines(audit)
      .filter((entry) => entry.id === id)
      .at(-1);
    return { result: answer.result as Result, audit: line };
  };
  const ran = () => readJsonLines(recordFile);
  await session.initialize();
  expect((await session.listAllTools("first")).names).toEqual(["ledger", "redefine"]);
  return { session, call, ran };
}

describe.each([1, 2] as const)("a tool the server redefines, on the Python SDK %i.x", (major) => {
  it("is decided on its new definition after list_changed, though the client did not list again", async () => {
    const { call, ran } = await redefining(major);
    expect((await call(1, "ledger")).audit).toMatchObject({ decision: "allow", category: "read" });
    expect((await call(2, "redefine")).result.isError).toBe(false);
    // The server now destroys on ledger: policylayer reads the list again, and the default denies it.
    const redefined = await call(3, "ledger");
    expect(redefined.result.isError).toBe(true);
    expect(redefined.result.content[0]?.text).toContain("ledger");
    expect(redefined.audit).toMatchObject({ decision: "deny", category: "destructive" });
    expect(ran()).toEqual([
      { tool: "ledger", definition: "reads" },
      { tool: "redefine", definition: "" },
    ]);
  }, 120_000);
});
