import { afterEach, describe, expect, it } from "vitest";
import { limitRows } from "../../src/cli/limits.js";
import { parsePolicy } from "../../src/policy/load.js";
import { bucketTimeMs } from "../../src/ratelimit/arithmetic.js";
import { sharedCounterKey } from "../../src/ratelimit/keys.js";
import { localStoreAt } from "./helpers.js";

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A policy of one rule `id` with the limit block `limitYaml`, its limit, and that limit's global counter key. */
function oneLimit(id: string, limitYaml: string) {
  const parsed = parsePolicy(
    `version: 1\ndefault: deny\nrules:\n  - { id: ${id}, tool: transfer, action: allow, ${limitYaml} }\n`,
    "limits-rows.yaml",
  );
  if (!parsed.ok) throw new Error(`test policy does not validate: ${parsed.errors[0]?.message}`);
  const policy = parsed.policy;
  const limit = policy.rules[0]?.limits[0];
  if (limit === undefined) throw new Error("the test rule has no limit");
  return { policy, key: sharedCounterKey(policy.state.keyPrefix, limit, "unused for global scope") };
}

const storeAt = (clock: { ms: number }) => localStoreAt(clock, cleanups);

describe("policylayer limits --json rows", () => {
  it("never say the next unit frees up later than a window from now, though its time bucket was rounded up", async () => {
    const { policy, key } = oneLimit("daily", "rate_limit: { max: 5, window: 86400, scope: global }");
    const windowMs = 86_400_000;
    // Just past a bucket boundary: the call is counted at the next one, 1,439 ms later.
    const clock = { ms: 1_440 * 1_000_000 + 1 };
    expect(bucketTimeMs(clock.ms, windowMs) - clock.ms).toBe(1_439);
    const store = storeAt(clock);
    expect(store.reserve([{ key, max: 5, windowMs, amount: 1 }]).kind).toBe("counted");
    const [usage] = await store.usage(policy.state.keyPrefix);
    expect(usage?.freesInMs).toBe(windowMs + 1_439);
    const rows = await limitRows(policy, store);
    expect(rows).toMatchObject([{ id: "daily", used: 1, window_seconds: 86_400, frees_in_seconds: 86_400 }]);
    clock.ms += 10_000;
    expect((await limitRows(policy, store))[0]?.frees_in_seconds).toBe(86_392);
  });

  it("say nothing is used while only amounts of 0 are counted, and time the next unit by the oldest amount above 0", async () => {
    const { policy, key } = oneLimit(
      "spend",
      "budget: { sum: args.amount, max: 10, window: 600, scope: global }",
    );
    const clock = { ms: 1_000_000 };
    const store = storeAt(clock);
    const request = { key, max: 10, windowMs: 600_000, amount: 0 };
    expect(store.reserve([request]).kind).toBe("counted");
    expect(await limitRows(policy, store)).toEqual([]);
    clock.ms += 100_000;
    expect(store.reserve([{ ...request, amount: 2 }]).kind).toBe("counted");
    expect(await limitRows(policy, store)).toMatchObject([{ id: "spend", used: 2, frees_in_seconds: 600 }]);
  });
});

describe("policylayer limits --json rows of fractional amounts given back", () => {
  it("show nothing used once every amount in a bucket was given back, though floats left a remainder of 3e-17", async () => {
    const { policy, key } = oneLimit(
      "spend",
      "budget: { sum: args.amount, max: 0.3, window: 600, scope: global }",
    );
    const store = storeAt({ ms: 1_000_000 });
    // Two calls in one bucket (the clock stands still), both given back: 0.1 + 0.2 - 0.2 - 0.1 is not 0.
    const answers = [0.1, 0.2].map((amount) => store.reserve([{ key, max: 0.3, windowMs: 600_000, amount }]));
    for (const answer of answers.reverse()) {
      if (answer.kind !== "counted") throw new Error(`expected a counted reservation, got ${answer.kind}`);
      store.release(answer.entries);
    }
    expect(await limitRows(policy, store)).toEqual([]);
  });
});
