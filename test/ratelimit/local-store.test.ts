import { createRequire } from "node:module";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { LocalLimitStore } from "../../src/ratelimit/local-store.js";
import type { CounterRequest } from "../../src/ratelimit/store.js";
import { tempDir } from "../helpers/tmp.js";
import { localStoreAt } from "./helpers.js";

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const storeAt = (clock: { ms: number }) => localStoreAt(clock, cleanups);

function attempt(store: LocalLimitStore, request: CounterRequest) {
  const answer = store.reserve([request]);
  return answer.kind === "over"
    ? { allowed: false, retryAfterMs: answer.retryAfterMs }
    : { allowed: answer.kind === "counted" };
}

describe("the local store's windows", () => {
  it("slide: a call counts for exactly its window, with no clock buckets", () => {
    const clock = { ms: 0 };
    const store = storeAt(clock);
    const request = { key: "k", max: 2, windowMs: 1_000, amount: 1 };
    const at = (ms: number) => {
      clock.ms = ms;
      return attempt(store, request);
    };
    expect(at(0)).toEqual({ allowed: true });
    expect(at(400)).toEqual({ allowed: true });
    expect(at(999)).toEqual({ allowed: false, retryAfterMs: 1 });
    expect(at(1_000)).toEqual({ allowed: true });
    expect(at(1_100)).toEqual({ allowed: false, retryAfterMs: 300 });
  });

  it("sums amounts exactly up to an inclusive max, and says when enough frees up", () => {
    const clock = { ms: 0 };
    const store = storeAt(clock);
    const spend = (amount: number) => attempt(store, { key: "b", max: 0.3, windowMs: 10_000, amount });
    expect(spend(0.1)).toEqual({ allowed: true });
    clock.ms = 2_000;
    expect(spend(0.2)).toEqual({ allowed: true });
    expect(spend(0.1)).toEqual({ allowed: false, retryAfterMs: 8_000 });
    expect(spend(0)).toEqual({ allowed: true });
    expect(spend(0.4)).toEqual({ allowed: false, retryAfterMs: Number.POSITIVE_INFINITY });
  });

  it("reserves every counter of a call or none", () => {
    const store = storeAt({ ms: 5 });
    const full = { key: "full", max: 1, windowMs: 1_000, amount: 1 };
    const free = { key: "free", max: 1, windowMs: 1_000, amount: 1 };
    expect(store.reserve([full]).kind).toBe("counted");
    expect(store.reserve([free, full])).toMatchObject({ kind: "over", index: 1 });
    expect(store.reserve([free]).kind).toBe("counted");
  });

  it("gives a released reservation back, and reports what is used and when it frees up", async () => {
    const clock = { ms: 1_000 };
    const store = storeAt(clock);
    const request = { key: "p:rate_limit:{r}:global", max: 5, windowMs: 60_000, amount: 1 };
    const held = store.reserve([request]);
    clock.ms = 2_000;
    store.reserve([request]);
    if (held.kind === "counted") store.release(held.entries);
    clock.ms = 3_000;
    expect(await store.usage("p:")).toEqual([{ key: request.key, used: 1, freesInMs: 59_000 }]);
    expect(await store.reset("p:")).toBe(1);
    expect(await store.usage("p:")).toEqual([]);
  });

  it("reports and resets the counters of a key_prefix with a character beyond the BMP (JavaScript counts it as two, SQLite as one)", async () => {
    const store = storeAt({ ms: 1_000 });
    const request = { key: "🔒team:rate_limit:{r}:global", max: 5, windowMs: 60_000, amount: 1 };
    expect(store.reserve([request]).kind).toBe("counted");
    expect(await store.usage("🔒team:")).toEqual([{ key: request.key, used: 1, freesInMs: 60_000 }]);
    expect(await store.reset("🔒team:", "🔒team:rate_limit:{r}:")).toBe(1);
    expect(await store.usage("🔒team:")).toEqual([]);
  });

  it("resets the counters of its key_prefix only, not those of a longer key_prefix that starts with it (as Redis does)", async () => {
    const store = storeAt({ ms: 1_000 });
    const mine = { key: "team:rate_limit:{r}:global", max: 5, windowMs: 60_000, amount: 1 };
    const staging = { ...mine, key: "team:staging:rate_limit:{r}:global" };
    expect(store.reserve([mine]).kind).toBe("counted");
    expect(store.reserve([staging]).kind).toBe("counted");
    expect(await store.reset("team:")).toBe(1);
    expect((await store.usage("team:")).map((usage) => usage.key)).toEqual([staging.key]);
  });

  it("after another process's lock made a call wait its second out, does not wait again until the lock is let go", () => {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const path = join(dir.path, "limits.db");
    const store = LocalLimitStore.open(path);
    cleanups.push(() => store.close());
    const request = { key: "k", max: 5, windowMs: 60_000, amount: 1 };
    expect(store.reserve([request]).kind).toBe("counted");
    // Another connection (as another process would) holds the write lock.
    const Database = createRequire(import.meta.url)("libsql");
    const holder = new Database(path);
    holder.exec("BEGIN IMMEDIATE");
    expect(store.reserve([request])).toMatchObject({ kind: "unavailable" });
    // Still locked: answered without a second's wait, and says so.
    expect(store.reserve([request])).toMatchObject({
      kind: "unavailable",
      message: expect.stringContaining("calls do not wait for it until it lets go"),
    });
    holder.exec("ROLLBACK");
    holder.close();
    // Let go: the next call counts, and the store waits for locks as before.
    expect(store.reserve([request]).kind).toBe("counted");
    expect(store.reserve([request]).kind).toBe("counted");
  });
});
