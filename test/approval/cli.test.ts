import { describe, expect, it } from "vitest";
import { localUserName } from "../../src/approval/inbox-answer.js";
import { ApprovalInbox } from "../../src/approval/inbox-wait.js";
import { pendingInput, runPolicylayer, spawnSubmitter, useStateDir } from "./helpers.js";

const stateFolder = useStateDir();

/** Runs the built CLI against the test's state folder. */
function policylayer(...args: string[]) {
  return runPolicylayer(stateFolder(), ...args);
}

describe("policylayer approvals, approve, deny", () => {
  it("says so when no call is waiting", async () => {
    expect(await policylayer("approvals")).toEqual({
      code: 0,
      stdout: "no calls are waiting for approval\n",
      stderr: "",
    });
    expect(await policylayer("approvals", "--json")).toEqual({ code: 0, stdout: "[]\n", stderr: "" });
  });

  it("lists the calls of two wrap processes; approve and deny resolve the right one", async () => {
    const dir = stateFolder();
    const inbox = ApprovalInbox.open();
    const here = inbox.submit(
      pendingInput({
        server: "sagemaker",
        tool: "manage_hyperpod_stacks",
        arguments: { operation: "deploy" },
      }),
    );
    const other = await spawnSubmitter(
      dir,
      pendingInput({ server: "filesystem", tool: "write_file", arguments: { path: "/tmp/x" } }),
    );

    const listed = await policylayer("approvals");
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(
      new RegExp(
        `^${here.id} {2}sagemaker › manage_hyperpod_stacks {2}\\(destructive, critical risk\\) {2}waiting \\d+ s, \\d+ min \\d\\d s left\\n {2}arguments: \\{"operation":"deploy"\\}\\n {2}why: Deleting a stack destroys infrastructure \\(rule 1 \\(tool "delete_stack"\\)\\)\\n\\n${other.id} {2}filesystem › write_file`,
      ),
    );
    const json = await policylayer("approvals", "--json");
    expect(JSON.parse(json.stdout)).toMatchObject([
      { id: here.id, pid: process.pid, tool: "manage_hyperpod_stacks" },
      { id: other.id, pid: other.pid, tool: "write_file" },
    ]);

    expect(await policylayer("approve", here.id)).toEqual({
      code: 0,
      stdout: `approved ${here.id}\n`,
      stderr: "",
    });
    await expect(here.decision).resolves.toMatchObject({
      approved: true,
      decidedBy: `cli:${localUserName()}`,
    });

    expect(await policylayer("deny", other.id.toUpperCase(), "--reason", "not on a Friday")).toMatchObject({
      code: 0,
    });
    await expect(other.decision).resolves.toMatchObject({
      approved: false,
      note: "not on a Friday",
      reason: `denied by cli:${localUserName()} in the approval inbox: not on a Friday`,
    });
    expect((await policylayer("approvals")).stdout).toBe("no calls are waiting for approval\n");
    inbox.close();
  });

  it("exits 1 with a clear message for an unknown or already decided id", async () => {
    const dir = stateFolder();
    const inbox = ApprovalInbox.open(dir);
    const submitted = inbox.submit(pendingInput());
    expect(await policylayer("deny", submitted.id)).toMatchObject({ code: 0 });
    expect(await policylayer("approve", submitted.id)).toEqual({
      code: 1,
      stdout: "",
      stderr: `policylayer: ${submitted.id} has already been decided; each call is decided once\n`,
    });
    const unknown = await policylayer("approve", "zzzzzzzzzz");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(
      /no call is waiting for approval with id "zzzzzzzzzz".*run `policylayer approvals`/,
    );
    inbox.close();
  });

  it("exits 1 and says expired for a call whose time is up", async () => {
    const dir = stateFolder();
    const inbox = ApprovalInbox.open(dir, { now: () => Date.now() - 60_000 });
    const submitted = inbox.submit(pendingInput({ timeoutSeconds: 30 }));
    const expired = await policylayer("approve", submitted.id);
    expect(expired.code).toBe(1);
    expect(expired.stderr).toMatch(/expired: its approval timeout passed and the call was denied/);
    inbox.close();
  });
});
