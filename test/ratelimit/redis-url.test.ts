// The Redis URL is read twice: by redisUrl (the check) and by ioredis (the connection). A URL the
// two would read differently is refused with a message saying how to write it, never crashes wrap,
// and never connects somewhere else than the check saw.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parsePolicy } from "../../src/policy/load.js";
import type { CompiledPolicy, StateSettings } from "../../src/policy/types.js";
import { LimitStoreConfigError, openSharedStoreAtStart, redisUrl } from "../../src/ratelimit/open-store.js";
import { RedisLimitStore } from "../../src/ratelimit/redis-store.js";
import { type RunningRedis, startRedis } from "../helpers/redis.js";

const state = (url: string): StateSettings => ({
  store: "redis",
  url,
  keyPrefix: "url-test:",
  onUnavailable: "deny",
});

/** The message redisUrl refuses `url` with (from $POLICYLAYER_REDIS_URL, which no schema checks). */
function refusalOf(url: string): string {
  try {
    redisUrl(state("redis://127.0.0.1:6379/0"), { POLICYLAYER_REDIS_URL: url });
  } catch (error) {
    if (error instanceof LimitStoreConfigError) return error.message;
    throw new Error(`redisUrl threw ${String(error)} for ${url}, not a LimitStoreConfigError`);
  }
  throw new Error(`redisUrl accepted ${url}`);
}

function policyOn(url: string, onUnavailable: "deny" | "allow"): CompiledPolicy {
  const parsed = parsePolicy(
    `version: 1
default: deny
state: { store: redis, url: "${url}", key_prefix: "url-test:", on_unavailable: ${onUnavailable} }
rules:
  - { id: echoes, tool: echo, action: allow, rate_limit: { max: 5, window: 60, scope: global } }
`,
    "redis-url.yaml",
  );
  if (!parsed.ok) throw new Error(`test policy does not validate: ${parsed.errors[0]?.message}`);
  return parsed.policy;
}

describe("a Redis URL that ioredis would read otherwise", () => {
  it("is refused when a % in the password starts no %XX escape (ioredis threw URIError out of wrap), naming %25", () => {
    const message = refusalOf("redis://:100%sure@127.0.0.1:6379/0");
    expect(message).toContain("$POLICYLAYER_REDIS_URL");
    expect(message).toContain("%25");
    expect(message).not.toContain("100%sure");
  });

  it("is refused when its scheme is in capitals: ioredis would connect to REDISS:// without TLS", () => {
    expect(refusalOf("REDISS://:secret@127.0.0.1:6380/0")).toContain("must start with redis:// or rediss://");
    expect(refusalOf("Redis://127.0.0.1:6379/0")).toContain("must start with redis:// or rediss://");
    expect(refusalOf(" rediss://127.0.0.1:6380/0")).toContain("must start with redis:// or rediss://");
    expect(refusalOf("REDISS://:secret@127.0.0.1:6380/0")).not.toContain("secret");
  });

  it("is refused when its database is not a number (ioredis sent SELECT NaN, and its error crashed wrap)", () => {
    expect(refusalOf("redis://127.0.0.1:6379/abc")).toContain("database");
    expect(refusalOf("redis://127.0.0.1:6379/0/1")).toContain("database");
  });

  it("is refused when it carries ?options, which would override the timeouts policylayer sets", () => {
    expect(refusalOf("redis://127.0.0.1:6379/0?connectTimeout=abc")).toContain("?options");
    expect(refusalOf("redis://127.0.0.1:6379/0?password=hidden")).not.toContain("hidden");
    expect(refusalOf("redis://127.0.0.1:6379/0#x")).toContain("#");
  });

  it("keeps wrap from starting with a clear message, or with on_unavailable: allow starts it and warns", async () => {
    const url = "redis://:100%sure@127.0.0.1:6379/0";
    await expect(openSharedStoreAtStart(policyOn(url, "deny"), () => {}, {})).rejects.toBeInstanceOf(
      LimitStoreConfigError,
    );
    const warnings: string[] = [];
    const handle = await openSharedStoreAtStart(
      policyOn(url, "allow"),
      (message) => warnings.push(message),
      {},
    );
    expect(handle.store).toBeNull();
    expect(warnings.join("\n")).toContain("%25");
  });
});

describe("a password with characters that mean something in a URL", () => {
  const PASSWORD = "p@ss:w/rd?#%&+ é";
  let redis: RunningRedis;
  beforeAll(async () => {
    redis = await startRedis({ password: PASSWORD });
  });
  afterAll(async () => {
    await redis?.cleanup();
  });

  it("connects and counts when written percent-encoded, and no message shows it", async () => {
    const url = `redis://:${encodeURIComponent(PASSWORD)}@127.0.0.1:${redis.port}/0`;
    expect(redisUrl(state(url), {})).toBe(url);
    const store = RedisLimitStore.open(url, "url-test:", () => {});
    try {
      expect(await store.connected).toBeNull();
      const answer = await store.reserve([
        { key: "url-test:rate_limit:{echoes}:global", max: 1, windowMs: 60_000, amount: 1 },
      ]);
      expect(answer.kind).toBe("counted");
    } finally {
      await store.close();
    }
  });
});

describe("a database number the Redis server does not have", () => {
  let redis: RunningRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.cleanup();
  });

  it("keeps wrap from starting (ioredis's SELECT failed, and every count went to database 0)", async () => {
    const url = `redis://127.0.0.1:${redis.port}/16`;
    const refusal = openSharedStoreAtStart(policyOn(url, "deny"), () => {}, {});
    await expect(refusal).rejects.toBeInstanceOf(LimitStoreConfigError);
    await expect(refusal).rejects.toThrow("database 16");
  });

  it("with on_unavailable: allow, starts, warns, and counts nothing in another database", async () => {
    const url = `redis://127.0.0.1:${redis.port}/16`;
    const warnings: string[] = [];
    const handle = await openSharedStoreAtStart(
      policyOn(url, "allow"),
      (message) => warnings.push(message),
      {},
    );
    try {
      expect(warnings.join("\n")).toContain("database 16");
      const answer = await handle.store?.reserve([
        { key: "url-test:rate_limit:{echoes}:global", max: 5, windowMs: 60_000, amount: 1 },
      ]);
      expect(answer).toMatchObject({ kind: "unavailable", message: expect.stringContaining("database 16") });
    } finally {
      await handle.store?.close();
    }
  });
});
