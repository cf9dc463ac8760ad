/**
 * Fractional amounts are summed in floating point, where 0.1 + 0.2 is a hair over 0.3: a sum within
 * one part in a billion of `max` counts as reaching it. Whole numbers below 2^53 add up exactly.
 */
const RELATIVE_TOLERANCE = 1e-9;

/** Whether `amount` more keeps a window's sum `used` within `max` (inclusive). */
export function fitsWithin(used: number, amount: number, max: number): boolean {
  return used + amount <= max + max * RELATIVE_TOLERANCE;
}

/**
 * The milliseconds until enough of a window's entries (times and amounts, oldest first from
 * `from`) have left it for `amount` to fit; Infinity when it never will (amount over max).
 */
export function millisecondsUntilFits(
  used: number,
  amount: number,
  max: number,
  windowMs: number,
  nowMs: number,
  from: number,
  timesMs: readonly number[],
  amounts: readonly number[],
): number {
  if (!fitsWithin(0, amount, max)) return Number.POSITIVE_INFINITY;
  let left = used;
  for (let i = from; i < timesMs.length; i++) {
    left -= amounts[i] as number;
    if (i === timesMs.length - 1 || fitsWithin(left, amount, max))
      return Math.max(1, (timesMs[i] as number) + windowMs - nowMs);
  }
  return Math.max(1, windowMs);
}
