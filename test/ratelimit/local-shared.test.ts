import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Connected } from "../helpers/clients.js";
import { recordingServer } from "../helpers/paths.js";
import { readJsonLines, tempDir, writePolicy } from "../helpers/tmp.js";
import { callOutcome, cliOn, closedAfterEach, limitsJson, nth, passes, wrapOnMachine } from "./helpers.js";

const policyText = (max: number) => `version: 1
default: deny
rules:
  - id: shared-echo
    tool: echo
    action: allow
    rate_limit: { max: ${max}, window: 600, scope: global }
  - id: spend
    tool: get-sum
    action: allow
    budget: { sum: args.a, max: 10, window: 600 }
  - tool: get-env
    action: allow
`;

/** Polls `check` until it holds; fails naming `what` after `deadlineMs`. */
async function waitFor(
  what: string,
  deadlineMs: number,
  check: () => boolean | Promise<boolean>,
): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > deadlineMs)
      throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const { opened, dirs } = closedAfterEach();

async function machine(max: number, wraps: number) {
  const dir = tempDir();
  dirs.push(dir);
  const policy = writePolicy(dir.path, policyText(max));
  const clients = await Promise.all(Array.from({ length: wraps }, () => wrapOnMachine(policy, dir.path)));
  opened.push(...clients);
  return { dir: dir.path, policy, clients };
}

describe("the local store, shared by every wrap on the machine", () => {
  it("counts a global limit once across 8 wraps hammering it at once", async () => {
    const max = 37;
    const { clients, policy, dir } = await machine(max, 8);
    const outcomes = await Promise.all(
      clients.flatMap((connected, w) =>
        Array.from({ length: 10 }, (_, n) => callOutcome(connected.client, "echo", { message: `${w}-${n}` })),
      ),
    );
    console.log(
      `local store, 8 wraps: attempts ${outcomes.length}, passes ${passes(outcomes)}, expected ${max}`,
    );
    expect(passes(outcomes)).toBe(max);
    const otherDenials = outcomes.filter(
      (outcome) => outcome !== "pass" && !outcome.includes("rate limit of rule 1 (global scope)"),
    );
    expect(otherDenials).toEqual([]);
    expect(await limitsJson(dir, policy)).toContainEqual(
      expect.objectContaining({
        id: "shared-echo",
        kind: "rate_limit",
        scope: "global",
        server: null,
        max,
        used: max,
        remaining: 0,
      }),
    );
  });

  it("lets exactly one of racing wraps have the last unit, round after round", async () => {
    const rounds = 6;
    let attempts = 0;
    let passed = 0;
    const { clients } = await machine(1, 4);
    for (let round = 0; round < rounds; round++) {
      const outcomes = await Promise.all(
        clients.flatMap((connected) =>
          [1, 2].map(() => callOutcome(connected.client, "echo", { message: `r${round}` })),
        ),
      );
      attempts += outcomes.length;
      passed += passes(outcomes);
      expect(passes(outcomes)).toBe(round === 0 ? 1 : 0);
    }
    console.log(`local store race for the last unit: attempts ${attempts}, passes ${passed}, expected 1`);
  });
});

describe("a wrap killed with SIGKILL", () => {
  const killPolicy = `version: 1
default: deny
rules:
  - id: calls
    tool: [hang, echo]
    action: allow
    rate_limit: { max: 2, window: 12, scope: global }
`;

  /** The tools/call lines the recording server received. */
  function recordedCalls(recordFile: string): number {
    return readJsonLines(recordFile).filter((line) => line.method === "tools/call").length;
  }

  async function recordingWrap(dir: string, policy: string, recordFile: string): Promise<Connected> {
    const connected = await wrapOnMachine(policy, dir, { RECORD_FILE: recordFile }, [
      process.execPath,
      recordingServer,
    ]);
    opened.push(connected);
    return connected;
  }

  it("keeps the count of a call that reached the server, counts it once, and frees it when its window ends", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const policy = writePolicy(dir.path, killPolicy);
    const recordFile = join(dir.path, "record.jsonl");
    const doomed = await recordingWrap(dir.path, policy, recordFile);
    void doomed.client.callTool({ name: "hang", arguments: {} }).catch(() => {});
    await waitFor("the hanging call to reach the server", 10_000, () => recordedCalls(recordFile) === 1);
    const pid = doomed.transport.pid;
    expect(pid).not.toBeNull();
    process.kill(pid as number, "SIGKILL");
    const [row] = await limitsJson(dir.path, policy);
    expect(row).toMatchObject({ id: "calls", used: 1, remaining: 1 });
    const survivor = await recordingWrap(dir.path, policy, recordFile);
    expect(await callOutcome(survivor.client, "echo", { n: 1 })).toBe("pass");
    expect(await callOutcome(survivor.client, "echo", { n: 2 })).toContain(
      "rate limit of rule 1 (global scope)",
    );
    await waitFor("the killed wrap's unit to leave the 12 s window", 16_000, async () => {
      const rows = await limitsJson(dir.path, policy);
      return rows.every((r) => r.used === 0);
    });
  });

  it("loses no count for good and doubles none when wraps die in the middle of reservations", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const policy = writePolicy(
      dir.path,
      "version: 1\ndefault: deny\nrules:\n  - { id: many, tool: echo, action: allow, rate_limit: { max: 100000, window: 600, scope: global } }\n",
    );
    const records = Array.from({ length: 4 }, (_, i) => join(dir.path, `record-${i}.jsonl`));
    const wraps = await Promise.all(records.map((file) => recordingWrap(dir.path, policy, file)));
    const inFlight = 4;
    let stop = false;
    const loops = wraps.map(async (connected) => {
      const one = async () => {
        while (!stop) await connected.client.callTool({ name: "echo", arguments: {} });
      };
      await Promise.allSettled(Array.from({ length: inFlight }, one));
    });
    await waitFor("each wrap to have made some calls", 20_000, () =>
      records.every((file) => recordedCalls(file) >= 20),
    );
    for (const connected of wraps.slice(0, 2)) process.kill(connected.transport.pid as number, "SIGKILL");
    stop = true;
    await Promise.all(loops);
    const recorded = records.reduce((sum, file) => sum + recordedCalls(file), 0);
    const [row] = await limitsJson(dir.path, policy);
    const used = Number(row?.used);
    console.log(`SIGKILL mid-run: the servers received ${recorded} calls; the store counts ${used}`);
    // Every call a server received is counted; at most the calls in flight in the killed wraps more.
    expect(used).toBeGreaterThanOrEqual(recorded);
    expect(used).toBeLessThanOrEqual(recorded + 2 * inFlight);
    const after = await recordingWrap(dir.path, policy, join(dir.path, "record-after.jsonl"));
    expect(await callOutcome(after.client, "echo", {})).toBe("pass");
    expect((await limitsJson(dir.path, policy))[0]?.used).toBe(used + 1);
  });
});

describe("policylayer limits", () => {
  it("resets one rule's counts with --yes, and refuses to without a terminal or --yes", async () => {
    const { clients, policy, dir } = await machine(3, 1);
    const client = nth(clients, 0).client;
    expect(await callOutcome(client, "echo", { message: "1" })).toBe("pass");
    expect(await callOutcome(client, "get-sum", { a: 4, b: 1 })).toBe("pass");
    const rows = await limitsJson(dir, policy);
    expect(rows.map((row) => [row.id, row.kind, row.scope, row.server, row.used])).toEqual([
      ["shared-echo", "rate_limit", "global", null, 1],
      ["spend", "budget", "server", expect.stringContaining("server-everything"), 4],
    ]);
    const refused = await cliOn(dir, ["limits", "reset", "shared-echo", "--policy", policy]);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain("pass --yes");
    const reset = await cliOn(dir, ["limits", "reset", "shared-echo", "--policy", policy, "--yes"]);
    expect(reset.exitCode).toBe(0);
    expect((await limitsJson(dir, policy)).map((row) => row.id)).toEqual(["spend"]);
    expect(await callOutcome(client, "echo", { message: "2" })).toBe("pass");
    // --policy before reset names the same policy: its store is the one cleared.
    const before = await cliOn(dir, ["limits", "--policy", policy, "reset", "spend", "--yes"]);
    expect(before.exitCode, before.stderr).toBe(0);
    expect((await limitsJson(dir, policy)).map((row) => row.id)).toEqual(["shared-echo"]);
  });

  it("opens no store for a policy whose limits are all of session scope", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const policy = writePolicy(
      dir.path,
      "version: 1\ndefault: deny\nrules:\n  - { tool: echo, action: allow, rate_limit: { max: 1, window: 60 } }\n",
    );
    const connected = await wrapOnMachine(policy, dir.path);
    opened.push(connected);
    expect(await callOutcome(connected.client, "echo", { message: "1" })).toBe("pass");
    expect(await callOutcome(connected.client, "echo", { message: "2" })).toContain(
      "rate limit of rule 1: at most 1 calls in 60 s",
    );
    expect(existsSync(join(dir.path, "limits.db"))).toBe(false);
  });
});
