import { afterEach, describe, expect, it } from "vitest";
import type { Connected } from "../helpers/clients.js";
import { tempDir, writePolicy } from "../helpers/tmp.js";
import { callOutcome, limitsJson, passes, wrapOnMachine } from "./helpers.js";

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

let opened: Connected[] = [];
let dirs: { cleanup: () => void }[] = [];
afterEach(async () => {
  await Promise.all(opened.map((connected) => connected.close()));
  for (const dir of dirs) dir.cleanup();
  opened = [];
  dirs = [];
});

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
