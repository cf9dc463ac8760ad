import { describe, expect, it } from "vitest";
import { SlidingWindowLimiter } from "../../src/ratelimit/sliding-window.js";

/** Checks and, when allowed, records one call, as the proxy does. */
function attempt(limiter: SlidingWindowLimiter, key: string, max: number, windowMs: number, nowMs: number) {
  const result = limiter.check(key, max, windowMs, nowMs);
  if (result.allowed) limiter.record(key, windowMs, nowMs);
  return result;
}

describe("SlidingWindowLimiter", () => {
  it("lets max calls through, then refuses with the exact time until the oldest leaves the window", () => {
    const limiter = new SlidingWindowLimiter();
    expect(attempt(limiter, "r", 3, 60_000, 1_000)).toEqual({ allowed: true });
    expect(attempt(limiter, "r", 3, 60_000, 2_000)).toEqual({ allowed: true });
    expect(attempt(limiter, "r", 3, 60_000, 5_000)).toEqual({ allowed: true });
    expect(attempt(limiter, "r", 3, 60_000, 10_000)).toEqual({ allowed: false, retryAfterMs: 51_000 });
  });

  it("lets a call through again once the oldest call has left the window", () => {
    const limiter = new SlidingWindowLimiter();
    attempt(limiter, "r", 2, 1_000, 0);
    attempt(limiter, "r", 2, 1_000, 400);
    expect(attempt(limiter, "r", 2, 1_000, 999)).toEqual({ allowed: false, retryAfterMs: 1 });
    expect(attempt(limiter, "r", 2, 1_000, 1_000)).toEqual({ allowed: true });
    expect(attempt(limiter, "r", 2, 1_000, 1_100)).toEqual({ allowed: false, retryAfterMs: 300 });
  });

  it("does not count refused calls", () => {
    const limiter = new SlidingWindowLimiter();
    attempt(limiter, "r", 1, 1_000, 0);
    for (let t = 1; t < 1_000; t += 100) attempt(limiter, "r", 1, 1_000, t);
    expect(attempt(limiter, "r", 1, 1_000, 1_000)).toEqual({ allowed: true });
  });

  it("counts each key on its own", () => {
    const limiter = new SlidingWindowLimiter();
    attempt(limiter, "a", 1, 1_000, 0);
    expect(attempt(limiter, "b", 1, 1_000, 0)).toEqual({ allowed: true });
    expect(attempt(limiter, "a", 1, 1_000, 0).allowed).toBe(false);
  });

  it("forgets keys that retainOnly does not list, and keeps those it does", () => {
    const limiter = new SlidingWindowLimiter();
    attempt(limiter, "kept", 1, 60_000, 0);
    attempt(limiter, "dropped", 1, 60_000, 0);
    limiter.retainOnly(["kept"]);
    expect(attempt(limiter, "kept", 1, 60_000, 1).allowed).toBe(false);
    expect(attempt(limiter, "dropped", 1, 60_000, 1)).toEqual({ allowed: true });
  });
});
