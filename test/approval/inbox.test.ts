import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createApprovalCoordinator } from "../../src/approval/approver.js";
import { decide, listPending, localUserName, recentDecisions } from "../../src/approval/inbox-answer.js";
import { inboxChannel } from "../../src/approval/inbox-channel.js";
import { ApprovalInbox } from "../../src/approval/inbox-wait.js";
import type { ApprovalRequest } from "../../src/approval/request.js";
import { inboxPaths } from "../../src/state/paths.js";
import { within } from "../helpers/deadline.js";
import { policylayerBin, repoRoot } from "../helpers/paths.js";
import { pendingInput, useStateDir } from "./helpers.js";

const stateFolder = useStateDir();

/** Whether a promise has settled by the time already-queued events have run. */
async function settledYet(promise: Promise<unknown>): Promise<boolean> {
  const marker = Symbol("pending");
  const first = await Promise.race([promise, new Promise((resolve) => setImmediate(() => resolve(marker)))]);
  return first !== marker;
}

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await new Promise((resolve) => child.once("exit", resolve));
  if (child.pid === undefined) throw new Error("no pid");
  return child.pid;
}

describe("the approval inbox", () => {
  it("lists a submitted call with its age and time left, and resolves its decision once", async () => {
    const dir = stateFolder();
    const inbox = ApprovalInbox.open();
    const submitted = inbox.submit(pendingInput());
    expect(submitted.id).toMatch(/^[0-9a-z]{10}$/);

    const [listed] = listPending(dir, submitted.entry.createdAt + 5000);
    expect(listed).toMatchObject({
      id: submitted.id,
      server: "recording",
      tool: "delete_stack",
      pid: process.pid,
      argumentsJson: '{"stack":"prod","force":true}',
      classification: { category: "destructive", risk: "critical" },
      rule: 'rule 1 (tool "delete_stack")',
      ageMs: 5000,
      timeLeftMs: 115_000,
    });

    expect(decide(dir, submitted.id, { approved: true, decidedBy: "cli:alice" })).toBe("decided");
    await expect(submitted.decision).resolves.toMatchObject({
      approved: true,
      decidedBy: "cli:alice",
      reason: "approved by cli:alice in the approval inbox",
      note: null,
    });
    expect(listPending(dir)).toEqual([]);
    inbox.close();
  });

  it("never answers a waiting call for a person who was shown none (unseen), and leaves it answerable", async () => {
    const dir = stateFolder();
    const inbox = ApprovalInbox.open();
    const submitted = inbox.submit(pendingInput());
    expect(decide(dir, submitted.id, { approved: true, decidedBy: "cli:alice", unseen: true })).toBe(
      "not-shown",
    );
    expect(listPending(dir).map((entry) => entry.id)).toEqual([submitted.id]);
    expect(decide(dir, submitted.id, { approved: false, decidedBy: "cli:alice" })).toBe("decided");
    await expect(submitted.decision).resolves.toMatchObject({ approved: false, decidedBy: "cli:alice" });
    // An id that waits for nothing is still told apart, unseen or not.
    expect(decide(dir, submitted.id, { approved: true, decidedBy: "cli:bob", unseen: true })).toBe(
      "already-decided",
    );
    expect(decide(dir, "zzzzzzzzzz", { approved: true, decidedBy: "cli:bob", unseen: true })).toBe("unknown");
    inbox.close();
  });

  it("answers already-decided to a second answer, which changes nothing", async () => {
    const dir = stateFolder();
    const inbox = ApprovalInbox.open();
    const submitted = inbox.submit(pendingInput());
    expect(decide(dir, submitted.id, { approved: false, decidedBy: "cli:alice", reason: "not today" })).toBe(
      "decided",
    );
    expect(decide(dir, submitted.id, { approved: true, decidedBy: "cli:bob" })).toBe("already-decided");
    await expect(submitted.decision).resolves.toMatchObject({
      approved: false,
      reason: "denied by cli:alice in the approval inbox: not today",
      note: "not today",
    });
    inbox.close();
  });

  it("finds a decision written before it started watching", async () => {
    const dir = stateFolder();
    const inbox = ApprovalInbox.open();
    const submitted = inbox.submit(pendingInput());
    // The decision lands synchronously, before any watch event can be delivered.
    decide(dir, submitted.id, { approved: true, decidedBy: "cli:alice" });
    await expect(submitted.decision).resolves.toMatchObject({ approved: true });
    inbox.close();
  });

  it("takes a withdrawn call off the list, and a later answer has no effect", async () => {
    const dir = stateFolder();
    const inbox = ApprovalInbox.open();
    const submitted = inbox.submit(pendingInput());
    submitted.withdraw("the client cancelled the request");
    expect(listPending(dir)).toEqual([]);
    expect(decide(dir, submitted.id, { approved: true, decidedBy: "cli:alice" })).toBe("unknown");
    expect(await settledYet(submitted.decision)).toBe(false);
    expect(recentDecisions(dir, 5)).toMatchObject([
      { id: submitted.id, outcome: "withdrawn", reason: "the client cancelled the request" },
    ]);
    inbox.close();
  });

  it("answers expired once the time is up, waiting or withdrawn by the timeout", () => {
    const dir = stateFolder();
    let now = 1_000_000;
    const inbox = ApprovalInbox.open(dir, { now: () => now });
    const first = inbox.submit(pendingInput({ timeoutSeconds: 10 }));
    const second = inbox.submit(pendingInput({ timeoutSeconds: 10 }));
    now += 10_000;
    expect(listPending(dir, now)).toEqual([]);
    expect(decide(dir, first.id, { approved: true, decidedBy: "cli:alice" }, now)).toBe("expired");
    second.withdraw("no answer within 10 s");
    expect(decide(dir, second.id, { approved: true, decidedBy: "cli:alice" }, now)).toBe("expired");
    inbox.close();
  });

  it("skips and removes the entries of wrap processes that are gone", async () => {
    const dir = stateFolder();
    const inbox = ApprovalInbox.open();
    const live = inbox.submit(pendingInput({ tool: "live" }));
    const orphan = inbox.submit(pendingInput({ tool: "orphan" }));
    const orphanFile = join(inboxPaths(dir).pending, `${orphan.id}.json`);
    writeFileSync(orphanFile, JSON.stringify({ ...orphan.entry, pid: await deadPid() }));

    expect(listPending(dir).map((entry) => entry.tool)).toEqual(["live"]);
    expect(() => statSync(orphanFile)).toThrow(/ENOENT/);
    expect(decide(dir, orphan.id, { approved: true, decidedBy: "cli:alice" })).toBe("unknown");
    live.withdraw("test over");
    inbox.close();
  });

  it("keeps two wraps' calls apart in one folder: each gets only its own answer", async () => {
    const dir = stateFolder();
    const first = ApprovalInbox.open();
    // The second wrap's clock runs a second ahead, so "oldest first" has one answer.
    const second = ApprovalInbox.open(dir, { now: () => Date.now() + 1000 });
    const a = first.submit(pendingInput({ server: "first", tool: "deploy" }));
    const b = second.submit(pendingInput({ server: "second", tool: "delete_stack" }));
    expect(listPending(dir).map((entry) => [entry.id, entry.server])).toEqual([
      [a.id, "first"],
      [b.id, "second"],
    ]);

    expect(decide(dir, b.id, { approved: false, decidedBy: "web:alice", reason: "wrong account" })).toBe(
      "decided",
    );
    await expect(b.decision).resolves.toMatchObject({ approved: false, note: "wrong account" });
    expect(await settledYet(a.decision)).toBe(false);
    expect(decide(dir, a.id, { approved: true, decidedBy: "web:alice" })).toBe("decided");
    await expect(a.decision).resolves.toMatchObject({ approved: true, decidedBy: "web:alice" });
    expect(recentDecisions(dir, 10).map((entry) => [entry.id, entry.outcome])).toEqual([
      [a.id, "approved"],
      [b.id, "denied"],
    ]);
    first.close();
    second.close();
  });

  it("lets exactly one of many simultaneous answering processes decide", async () => {
    stateFolder();
    const inbox = ApprovalInbox.open();
    const submitted = inbox.submit(pendingInput());
    const inboxModule = join(repoRoot, "dist", "approval", "inbox-answer.js");
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, index) => {
        const script = `const { decide } = await import(${JSON.stringify(inboxModule)});
process.stdout.write(decide(process.env.POLICYLAYER_STATE_DIR, ${JSON.stringify(submitted.id)}, { approved: ${index % 2 === 0}, decidedBy: "cli:p${index}" }));`;
        const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
          stdio: ["ignore", "pipe", "inherit"],
        });
        let output = "";
        child.stdout.on("data", (chunk: Buffer) => {
          output += chunk.toString();
        });
        return new Promise<string>((resolve) => child.once("close", () => resolve(`${index}:${output}`)));
      }),
    );
    const winners = answers.filter((answer) => answer.endsWith(":decided"));
    expect(winners).toHaveLength(1);
    expect(answers.filter((answer) => answer.endsWith(":already-decided"))).toHaveLength(7);
    const winner = Number(winners[0]?.split(":")[0]);
    await expect(submitted.decision).resolves.toMatchObject({
      approved: winner % 2 === 0,
      decidedBy: `cli:p${winner}`,
    });
    inbox.close();
  });

  it("keeps a withdrawal only until a while after the call's expiry, an answer a day", () => {
    const dir = stateFolder();
    let now = 1_000_000;
    const inbox = ApprovalInbox.open(dir, { now: () => now });
    const withdrawn = inbox.submit(pendingInput({ timeoutSeconds: 10 }));
    const answered = inbox.submit(pendingInput({ timeoutSeconds: 10 }));
    withdrawn.withdraw("the client cancelled the call");
    decide(dir, answered.id, { approved: false, decidedBy: "cli:alice" }, now);
    const slot = (id: string) => join(inboxPaths(dir).decisions, `${id}.json`);
    // Five minutes past the expiry: a late answer still hears "expired".
    now += 10_000 + 5 * 60_000;
    ApprovalInbox.open(dir, { now: () => now }).close();
    expect(existsSync(slot(withdrawn.id))).toBe(true);
    expect(decide(dir, withdrawn.id, { approved: true, decidedBy: "cli:alice" }, now)).toBe("expired");
    now += 1;
    ApprovalInbox.open(dir, { now: () => now }).close();
    expect(existsSync(slot(withdrawn.id))).toBe(false);
    expect(existsSync(slot(answered.id))).toBe(true);
    expect(decide(dir, withdrawn.id, { approved: true, decidedBy: "cli:alice" }, now)).toBe("unknown");
    inbox.close();
  });

  it("withdraws every waiting call when closed", () => {
    const dir = stateFolder();
    const inbox = ApprovalInbox.open();
    const submitted = inbox.submit(pendingInput());
    inbox.close();
    expect(listPending(dir)).toEqual([]);
    expect(decide(dir, submitted.id, { approved: true, decidedBy: "cli:alice" })).toBe("unknown");
    expect(() => inbox.submit(pendingInput())).toThrow(/after close/);
  });

  it("refuses ids that are not approval ids, so an id never names another path", () => {
    const dir = stateFolder();
    ApprovalInbox.open().close();
    expect(decide(dir, "../../../etc/passwd", { approved: true, decidedBy: "cli:alice" })).toBe("unknown");
    expect(decide(dir, "", { approved: true, decidedBy: "cli:alice" })).toBe("unknown");
  });

  it("keeps its files private: folders 0700, files 0600", () => {
    const dir = stateFolder();
    const inbox = ApprovalInbox.open();
    const submitted = inbox.submit(pendingInput());
    const paths = inboxPaths(dir);
    for (const folder of [paths.root, paths.pending, paths.decisions, paths.tmp]) {
      expect(statSync(folder).mode & 0o777).toBe(0o700);
    }
    expect(statSync(join(paths.pending, `${submitted.id}.json`)).mode & 0o777).toBe(0o600);
    decide(dir, submitted.id, { approved: true, decidedBy: "cli:alice" });
    expect(statSync(join(paths.decisions, `${submitted.id}.json`)).mode & 0o777).toBe(0o600);
    expect(statSync(paths.recent).mode & 0o777).toBe(0o600);
    inbox.close();
  });

  it("says which folder is unusable and how to fix it", () => {
    const dir = stateFolder();
    const notAFolder = join(dir, "file");
    writeFileSync(notAFolder, "");
    expect(() => ApprovalInbox.open(notAFolder)).toThrow(
      new RegExp(`cannot use ${notAFolder}/approvals: .*set POLICYLAYER_STATE_DIR to a folder of your own`),
    );
  });

  it("stores huge arguments cut, with the full hash", () => {
    const dir = stateFolder();
    const inbox = ApprovalInbox.open();
    const submitted = inbox.submit(pendingInput({ arguments: { blob: "x".repeat(100_000) } }));
    const stored = JSON.parse(readFileSync(join(inboxPaths(dir).pending, `${submitted.id}.json`), "utf8"));
    expect(stored.argumentsTruncated).toBe(true);
    expect(stored.argumentsJson).toHaveLength(64 * 1024);
    expect(stored.argumentsSha256).toMatch(/^[0-9a-f]{64}$/);
    inbox.close();
  });
});

/** A require_approval call of delete_stack that waits at most `timeoutSeconds`. */
function question(timeoutSeconds: number): ApprovalRequest {
  return {
    requestId: 1,
    call: { name: "delete_stack", arguments: { stack: "prod" } },
    classification: { category: "destructive", risk: "critical", signals: [] },
    decision: { action: "require_approval", rule: null, reason: "deleting", hidden: false },
    timeoutSeconds,
    progressToken: null,
    era: "legacy",
  };
}

/** Keeps this process's event loop busy until `deadlineMs` (a wrap in a long synchronous step). */
function stallUntil(deadlineMs: number): void {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  while (Date.now() < deadlineMs) Atomics.wait(cell, 0, 0, deadlineMs - Date.now());
}

describe("arguments past the 64 KiB the inbox keeps", () => {
  it("keeps the keys after the cut up to 16 KiB of them, and counts the rest", () => {
    const inbox = ApprovalInbox.open(stateFolder());
    const args: Record<string, string> = { pad: "x".repeat(70_000) };
    for (let index = 0; index < 3000; index += 1) args[`key${String(index).padStart(5, "0")}`] = "";
    const submitted = inbox.submit(pendingInput({ arguments: args }));
    const [waiting] = listPending(stateFolder());
    expect(waiting?.argumentsTruncated).toBe(true);
    const kept = 16 * 1024;
    const perKey = '"key00000"'.length;
    expect(waiting?.keysAfterCut.slice(0, 2)).toEqual(['"key00000"', '"key00001"']);
    expect(waiting?.keysAfterCut.at(-1)).toBe(`…⟨${3000 - Math.floor(kept / perKey)} more keys⟩`);
    expect(waiting?.keysAfterCut).toHaveLength(Math.floor(kept / perKey) + 1);
    submitted.withdraw("done");
    inbox.close();
  });
});

describe("withdrawing a call a person has just answered", () => {
  it("gives back the answer that took the decision slot first, so the wrap can honour what the person was told", async () => {
    const dir = stateFolder();
    const inbox = ApprovalInbox.open(dir);
    const submitted = inbox.submit(pendingInput());
    // The real CLI answers; the wrap withdraws (its timeout) before it has read the answer.
    const cli = spawnSync(process.execPath, [policylayerBin, "approve", submitted.id, "--yes"], {
      env: { ...process.env, POLICYLAYER_STATE_DIR: dir },
      encoding: "utf8",
    });
    expect(cli.stdout).toBe(`approved ${submitted.id}  recording › delete_stack\n`);
    expect(submitted.withdraw("no answer within 120 s")).toMatchObject({
      approved: true,
      decidedBy: `cli:${localUserName()}`,
    });
    expect(recentDecisions(dir).map((decision) => decision.outcome)).toEqual(["approved"]);
    expect(listPending(dir)).toEqual([]);
    inbox.close();
  });
});

describe("an answer given in time and read after the timeout", () => {
  it("runs the call the person was told is approved, not a timeout denial", async () => {
    const dir = stateFolder();
    const inbox = ApprovalInbox.open(dir);
    const coordinator = createApprovalCoordinator({
      channels: () => [
        inboxChannel(
          () => inbox,
          { session: "s", server: "recording" },
          () => {},
        ),
      ],
      maxPending: 4,
      sendProgress: () => {},
      progressIntervalMs: 60_000,
      announce: () => {},
    });
    const asked = coordinator.approver(question(3));
    if (asked === null) throw new Error("the inbox channel did not ask");
    const [waiting] = listPending(dir);
    if (waiting === undefined) throw new Error("no call waits in the inbox");
    // The real CLI answers while this wrap is busy; the wrap reads the answer once its timeout is due.
    const cli = spawnSync(process.execPath, [policylayerBin, "approve", waiting.id, "--yes"], {
      env: { ...process.env, POLICYLAYER_STATE_DIR: dir },
      encoding: "utf8",
    });
    expect(cli.stdout).toBe(`approved ${waiting.id}  recording › delete_stack\n`);
    stallUntil(waiting.expiresAt + 100);
    await expect(within(asked.answer, 10_000, "the approval's answer")).resolves.toMatchObject({
      approved: true,
      decidedBy: `cli:${localUserName()}`,
    });
    expect(recentDecisions(dir).map((decision) => decision.outcome)).toEqual(["approved"]);
    inbox.close();
  });
});
