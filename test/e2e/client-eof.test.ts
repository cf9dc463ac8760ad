import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { npmServer } from "../helpers/paths.js";
import { RawSession } from "../helpers/raw-session.js";
import { readJsonLines, tempDir, writePolicy } from "../helpers/tmp.js";

// A one-shot client (`printf ... | policylayer wrap ...`) closes its input right after its calls.
const dirs: { cleanup: () => void }[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) dir.cleanup();
});

/** wrap around server-everything with `policyYaml`, the audit log and the approval inbox in a fresh folder. */
function wrapEverything(policyYaml: string): { session: RawSession; audit: string } {
  const dir = tempDir();
  dirs.push(dir);
  const audit = join(dir.path, "audit.jsonl");
  const policy = writePolicy(dir.path, policyYaml);
  const session = new RawSession(
    ["--policy", policy, "--audit", audit, "--", ...npmServer("everything", "stdio")],
    { POLICYLAYER_STATE_DIR: dir.path },
  );
  return { session, audit };
}

const echo = (id: number) => ({
  jsonrpc: "2.0",
  id,
  method: "tools/call",
  params: { name: "echo", arguments: { message: "one shot" } },
});

describe("the client closes its input right after a call", () => {
  it("forwards a call still waiting for its tool's definition, and the server answers it before it exits", async () => {
    const { session, audit } = wrapEverything("version: 1\ndefault: allow\n");
    await session.initialize();
    session.send(echo(2));
    session.closeInput();
    const answer = await session.responseTo(2);
    expect(JSON.stringify(answer.result)).toContain("one shot");
    expect((await session.exited).code).toBe(0);
    expect(readJsonLines(audit).filter((line) => line.event === "tools/call")).toMatchObject([
      { id: 2, tool: "echo", decision: "allow", outcome: "result" },
    ]);
  }, 30_000);

  it("denies a call waiting for a person at once, since nobody can answer for the client any more", async () => {
    const { session, audit } = wrapEverything(
      "version: 1\ndefault: allow\nrules:\n  - { tool: echo, action: require_approval }\n",
    );
    await session.initialize();
    await session.request(1, "tools/list");
    session.send(echo(2));
    await session.waitForStderr(/waiting for approval|policylayer approvals/);
    session.closeInput();
    const answer = await session.responseTo(2);
    expect(answer.result).toMatchObject({ isError: true });
    expect(JSON.stringify(answer.result)).toContain("the client closed its input before a person answered");
    expect((await session.exited).code).toBe(0);
    expect(readJsonLines(audit).filter((line) => line.event === "tools/call")).toMatchObject([
      { id: 2, decision: "deny", approval: { decided_by: "client", outcome: "denied" } },
    ]);
  }, 30_000);
});
