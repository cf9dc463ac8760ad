/**
 * Fractional amounts are summed in floating point, where 0.1 + 0.2 is a hair over 0.3: a sum of
 * them within one part in 10^9 of `max` counts as reaching it (100,000 calls of 0.1 drift by two
 * parts in 10^9 of a max of 10,000: 1e-12 refused the last of them). Whole numbers below 2^53 add up
 * exactly: with `used`, `amount` and `max` all whole, the sum is compared as it is, so no rate limit
 * or whole budget lets one unit more through.
 */
export const RELATIVE_TOLERANCE = 1e-9;

/** Whether `amount` more keeps a window's sum `used` within `max` (inclusive). */
export function fitsWithin(used: number, amount: number, max: number): boolean {
  const sum = used + amount;
  if (sum <= max) return true;
  if (Number.isInteger(used) && Number.isInteger(amount) && Number.isInteger(max)) return false;
  return sum <= max + max * RELATIVE_TOLERANCE;
}

/**
 * An amount as people read it: to 15 significant digits of `scale` (the budget's max), so that
 * summing's float noise does not show (0.3, not 0.30000000000000004) and an amount far below a
 * millionth does not round away (0.0000005 left of a max of 0.001, not 0.000001).
 */
export function amountText(value: number, scale: number = value): string {
  if (Number.isInteger(value)) return String(value);
  const magnitude = Math.max(Math.abs(scale), Math.abs(value));
  // Node 20's Intl takes at most 20 fraction digits: an amount below that, not noise, is written as it is.
  const decimals = Math.min(20, Math.max(0, 15 - Math.ceil(Math.log10(magnitude))));
  const text = value.toLocaleString("en-US", { maximumFractionDigits: decimals, useGrouping: false });
  return Number(text) === 0 && Math.abs(value) >= magnitude * 1e-15 ? String(value) : text;
}

/**
 * The milliseconds until enough of a window's buckets (time and amount, oldest first) have left it
 * for `amount` to fit; Infinity when it never will (amount over max). Reads only as many buckets
 * as it needs, so a full counter of many buckets is not read whole for each call it refuses.
 */
export function millisecondsUntilFits(
  used: number,
  amount: number,
  max: number,
  windowMs: number,
  nowMs: number,
  buckets: Iterable<readonly [timeMs: number, amount: number]>,
): number {
  if (!fitsWithin(0, amount, max)) return Number.POSITIVE_INFINITY;
  let left = used;
  let lastMs: number | null = null;
  for (const [timeMs, bucketAmount] of buckets) {
    left -= bucketAmount;
    lastMs = timeMs;
    if (fitsWithin(left, amount, max)) break;
  }
  // The newest bucket gone, the window is empty.
  return lastMs === null ? Math.max(1, windowMs) : Math.max(1, lastMs + windowMs - nowMs);
}

/**
 * The most time buckets one counter holds: what keeps a counter's state bounded however large
 * its max (a million calls a minute is at most 60,001 buckets, not a million entries).
 */
export const MAX_BUCKETS_PER_WINDOW = 60_000;

/**
 * The time a call made at `nowMs` is counted at: rounded up to 1/60,000 of the window (1 ms for
 * windows up to a minute, 1.44 s for a day), so calls close together share a bucket and a call
 * never leaves its window before the window has passed.
 */
export function bucketTimeMs(nowMs: number, windowMs: number): number {
  const resolutionMs = Math.max(1, Math.ceil(windowMs / MAX_BUCKETS_PER_WINDOW));
  return Math.ceil(nowMs / resolutionMs) * resolutionMs;
}
