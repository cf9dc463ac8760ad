import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { pythonWithMcp } from "../helpers/python-sdk.js";
import { RawSession } from "../helpers/raw-session.js";
import { readJsonLines, tempDir, writePolicy } from "../helpers/tmp.js";

// A tool the server stops listing is not decided by its old definition alone: once a whole fresh
// tools/list leaves it out, each call gets the more severe of its last definition's reading and the
// reading of a tool nobody lists (its name and arguments), and its old schema no longer reads arguments.
const retiringServer = fileURLToPath(new URL("../servers/retiring_server.py", import.meta.url));
const POLICY = [
  "version: 1",
  "default: deny",
  "rules:",
  "  - tool: retire",
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

/** policylayer wrap around the retiring server; `call` answers with the result and the call's audit line. */
async function retiring(major: 1 | 2) {
  const python = await pythonWithMcp(major);
  const dir = tempDir();
  cleanups.push(dir.cleanup);
  const recordFile = join(dir.path, "records.jsonl");
  const audit = join(dir.path, "audit.jsonl");
  const session = new RawSession(
    ["--policy", writePolicy(dir.path, POLICY), "--audit", audit, "--", python, retiringServer],
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
  const ran = () => readJsonLines(recordFile).map((line) => line.tool);
  await session.initialize();
  expect((await session.listAllTools("first")).names).toEqual(["inbox_digest", "tidy", "retire"]);
  // Listed: inbox_digest reads by its definition (allowed), tidy destroys by its own (denied).
  const listed = await call(1, "inbox_digest");
  expect(listed.result.isError).toBe(false);
  expect(listed.audit).toMatchObject({ decision: "allow", category: "read" });
  expect((await call(2, "tidy")).audit).toMatchObject({ decision: "deny", category: "destructive" });
  for (const [id, name] of [
    [3, "inbox_digest"],
    [4, "tidy"],
  ] as const)
    expect((await call(id, "retire", { name })).result.isError).toBe(false);
  return { session, call, ran };
}

/** Calls 5 and 6: each retired tool decided by the more severe of its name's reading and its last definition's. */
async function expectUnlistedReadings(call: Awaited<ReturnType<typeof retiring>>["call"]) {
  // inbox_digest is read by its name (no verb: a write, which the default denies) ...
  const digest = await call(5, "inbox_digest");
  expect(digest.result.isError).toBe(true);
  expect(digest.result.content[0]?.text).toContain("inbox_digest");
  expect(digest.audit).toMatchObject({ decision: "deny", category: "write" });
  // ... and tidy, whose name reads as a write, keeps its last definition's destructive reading.
  expect((await call(6, "tidy")).audit).toMatchObject({ decision: "deny", category: "destructive" });
}

describe.each([1, 2] as const)("a tool the server stops listing, on the Python SDK %i.x", (major) => {
  it("is decided as a tool nobody lists after the client's whole fresh list, never milder than its last definition", async () => {
    const { session, call, ran } = await retiring(major);
    expect((await session.listAllTools("second")).names).toEqual(["retire"]);
    await expectUnlistedReadings(call);
    // The server ran what reached it: the first inbox_digest and the two retire calls, nothing after.
    expect(ran()).toEqual(["inbox_digest", "retire", "retire"]);
  }, 120_000);

  it("is decided so after policylayer's own whole listing, read for an unknown tool after list_changed", async () => {
    const { call, ran } = await retiring(major);
    // The server said its list changed; a call of a tool policylayer does not know makes it read the list.
    expect((await call(10, "not_listed_anywhere")).audit).toMatchObject({ decision: "deny" });
    await expectUnlistedReadings(call);
    expect(ran()).toEqual(["inbox_digest", "retire", "retire"]);
  }, 120_000);
});
