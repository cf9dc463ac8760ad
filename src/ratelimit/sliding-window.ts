/** The outcome of a rate-limit check: let through, or refused until the oldest counted call leaves the window. */
export type RateLimitCheck = { allowed: true } | { allowed: false; retryAfterMs: number };

/** The calls counted for one key: ascending times, never more than the key's `max`. */
interface KeyWindow {
  timestampsMs: number[];
  max: number;
}

/**
 * Counts calls per key (a rule's fingerprint) over a sliding window; time is passed in by the caller, so
 * tests drive it. A call at time t counts while now < t + window.
 */
export class SlidingWindowLimiter {
  private readonly windows = new Map<string, KeyWindow>();

  /** Whether one more call fits: fewer than `max` calls in the last `windowMs`. */
  check(key: string, max: number, windowMs: number, nowMs: number): RateLimitCheck {
    const window = this.pruned(key, windowMs, nowMs);
    window.max = max;
    if (window.timestampsMs.length > max) window.timestampsMs.splice(0, window.timestampsMs.length - max);
    if (window.timestampsMs.length < max) return { allowed: true };
    // The call that must leave before one more fits is the max-th most recent, i.e. the oldest kept.
    const oldestMs = window.timestampsMs[0] ?? nowMs;
    return { allowed: false, retryAfterMs: oldestMs + windowMs - nowMs };
  }

  /** Counts a call that was let through; keeps at most the `max` of the key's last check. */
  record(key: string, windowMs: number, nowMs: number): void {
    const window = this.pruned(key, windowMs, nowMs);
    window.timestampsMs.push(nowMs);
    if (window.timestampsMs.length > window.max) window.timestampsMs.shift();
  }

  /** Drops the state of keys not listed: after a reload, of rules that disappeared or changed. */
  retainOnly(keys: Iterable<string>): void {
    const keep = new Set(keys);
    for (const key of this.windows.keys()) if (!keep.has(key)) this.windows.delete(key);
  }

  /** The key's window with calls that left it removed (a call made before a check counts as max 1). */
  private pruned(key: string, windowMs: number, nowMs: number): KeyWindow {
    let window = this.windows.get(key);
    if (window === undefined) {
      window = { timestampsMs: [], max: 1 };
      this.windows.set(key, window);
    }
    const stillCounted = window.timestampsMs.findIndex((timestampMs) => timestampMs + windowMs > nowMs);
    if (stillCounted !== 0)
      window.timestampsMs.splice(0, stillCounted === -1 ? window.timestampsMs.length : stillCounted);
    return window;
  }
}
