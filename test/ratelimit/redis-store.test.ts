// The Redis store's scripts on a real Redis, below the wrap: counters of many buckets, and what
// `policylayer limits` reads from them.
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Approver } from "../../src/approval/request.js";
import { AuditLog } from "../../src/audit/log.js";
import { parsePolicy } from "../../src/policy/load.js";
import type { CompiledRule } from "../../src/policy/types.js";
import { Gate } from "../../src/proxy/gate.js";
import { Limiter } from "../../src/ratelimit/limiter.js";
import { RedisLimitStore } from "../../src/ratelimit/redis-store.js";
import { requestEraOf } from "../../src/wire/era.js";
import { type RunningRedis, startRedis } from "../helpers/redis.js";
import { tempDir } from "../helpers/tmp.js";

let redis: RunningRedis;
let admin: Redis;
const stores: RedisLimitStore[] = [];
beforeAll(async () => {
  redis = await startRedis();
  admin = new Redis(redis.url);
});
afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
});
afterAll(async () => {
  admin?.disconnect();
  await redis?.cleanup();
});

let prefixes = 0;
/** A store opened on the test Redis under a key prefix of its own, connected. */
async function storeUnderOwnPrefix(): Promise<{ store: RedisLimitStore; prefix: string }> {
  const prefix = `rs${++prefixes}:`;
  const store = RedisLimitStore.open(redis.url, prefix, () => {});
  stores.push(store);
  const problem = await store.connected;
  if (problem !== null) throw new Error(`the test Redis did not connect: ${problem.message}`);
  return { store, prefix };
}

/** The Redis server's clock in ms (the store counts by it). */
async function redisNowMs(): Promise<number> {
  const [seconds, micros] = await admin.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

/** Waits until the Redis server's clock reads `ms` or later; fails after 10 s of waiting. */
async function redisClockReaches(ms: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await redisNowMs()) < ms) {
    if (Date.now() > deadline) throw new Error(`waited 10 s for the Redis clock to reach ${ms}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("a Redis counter of many time buckets", () => {
  it("refuses a call that would need more than 8,000 of them to leave as over the limit, not as an unreachable store (which on_unavailable: allow let through)", async () => {
    const { store, prefix } = await storeUnderOwnPrefix();
    const parsed = parsePolicy(
      `version: 1
default: deny
state: { store: redis, key_prefix: "${prefix}", on_unavailable: allow }
rules:
  - { id: spend, tool: pay, action: allow, budget: { sum: args.amount, max: 12000, window: 600, scope: global } }
`,
      "many-buckets.yaml",
    );
    if (!parsed.ok) throw new Error(`test policy does not validate: ${parsed.errors[0]?.message}`);
    const policy = parsed.policy;
    const rule = policy.rules[0] as CompiledRule;
    const key = `${prefix}budget:{spend}:global`;
    const windowMs = 600_000;
    // 12,000 calls of 1, each in a bucket of its own (10 ms for a 600 s window), as a busy
    // minute leaves them: written as the reserve script writes them, in one pipeline.
    const buckets = 12_000;
    const newest = Math.floor((await redisNowMs()) / 10) * 10;
    const times = Array.from({ length: buckets }, (_, i) => String(newest - 10 * (buckets - 1 - i)));
    const hash: string[] = [
      "total",
      String(buckets),
      "window",
      String(windowMs),
      "oldest",
      times[0] as string,
    ];
    for (const time of times) hash.push(time, "1");
    const timesKey = `${prefix}times:budget:{spend}:global`;
    await admin
      .multi()
      .hset(key, ...hash)
      .zadd(timesKey, ...times.flatMap((time) => [time, time]))
      .pexpireat(key, newest + windowMs)
      .pexpireat(timesKey, newest + windowMs)
      .exec();
    const answer = await store.reserve([{ key, max: 12_000, windowMs, amount: 5_000 }]);
    expect(answer).toMatchObject({ kind: "over", index: 0, used: 12_000 });
    const limiter = new Limiter({
      serverLabel: "test",
      sharedStore: () => ({ store, unavailableBecause: "" }),
    });
    const verdict = await limiter.reserve(policy, rule, { name: "pay", arguments: { amount: 5_000 } }, true);
    expect(verdict.pass).toBe(false);
    if (!verdict.pass) expect(verdict.reason).toContain("0 is left; enough frees up in");
  });
});

describe("what policylayer limits reads from a Redis counter", () => {
  it("is nothing while only amounts of 0 are counted, and times the next unit by the oldest amount above 0", async () => {
    const { store, prefix } = await storeUnderOwnPrefix();
    const request = { key: `${prefix}budget:{spend}:global`, max: 10, windowMs: 60_000, amount: 0 };
    expect((await store.reserve([request])).kind).toBe("counted");
    expect(await store.usage(prefix)).toEqual([]);
    await redisClockReaches((await redisNowMs()) + 1_500);
    expect((await store.reserve([{ ...request, amount: 2 }])).kind).toBe("counted");
    const [usage] = await store.usage(prefix);
    expect(usage?.used).toBe(2);
    // The amount of 0, counted 1.5 s earlier, frees nothing when it leaves.
    expect(usage?.freesInMs).toBeGreaterThan(59_000);
  });
});

describe("resetting the counts of a key_prefix in Redis", () => {
  it("removes its counters (one rule's, or all), and no key of another prefix or of anyone else", async () => {
    const { store, prefix } = await storeUnderOwnPrefix();
    const longer = `${prefix}staging:`;
    const counted = (key: string) => ({ key, max: 5, windowMs: 60_000, amount: 1 });
    const a = `${prefix}rate_limit:{a}:global`;
    const b = `${prefix}budget:{b}:server:srv:1`;
    const staging = `${longer}rate_limit:{a}:global`;
    for (const key of [a, b]) expect((await store.reserve([counted(key)])).kind).toBe("counted");
    // Another policy's, whose key_prefix starts with this one's.
    const other = RedisLimitStore.open(redis.url, longer, () => {});
    stores.push(other);
    expect((await other.reserve([counted(staging)])).kind).toBe("counted");
    await admin.set(`${prefix}someone-else`, "kept");
    await admin.set(`${prefix}rate_limit:not-a-counter`, "kept");
    const keys = async () => (await admin.keys(`${prefix}*`)).sort();
    const before = await keys();
    expect(await store.reset(prefix, `${prefix}budget:{b}:`)).toBe(1);
    expect(await keys()).toEqual(before.filter((key) => !key.endsWith("budget:{b}:server:srv:1")));
    expect(await store.reset(prefix)).toBe(1);
    expect(await keys()).toEqual(
      [
        `${prefix}someone-else`,
        `${prefix}rate_limit:not-a-counter`,
        staging,
        `${prefix}staging:times:rate_limit:{a}:global`,
      ].sort(),
    );
  });
});

describe("the expiry of a Redis counter's keys", () => {
  it("is never before its newest bucket leaves, when a bucket earlier than that one is opened (a reload gave the rule a shorter window)", async () => {
    const { store, prefix } = await storeUnderOwnPrefix();
    const key = `${prefix}rate_limit:{acts}:global`;
    const request = { key, max: 10, windowMs: 86_400_000, amount: 1 };
    // A day's buckets are 1.44 s, the time rounded up: find one at least 20 ms ahead of the clock.
    let dayBucketMs = 0;
    for (let attempt = 0; ; attempt++) {
      const answer = await store.reserve([request]);
      if (answer.kind !== "counted") throw new Error(`expected the call to be counted, got ${answer.kind}`);
      dayBucketMs = answer.entries[0]?.timeMs ?? 0;
      if (dayBucketMs - (await redisNowMs()) >= 20) break;
      if (attempt === 5) throw new Error("no day bucket 20 ms ahead of the Redis clock in 6 tries");
      await redisClockReaches(dayBucketMs + 1);
    }
    // The same rule (kept by its id) with a window of a minute: buckets of 1 ms, now before the day's bucket.
    const minute = await store.reserve([{ ...request, windowMs: 60_000 }]);
    if (minute.kind !== "counted") throw new Error(`expected the call to be counted, got ${minute.kind}`);
    expect(minute.entries[0]?.timeMs).toBeLessThan(dayBucketMs);
    for (const counterKey of [key, `${prefix}times:rate_limit:{acts}:global`])
      expect(Number(await admin.call("PEXPIRETIME", counterKey))).toBeGreaterThanOrEqual(
        dayBucketMs + 60_000,
      );
  });
});

describe("a call withdrawn while the Redis store is asked about it", () => {
  it("asks nobody when it would have waited for approval (the client cancelled it, or the server exited)", async () => {
    const { store, prefix } = await storeUnderOwnPrefix();
    const parsed = parsePolicy(
      `version: 1
default: deny
state: { store: redis, key_prefix: "${prefix}" }
rules:
  - { id: asked, tool: act, action: require_approval, rate_limit: { max: 5, window: 600, scope: global } }
`,
      "withdrawn.yaml",
    );
    if (!parsed.ok) throw new Error(`test policy does not validate: ${parsed.errors[0]?.message}`);
    const dir = tempDir();
    const audit = AuditLog.open(join(dir.path, "audit.jsonl"), { event: "session_start" });
    const asked: string[] = [];
    // Refuses at once, so that a question asked for the withdrawn call ends the verdict too.
    const approver: Approver = (question) => {
      asked.push(question.call.name);
      return {
        answer: Promise.resolve({ approved: false, channel: "test", decidedBy: "tester", reason: "asked" }),
        withdraw: () => {},
      };
    };
    const gate = new Gate({
      policy: parsed.policy,
      audit,
      sessionId: "s",
      serverLabel: "test",
      approver,
      limiter: new Limiter({ serverLabel: "test", sharedStore: () => ({ store, unavailableBecause: "" }) }),
      warn: () => {},
    });
    try {
      const pending = gate.decideCall({
        id: 1,
        call: { name: "act", arguments: {} },
        progressToken: null,
        argumentsJson: "{}",
        era: requestEraOf(undefined),
        roundTrip: {},
      });
      if (!("verdict" in pending)) throw new Error("expected the call to wait for the Redis store");
      pending.withdraw("the client cancelled the request");
      const verdict = await pending.verdict;
      expect(verdict.forward).toBe(false);
      expect(!verdict.forward && "denial" in verdict ? verdict.denial.reason : "").toBe(
        "the client cancelled the request",
      );
      expect(asked).toEqual([]);
    } finally {
      audit.close();
      dir.cleanup();
    }
  });
});
