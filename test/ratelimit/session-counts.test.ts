// Session-scope counts live in the wrap's memory, in time buckets kept oldest first. A bucket
// time can come out earlier than the newest one already there: the clock stepped back (NTP, a
// machine that woke up), or a reload gave a rule with an id a shorter window (finer buckets).
import { describe, expect, it } from "vitest";
import { parsePolicy } from "../../src/policy/load.js";
import type { CompiledPolicy, CompiledRule } from "../../src/policy/types.js";
import { Limiter, type Reservation } from "../../src/ratelimit/limiter.js";

function policyFrom(yaml: string): CompiledPolicy {
  const parsed = parsePolicy(yaml, "session-counts.yaml");
  if (!parsed.ok) throw new Error(`test policy does not validate: ${parsed.errors[0]?.message}`);
  return parsed.policy;
}

const withWindow = (windowSeconds: number) =>
  policyFrom(`version: 1
default: deny
rules:
  - { id: acts, tool: act, action: allow, rate_limit: { max: 2, window: ${windowSeconds} } }
`);

/** A limiter on a clock the test sets, and a way to try one call of `act` under a policy. */
function limiterAt(clock: { ms: number }) {
  const limiter = new Limiter({
    serverLabel: "test-server",
    now: () => clock.ms,
    sharedStore: () => ({ store: null, unavailableBecause: "session scope only" }),
  });
  const attempt = (policy: CompiledPolicy): Reservation | string => {
    const verdict = limiter.reserve(
      policy,
      policy.rules[0] as CompiledRule,
      { name: "act", arguments: {} },
      true,
    );
    if (verdict instanceof Promise) throw new Error("session scope answers at once");
    return verdict.pass ? verdict.reservation : verdict.reason;
  };
  return { limiter, attempt };
}

function reservationOf(outcome: Reservation | string): Reservation {
  if (typeof outcome === "string") throw new Error(`expected the call to pass, it was denied: ${outcome}`);
  return outcome;
}

describe("a session-scope count given back", () => {
  it("is given back after the clock stepped back between two calls", () => {
    const clock = { ms: 10_000_000 };
    const { attempt } = limiterAt(clock);
    const policy = withWindow(60);
    const first = reservationOf(attempt(policy));
    clock.ms -= 1_000;
    reservationOf(attempt(policy));
    first.release();
    expect(typeof attempt(policy)).not.toBe("string");
  });

  it("is given back after a reload shortened the window of its rule (kept by its id) and another call came", () => {
    const clock = { ms: 10_000_001 };
    const { limiter, attempt } = limiterAt(clock);
    // A day's buckets are 1.44 s: the first call is counted up to 1.44 s ahead of the clock.
    const first = reservationOf(attempt(withWindow(86_400)));
    const shorter = withWindow(60);
    limiter.retainOnly(shorter);
    reservationOf(attempt(shorter));
    first.release();
    expect(typeof attempt(shorter)).not.toBe("string");
  });

  it("frees a call counted after the clock stepped back no later than the window of the call before it", () => {
    const clock = { ms: 10_000_000 };
    const { attempt } = limiterAt(clock);
    const policy = withWindow(60);
    reservationOf(attempt(policy)).settle();
    clock.ms -= 1_000;
    reservationOf(attempt(policy)).settle();
    expect(attempt(policy)).toContain("at most 2 calls in 60 s");
    clock.ms = 10_000_000 + 60_000;
    expect(typeof attempt(policy)).not.toBe("string");
  });
});

describe("a budget's denial", () => {
  const tinyBudget = policyFrom(`version: 1
default: deny
rules:
  - { id: btc, tool: pay, action: allow, budget: { sum: args.amount, max: 0.001, window: 600, scope: session } }
`);

  it("says how much is left in amounts smaller than a millionth, as they are", () => {
    const { limiter } = limiterAt({ ms: 10_000_000 });
    const rule = tinyBudget.rules[0] as CompiledRule;
    const pay = (amount: number) =>
      limiter.reserve(tinyBudget, rule, { name: "pay", arguments: { amount } }, true);
    expect(pay(0.0009995)).toMatchObject({ pass: true });
    const denied = pay(0.000001);
    if (denied instanceof Promise || denied.pass) throw new Error("expected a denial at once");
    expect(denied.reason).toContain("may add up to at most 0.001 in 600 s; 0.0000005 is left;");
  });
});
