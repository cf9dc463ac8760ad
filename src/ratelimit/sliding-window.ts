/** The calls counted for one key: ascending times from `head` on, never more than `max` of them. */
interface KeyWindow {
  timestampsMs: number[];
  /** Index of the oldest counted call; the ones before it left the window (dropped in bulk). */
  head: number;
}

/** Dropped entries are cut off the front once there are this many and they are half the array. */
const COMPACT_AFTER = 1024;

/**
 * Counts calls per key (a rule's fingerprint) over a sliding window; time is passed in by the caller, so
 * tests drive it. A call at time t counts while now < t + window.
 */
export class SlidingWindowLimiter {
  private readonly windows = new Map<string, KeyWindow>();

  /**
   * Lets one call through and counts it when fewer than `max` calls were counted in the last `windowMs`
   * (returns 0); otherwise counts nothing and returns the milliseconds until the oldest counted call
   * leaves the window.
   */
  take(key: string, max: number, windowMs: number, nowMs: number): number {
    let window = this.windows.get(key);
    if (window === undefined) {
      window = { timestampsMs: [], head: 0 };
      this.windows.set(key, window);
    }
    const times = window.timestampsMs;
    let head = window.head;
    // Calls that left the window, and (after a reload lowered max) calls beyond the newest max.
    while (head < times.length && ((times[head] as number) + windowMs <= nowMs || times.length - head > max))
      head++;
    if (head >= COMPACT_AFTER && head * 2 >= times.length) {
      times.splice(0, head);
      head = 0;
    }
    window.head = head;
    if (times.length - head >= max) {
      // The call that must leave before one more fits is the max-th most recent, the oldest kept.
      return (times[head] ?? nowMs) + windowMs - nowMs;
    }
    times.push(nowMs);
    return 0;
  }

  /** Drops the state of keys not listed: after a reload, of rules that disappeared or changed. */
  retainOnly(keys: Iterable<string>): void {
    const keep = new Set(keys);
    for (const key of this.windows.keys()) if (!keep.has(key)) this.windows.delete(key);
  }
}
