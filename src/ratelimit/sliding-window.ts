import { bucketTimeMs, fitsWithin, millisecondsUntilFits } from "./arithmetic.js";

/**
 * The amounts counted for one key: times ascending from `head` on, one entry per time bucket (calls
 * in the same bucket add up: see bucketTimeMs), so a key holds at most MAX_BUCKETS_PER_WINDOW + 1.
 */
interface KeyWindow {
  timesMs: number[];
  amounts: number[];
  /** Index of the oldest counted entry; the ones before it left the window (dropped in bulk). */
  head: number;
  /** The sum of amounts[head..]. */
  total: number;
}

/** A window's buckets that are still in it, oldest first. */
function* bucketsOf(window: KeyWindow): Generator<[number, number]> {
  for (let i = window.head; i < window.timesMs.length; i++)
    yield [window.timesMs[i] as number, window.amounts[i] as number];
}

/** Dropped entries are cut off the front once there are this many and they are half the array. */
const COMPACT_AFTER = 1024;

/**
 * Counts calls (or sums amounts) per key over a sliding window, inside this process: the session
 * scope. Time is passed in by the caller, so tests drive it. An amount counted at time t counts
 * while now < t + window.
 */
export class SlidingWindowLimiter {
  private readonly windows = new Map<string, KeyWindow>();

  /**
   * Counts `amount` (default one call) and returns 0 when the window's sum stays within `max`;
   * otherwise counts nothing and returns the milliseconds until enough has left the window.
   */
  take(key: string, max: number, windowMs: number, nowMs: number, amount = 1): number {
    const retryAfterMs = this.retryAfter(key, max, windowMs, nowMs, amount);
    if (retryAfterMs === 0) this.add(key, bucketTimeMs(nowMs, windowMs), amount);
    return retryAfterMs;
  }

  /** 0 when `amount` fits the window now, else the milliseconds until it would (Infinity: never). */
  retryAfter(key: string, max: number, windowMs: number, nowMs: number, amount: number): number {
    const window = this.windows.get(key);
    if (window === undefined) return fitsWithin(0, amount, max) ? 0 : Number.POSITIVE_INFINITY;
    this.expire(window, windowMs, nowMs);
    if (fitsWithin(window.total, amount, max)) return 0;
    return millisecondsUntilFits(window.total, amount, max, windowMs, nowMs, bucketsOf(window));
  }

  /**
   * Counts `amount` in the bucket at `timeMs` (bucketTimeMs) without checking (the caller checked
   * with retryAfter); returns the time it was counted at, which giveBack needs. A time before the
   * newest bucket's (the clock stepped back, or a reload made a window's buckets finer) is counted
   * in that bucket: the times stay in order, and the amount leaves no sooner than its window.
   */
  add(key: string, timeMs: number, amount: number): number {
    let window = this.windows.get(key);
    if (window === undefined) {
      window = { timesMs: [], amounts: [], head: 0, total: 0 };
      this.windows.set(key, window);
    }
    const last = window.timesMs.length - 1;
    const newestMs = last >= window.head ? (window.timesMs[last] as number) : null;
    window.total += amount;
    if (newestMs !== null && newestMs >= timeMs) {
      window.amounts[last] = (window.amounts[last] as number) + amount;
      return newestMs;
    }
    window.timesMs.push(timeMs);
    window.amounts.push(amount);
    return timeMs;
  }

  /** Gives back what `add` counted at `timeMs` (a reservation released); nothing when it already left. */
  giveBack(key: string, timeMs: number, amount: number): void {
    const window = this.windows.get(key);
    if (window === undefined) return;
    const { timesMs, amounts } = window;
    // Reservations are released soon after they were made: search from the newest entry.
    for (let i = timesMs.length - 1; i >= window.head; i--) {
      const time = timesMs[i] as number;
      if (time < timeMs) return;
      if (time !== timeMs) continue;
      const taken = Math.min(amount, amounts[i] as number);
      amounts[i] = (amounts[i] as number) - taken;
      window.total = Math.max(0, window.total - taken);
      return;
    }
  }

  /** What is counted now and when its oldest part leaves: for `policylayer limits`-style reports. */
  usage(key: string, windowMs: number, nowMs: number): { used: number; oldestMs: number | null } {
    const window = this.windows.get(key);
    if (window === undefined) return { used: 0, oldestMs: null };
    this.expire(window, windowMs, nowMs);
    const oldest = window.timesMs[window.head];
    return { used: window.total, oldestMs: oldest === undefined ? null : oldest };
  }

  /** Drops the state of keys not listed: after a reload, of rules that disappeared or changed. */
  retainOnly(keys: Iterable<string>): void {
    const keep = new Set(keys);
    for (const key of this.windows.keys()) if (!keep.has(key)) this.windows.delete(key);
  }

  /** Drops the entries that left the window; an emptied window's total is exactly 0 again. */
  private expire(window: KeyWindow, windowMs: number, nowMs: number): void {
    const { timesMs, amounts } = window;
    let head = window.head;
    let total = window.total;
    while (head < timesMs.length && (timesMs[head] as number) + windowMs <= nowMs) {
      total -= amounts[head] as number;
      head++;
    }
    if (head === timesMs.length) total = 0;
    if (head >= COMPACT_AFTER && head * 2 >= timesMs.length) {
      timesMs.splice(0, head);
      amounts.splice(0, head);
      head = 0;
    }
    window.head = head;
    window.total = total;
  }
}
