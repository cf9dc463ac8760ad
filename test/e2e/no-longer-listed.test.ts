import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { recordingPythonSession } from "../helpers/recording-python.js";

// A tool the server stops listing is not decided by its old definition alone: once a whole fresh
// tools/list leaves it out, each call gets the more severe of its last definition's reading and the
// reading of a tool nobody lists (its name and arguments), and its old schema no longer reads arguments.
// A tool the server redefines is not decided by the definition it had: after the server's
// list_changed, its next call waits until the list is read again, and is decided on the new one.
const retiringServer = fileURLToPath(new URL("../servers/retiring_server.py", import.meta.url));
const redefiningServer = fileURLToPath(new URL("../servers/redefining_server.py", import.meta.url));
const POLICY = [
  "version: 1",
  "default: deny",
  "rules:",
  "  - tool: [retire, redefine]",
  "    action: allow",
  "  - category: read",
  "    action: allow",
  "",
].join("\n");

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** policylayer wrap around the retiring server; `call` answers with the result and the call's audit line. */
async function retiring(major: 1 | 2) {
  const { session, call, records } = await recordingPythonSession(major, retiringServer, POLICY, cleanups);
  const ran = () => records().map((line) => line.tool);
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

describe.each([1, 2] as const)("a tool the server redefines, on the Python SDK %i.x", (major) => {
  it("is decided on its new definition after list_changed, though the client did not list again", async () => {
    const { session, call, records } = await recordingPythonSession(
      major,
      redefiningServer,
      POLICY,
      cleanups,
    );
    expect((await session.listAllTools("first")).names).toEqual(["ledger", "redefine"]);
    expect((await call(1, "ledger")).audit).toMatchObject({ decision: "allow", category: "read" });
    expect((await call(2, "redefine")).result.isError).toBe(false);
    // ledger now destroys: decided by its old definition, this call would run the destructive ledger.
    // policylayer reads the list again, and the default denies it.
    const redefined = await call(3, "ledger");
    expect(redefined.result.isError).toBe(true);
    expect(redefined.result.content[0]?.text).toContain("ledger");
    expect(redefined.audit).toMatchObject({ decision: "deny", category: "destructive" });
    expect(records()).toEqual([
      { tool: "ledger", definition: "reads" },
      { tool: "redefine", definition: "" },
    ]);
  }, 120_000);
});
