// Where a sum reaches `max`: whole numbers exactly (no unit over, however large `max`), fractional
// amounts within floating point's rounding (0.1 + 0.2 fits 0.3). The same in the session's counts,
// the local store and a real Redis.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fitsWithin } from "../../src/ratelimit/arithmetic.js";
import { LocalLimitStore } from "../../src/ratelimit/local-store.js";
import { RedisLimitStore } from "../../src/ratelimit/redis-store.js";
import type { CounterRequest, SharedLimitStore } from "../../src/ratelimit/store.js";
import { type RunningRedis, startRedis } from "../helpers/redis.js";
import { tempDir } from "../helpers/tmp.js";

/** Each case: a max, the amounts reserved in turn, and which of them fit. */
const CASES: { max: number; amounts: number[]; fit: boolean[] }[] = [
  { max: 1e15, amounts: [1e15, 1], fit: [true, false] },
  { max: 1e15, amounts: [999_999_999_999_999, 1, 1], fit: [true, true, false] },
  { max: 1e9, amounts: [1e9, 1], fit: [true, false] },
  { max: 0.3, amounts: [0.1, 0.2, 1e-6], fit: [true, true, false] },
  {
    max: 1,
    amounts: [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.001],
    fit: [...Array(10).fill(true), false],
  },
  { max: 10.5, amounts: [10, 0.5, 0.5], fit: [true, true, false] },
];

/** 100,000 calls of 0.1 against a max of 10,000: all fit, although their float sum drifts past it. */
const LONG_SUM = { max: 10_000, amount: 0.1, calls: 100_000 };

let counter = 0;
async function reserveInTurn(store: SharedLimitStore, max: number, amounts: number[]): Promise<boolean[]> {
  const key = `sums:budget:{case${++counter}}:global`;
  const fits: boolean[] = [];
  for (const amount of amounts) {
    const request: CounterRequest = { key, max, windowMs: 600_000, amount };
    fits.push((await store.reserve([request])).kind === "counted");
  }
  return fits;
}

describe("where a sum reaches max", () => {
  it("in the session's counts", () => {
    for (const { max, amounts, fit } of CASES) {
      let used = 0;
      const fits = amounts.map((amount) => {
        const fitting = fitsWithin(used, amount, max);
        if (fitting) used += amount;
        return fitting;
      });
      expect([max, amounts, fits]).toEqual([max, amounts, fit]);
    }
    let used = 0;
    let refused = 0;
    for (let call = 0; call < LONG_SUM.calls; call++) {
      if (fitsWithin(used, LONG_SUM.amount, LONG_SUM.max)) used += LONG_SUM.amount;
      else refused++;
    }
    expect(refused).toBe(0);
    expect(fitsWithin(used, LONG_SUM.amount, LONG_SUM.max)).toBe(false);
  });

  it("in the local store", async () => {
    const dir = tempDir();
    const store = LocalLimitStore.open(join(dir.path, "limits.db"));
    try {
      for (const { max, amounts, fit } of CASES)
        expect([max, amounts, await reserveInTurn(store, max, amounts)]).toEqual([max, amounts, fit]);
    } finally {
      await store.close();
      dir.cleanup();
    }
  });

  describe("in Redis", () => {
    let redis: RunningRedis | undefined;
    beforeAll(async () => {
      redis = await startRedis();
    });
    afterAll(async () => {
      await redis?.cleanup();
    });

    it("as in the other stores, from the first call after the store is opened", async () => {
      // Not waiting for `connected`: as after a reload that brings Redis in, the first call waits for
      // the first connection (it was refused as "not connected (connecting)").
      const store = RedisLimitStore.open((redis as RunningRedis).url, "sums:", () => {});
      try {
        for (const { max, amounts, fit } of CASES)
          expect([max, amounts, await reserveInTurn(store, max, amounts)]).toEqual([max, amounts, fit]);
      } finally {
        await store.close();
      }
    });
  });
});
