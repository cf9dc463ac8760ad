import { spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  renameSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decide, listPending, recentDecisions } from "../../src/approval/inbox-answer.js";
import { ApprovalInbox } from "../../src/approval/inbox-wait.js";
import { inboxPaths } from "../../src/state/paths.js";
import { within } from "../helpers/deadline.js";
import { policylayerBin } from "../helpers/paths.js";
import { pendingInput, spawnSubmitter, useStateDir } from "./helpers.js";

const stateFolder = useStateDir();
const asRoot = process.getuid?.() === 0;
/** A user id nobody on the test machine has. */
const OTHER_UID = 54_321;

/** An "approved" decision for `id`, as `policylayer approve` would write it, put in the slot by `place`. */
function forgeApproval(dir: string, id: string, place: (file: string, content: string) => void): void {
  const record = {
    id,
    outcome: "approved",
    decidedBy: "cli:mallory",
    reason: "",
    decidedAt: 1,
    expiresAt: 9e15,
  };
  place(join(inboxPaths(dir).decisions, `${id}.json`), `${JSON.stringify(record)}\n`);
}

describe("the approval inbox refuses folders another user can write", () => {
  it("refuses a state directory inside a folder every user can write, naming that folder", () => {
    const shared = join(stateFolder(), "shared");
    mkdirSync(shared);
    chmodSync(shared, 0o777);
    const dir = join(shared, "state");
    const refusal = `approval inbox: cannot use ${dir}: ${shared} is not safe for approvals: its mode 0777 lets every user rename or replace what is in it (and it has no sticky bit)`;
    expect(() => ApprovalInbox.open(dir)).toThrow(refusal);
    expect(() => listPending(dir)).toThrow(refusal);
    expect(() => decide(dir, "0123456789", { approved: true, decidedBy: "cli:alice" })).toThrow(refusal);
  });

  it("refuses a state directory a group of other users can write", () => {
    const dir = join(stateFolder(), "state");
    mkdirSync(dir);
    chmodSync(dir, 0o770);
    // A group that is not yours alone (not your primary group: other users may be in it).
    chownSync(dir, process.getuid?.() ?? 0, 4242);
    expect(() => ApprovalInbox.open(dir)).toThrow(
      `${dir} is not safe for approvals: its mode 0770 lets its group`,
    );
  });

  it("accepts a folder only its group can write when that group is yours alone (umask 002 makes such folders)", () => {
    // Here the user is root, whose primary group root has no other member.
    const dir = join(stateFolder(), "private-group");
    mkdirSync(dir);
    chmodSync(dir, 0o775);
    chownSync(dir, process.getuid?.() ?? 0, process.getgid?.() ?? 0);
    ApprovalInbox.open(join(dir, "state")).close();
  });

  it("accepts a folder every user can write when it has the sticky bit, like /tmp", () => {
    const sticky = join(stateFolder(), "sticky");
    mkdirSync(sticky);
    chmodSync(sticky, 0o1777);
    ApprovalInbox.open(join(sticky, "state")).close();
  });

  it("refuses approvals/ when it is a link, even to a folder of yours", () => {
    const dir = stateFolder();
    const elsewhere = join(dir, "elsewhere");
    mkdirSync(elsewhere, { mode: 0o700 });
    symlinkSync(elsewhere, join(dir, "approvals"));
    expect(() => ApprovalInbox.open(dir)).toThrow(
      `approval inbox: cannot use ${dir}/approvals: ${dir}/approvals is not a folder (a link or a file)`,
    );
  });

  it.skipIf(!asRoot)("refuses a folder above the state directory that belongs to another user", () => {
    const theirs = join(stateFolder(), "theirs");
    mkdirSync(theirs, { mode: 0o755 });
    chownSync(theirs, OTHER_UID, OTHER_UID);
    const dir = join(theirs, "state");
    mkdirSync(dir, { mode: 0o700 });
    expect(() => ApprovalInbox.open(dir)).toThrow(
      `${theirs} is not safe for approvals: it belongs to user id ${OTHER_UID}, who can rename or replace what is in it`,
    );
  });
});

describe("the waiting wrap believes only decision files of its own user", () => {
  it("denies the call when its decision file is a link to an approval", async () => {
    const dir = stateFolder();
    const inbox = ApprovalInbox.open(dir);
    const submitted = inbox.submit(pendingInput());
    forgeApproval(dir, submitted.id, (file, content) => {
      const real = join(dir, "forged.json");
      writeFileSync(real, content, { mode: 0o600 });
      symlinkSync(real, file);
    });
    await expect(submitted.decision).resolves.toMatchObject({
      approved: false,
      decidedBy: "policylayer",
      reason: expect.stringMatching(/cannot be trusted \(.*is a link, not a file\), so the call was denied$/),
    });
    inbox.close();
  });

  it("denies the call when others could have written its decision file (mode 0666)", async () => {
    const dir = stateFolder();
    const inbox = ApprovalInbox.open(dir);
    const submitted = inbox.submit(pendingInput());
    forgeApproval(dir, submitted.id, (file, content) => {
      const tmp = join(inboxPaths(dir).tmp, "forged");
      writeFileSync(tmp, content);
      chmodSync(tmp, 0o666);
      renameSync(tmp, file);
    });
    await expect(submitted.decision).resolves.toMatchObject({
      approved: false,
      reason: expect.stringMatching(
        /has mode 0666, so others could have written it\), so the call was denied$/,
      ),
    });
    inbox.close();
  });

  it.skipIf(!asRoot)("denies the call when its decision file belongs to another user", async () => {
    const dir = stateFolder();
    const inbox = ApprovalInbox.open(dir);
    const submitted = inbox.submit(pendingInput());
    forgeApproval(dir, submitted.id, (file, content) => {
      const tmp = join(inboxPaths(dir).tmp, "forged");
      writeFileSync(tmp, content, { mode: 0o600 });
      chownSync(tmp, OTHER_UID, OTHER_UID);
      renameSync(tmp, file);
    });
    await expect(submitted.decision).resolves.toMatchObject({
      approved: false,
      reason: expect.stringMatching(
        new RegExp(`belongs to user id ${OTHER_UID}, not to you \\(0\\)\\), so the call`),
      ),
    });
    // The person is not shown the call as waiting: its slot is taken.
    expect(listPending(dir)).toEqual([]);
    inbox.close();
  });
});

describe("recent.jsonl, the page's history, is believed and written only as a file of your own", () => {
  // A name planted while approvals/ was open to others stays after the folder is tightened to 0700.
  it("never writes through a link planted as recent.jsonl, whose target stays unchanged", async () => {
    const dir = stateFolder();
    const inbox = ApprovalInbox.open(dir);
    const target = join(dir, "bashrc");
    writeFileSync(target, "# your shell's start-up file\n", { mode: 0o600 });
    symlinkSync(target, inboxPaths(dir).recent);
    const submitted = inbox.submit(pendingInput({ tool: "$(touch /tmp/owned)" }));

    expect(decide(dir, submitted.id, { approved: false, decidedBy: "cli:alice" })).toBe("decided");
    await expect(submitted.decision).resolves.toMatchObject({ approved: false });
    expect(readFileSync(target, "utf8")).toBe("# your shell's start-up file\n");
    // The link was replaced by a history file of ours, which holds the decision.
    expect(lstatSync(inboxPaths(dir).recent).isFile()).toBe(true);
    expect(recentDecisions(dir)).toMatchObject([{ id: submitted.id, outcome: "denied" }]);
    inbox.close();
  });

  it("never writes through a hard link planted as recent.jsonl, whose other file stays unchanged", async () => {
    const dir = stateFolder();
    const inbox = ApprovalInbox.open(dir);
    const target = join(dir, "bashrc");
    writeFileSync(target, "# your shell's start-up file\n", { mode: 0o600 });
    linkSync(target, inboxPaths(dir).recent);
    const submitted = inbox.submit(pendingInput({ tool: "$(touch /tmp/owned)" }));

    expect(decide(dir, submitted.id, { approved: false, decidedBy: "cli:alice" })).toBe("decided");
    await expect(submitted.decision).resolves.toMatchObject({ approved: false });
    expect(readFileSync(target, "utf8")).toBe("# your shell's start-up file\n");
    expect(recentDecisions(dir)).toMatchObject([{ id: submitted.id, outcome: "denied" }]);
    inbox.close();
  });

  it("shows no history read through a link, or from a file others could have written", () => {
    const dir = stateFolder();
    ApprovalInbox.open(dir).close();
    const forged = {
      id: "0123456789",
      server: "bank",
      tool: "transfer",
      classification: { category: "write", risk: "high" },
      outcome: "approved",
      decidedBy: "web:alice",
      reason: "",
      decidedAt: 1,
      waitedMs: 1,
    };
    const elsewhere = join(dir, "forged.jsonl");
    writeFileSync(elsewhere, `${JSON.stringify(forged)}\n`, { mode: 0o600 });
    symlinkSync(elsewhere, inboxPaths(dir).recent);
    expect(recentDecisions(dir)).toEqual([]);

    renameSync(elsewhere, inboxPaths(dir).recent);
    chmodSync(inboxPaths(dir).recent, 0o666);
    expect(recentDecisions(dir)).toEqual([]);
  });

  it("answers at once when recent.jsonl is a FIFO nobody reads, instead of hanging", async () => {
    const dir = stateFolder();
    const inbox = ApprovalInbox.open(dir);
    const submitted = inbox.submit(pendingInput());
    const made = spawnSync("mkfifo", [inboxPaths(dir).recent]);
    expect(made.status).toBe(0);
    // In another process: a write that blocks on the FIFO would block this test's own thread.
    const child = spawn(process.execPath, [policylayerBin, "approve", submitted.id, "--yes"], {
      env: { ...process.env, POLICYLAYER_STATE_DIR: dir },
      stdio: "ignore",
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    try {
      expect(await within(exited, 15_000, "policylayer approve to exit with a FIFO as recent.jsonl")).toBe(0);
    } finally {
      child.kill("SIGKILL");
    }
    await expect(submitted.decision).resolves.toMatchObject({ approved: true });
    expect(lstatSync(inboxPaths(dir).recent).isFile()).toBe(true);
    inbox.close();
  });
});

/** Runs the built CLI as user OTHER_UID on the inbox of `dir` (`terminal`: under script(1), with `n` typed at its question). */
async function asInboxOwner(
  dir: string,
  args: string[],
  terminal = false,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const quote = (word: string) => `'${word.replaceAll("'", "'\\''")}'`;
  const [command, argv] = terminal
    ? ["script", ["-qec", [process.execPath, policylayerBin, ...args].map(quote).join(" "), "/dev/null"]]
    : [process.execPath, [policylayerBin, ...args]];
  const child = spawn(command, argv, {
    env: { ...process.env, POLICYLAYER_STATE_DIR: dir },
    uid: OTHER_UID,
    gid: OTHER_UID,
    cwd: "/",
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString("utf8");
    if (terminal && stdout.includes("[y/N]")) child.stdin.end("n\r");
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  if (!terminal) child.stdin.end();
  try {
    const code = await within(
      new Promise<number | null>((resolve) => child.once("close", resolve)),
      15_000,
      `policylayer ${args.join(" ")} run as the inbox's owner`,
    );
    return { code, stdout, stderr };
  } finally {
    child.kill("SIGKILL");
  }
}

describe("an entry in the inbox that you cannot read", () => {
  // Planted by another user while approvals/ was open to others: root owns it here, 0600.
  it.skipIf(!asRoot)(
    "is skipped: the call waiting beside it is still listed, and approve on a terminal still asks about it",
    async () => {
      // The test's own folder (root's) is opened for entering only, as a home folder is.
      chmodSync(stateFolder(), 0o755);
      const dir = join(stateFolder(), "theirs");
      mkdirSync(dir, { mode: 0o700 });
      chownSync(dir, OTHER_UID, OTHER_UID);
      const waiting = await spawnSubmitter(dir, pendingInput(), { uid: OTHER_UID });
      try {
        writeFileSync(join(inboxPaths(dir).pending, "zzzzzzzzzz.json"), "{}\n", { mode: 0o600 });

        const listed = await asInboxOwner(dir, ["approvals", "--json"]);
        expect({ code: listed.code, stderr: listed.stderr }).toEqual({ code: 0, stderr: "" });
        expect(JSON.parse(listed.stdout).map((entry: { id: string }) => entry.id)).toEqual([waiting.id]);

        // Its preview read a failed listing as "not waiting" and answered the id without asking.
        const asked = await asInboxOwner(dir, ["approve", waiting.id], true);
        expect(asked.stdout).toContain("delete_stack");
        expect(asked.stdout).toContain("approve this call? [y/N]");
        expect(asked.code).toBe(1);
        const after = await asInboxOwner(dir, ["approvals", "--json"]);
        expect(JSON.parse(after.stdout).map((entry: { id: string }) => entry.id)).toEqual([waiting.id]);
      } finally {
        // Its call is never answered: the submitter is stopped, and its missing decision expected.
        waiting.decision.catch(() => {});
        waiting.child.kill("SIGKILL");
      }
    },
  );
});
