import { describe, expect, it } from "vitest";
import { SlidingWindowLimiter } from "../../src/ratelimit/sliding-window.js";

/** One call through the limiter, as the proxy makes it, with its answer spelled out. */
function attempt(limiter: SlidingWindowLimiter, key: string, max: number, windowMs: number, nowMs: number) {
  const retryAfterMs = limiter.take(key, max, windowMs, nowMs);
  return retryAfterMs === 0 ? { allowed: true } : { allowed: false, retryAfterMs };
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

  it("keeps counting exactly across many windows of a busy key (dropped calls are cut off in bulk)", () => {
    const limiter = new SlidingWindowLimiter();
    let allowed = 0;
    // 10 calls per ms for 5 s against at most 2,000 calls per second.
    for (let t = 0; t < 5_000; t++)
      for (let n = 0; n < 10; n++) if (attempt(limiter, "r", 2_000, 1_000, t).allowed) allowed++;
    expect(allowed).toBe(10_000);
    expect(attempt(limiter, "r", 2_000, 1_000, 5_000)).toEqual({ allowed: true });
  });

  it("keeps only the newest max calls when a reload lowers max", () => {
    const limiter = new SlidingWindowLimiter();
    for (let t = 0; t < 5; t++) attempt(limiter, "r", 5, 60_000, t * 1_000);
    expect(attempt(limiter, "r", 2, 60_000, 10_000)).toEqual({ allowed: false, retryAfterMs: 53_000 });
  });
});
