import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import type { Redis as RedisClient } from "ioredis";
import { MAX_BUCKETS_PER_WINDOW } from "./arithmetic.js";
import { DeadlineExceeded, Deadlines } from "./deadline.js";
import { parseCounterKey } from "./keys.js";
import type { CountedEntry, CounterRequest, CounterUsage, SharedLimitStore, StoreAnswer } from "./store.js";

const require = createRequire(import.meta.url);

/** No store operation waits longer than this; connecting neither. */
const OPERATION_TIMEOUT_MS = 1000;
/** How often a lost connection is tried again: counting resumes within this of Redis coming back. */
const RECONNECT_EVERY_MS = 500;
/**
 * The most values a script hands one command through unpack: Redis's Lua refuses more than about
 * 8,000 ("too many results to unpack"), and a refused call's script failed as an unreachable store.
 */
const MAX_UNPACKED = 4096;

/**
 * Each counter is a hash (`total`, `window` in ms, `oldest`: no later than its oldest bucket, and
 * one field per time bucket that holds an amount) and a sorted set of those buckets, both expiring
 * with the window. Bucket times are the Redis server's own clock rounded up as bucketTimeMs does
 * (so wraps on machines whose clocks differ still share one window, and a counter holds at most
 * MAX_BUCKETS_PER_WINDOW + 1 buckets). A call in a bucket that already holds an amount costs TIME,
 * one HMGET and one HSET; one that opens a bucket adds a ZADD, a ZRANGE and two PEXPIREATs (both
 * keys end when the newest bucket leaves the window: never before a call counted in it does, never
 * after). Sums are written exactly: whole numbers as integers, others with 17 digits.
 */
const COMMON_LUA = `
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local function whole(x) return x == math.floor(x) end
local function fits(used, amount, max)
  local sum = used + amount
  if sum <= max then return true end
  if whole(used) and whole(amount) and whole(max) then return false end
  return sum <= max + max * 1e-9
end
-- Whole numbers (the usual case) as integers, cheaply; others with 17 digits: exactly, both.
local function exact(x)
  if x == math.floor(x) and x > -9007199254740992 and x < 9007199254740992 then return string.format('%d', x) end
  return string.format('%.17g', x)
end
local function bucket(win)
  local res = math.max(1, math.ceil(win / ${MAX_BUCKETS_PER_WINDOW}))
  return string.format('%d', math.ceil(now / res) * res)
end
-- The amounts of buckets (field names), summed; HMGET in chunks so unpack stays within Lua's limits.
local function amounts(h, fields)
  local sum = 0
  for i = 1, #fields, 1000 do
    local chunk = {}
    for j = i, math.min(i + 999, #fields) do chunk[#chunk + 1] = fields[j] end
    for _, v in ipairs(redis.call('HMGET', h, unpack(chunk))) do sum = sum + (tonumber(v) or 0) end
  end
  return sum
end
-- Drops the buckets that left the window; returns the counter's sum, the amount in bucket 'stamp'
-- (nil when there is none) and the oldest bucket's time (nil when there is none).
local function expire(h, z, win, stamp)
  local got = redis.call('HMGET', h, 'total', 'oldest', stamp or 'total')
  local total, oldest = tonumber(got[1]) or 0, tonumber(got[2])
  local inBucket = stamp and tonumber(got[3])
  if oldest == nil or oldest + win > now then return total, inBucket, oldest end
  local cutoff = now - win
  local gone = redis.call('ZRANGEBYSCORE', z, '-inf', cutoff)
  if #gone > 0 then
    total = total - amounts(h, gone)
    for i = 1, #gone, 1000 do redis.call('HDEL', h, unpack(gone, i, math.min(i + 999, #gone))) end
    redis.call('ZREMRANGEBYSCORE', z, '-inf', cutoff)
  end
  local first = redis.call('ZRANGE', z, 0, 0, 'WITHSCORES')
  oldest = tonumber(first[2])
  if oldest then
    if total < 0 then total = 0 end
    redis.call('HSET', h, 'total', exact(total), 'oldest', first[2])
  else
    total = 0
    redis.call('HSET', h, 'total', '0')
    redis.call('HDEL', h, 'oldest')
  end
  if stamp then inBucket = tonumber(redis.call('HGET', h, stamp)) end
  return total, inBucket, oldest
end
`;

/** KEYS: hash and set per counter. ARGV: "reserve" or "check", n, then max, window ms, amount per counter. */
const RESERVE_LUA = `${COMMON_LUA}
local n = tonumber(ARGV[2])
-- What each counter's write needs, found while checking them all: one table per counter.
local plans = {}
for i = 1, n do
  local h, z = KEYS[2 * i - 1], KEYS[2 * i]
  local max, win, amount = tonumber(ARGV[3 * i]), tonumber(ARGV[3 * i + 1]), tonumber(ARGV[3 * i + 2])
  local stamp = bucket(win)
  local got = redis.call('HMGET', h, 'total', 'oldest', stamp, 'window')
  local used, oldest, inBucket = tonumber(got[1]) or 0, tonumber(got[2]), tonumber(got[3])
  if oldest ~= nil and oldest + win <= now then used, inBucket, oldest = expire(h, z, win, stamp) end
  if not fits(used, amount, max) then
    local retry = -1
    if fits(0, amount, max) then
      -- As millisecondsUntilFits: the oldest buckets first, a page at a time, until it would fit.
      local left, last, start, page, done = used, nil, 0, 32, false
      while not done do
        local times = redis.call('ZRANGE', z, start, start + page - 1)
        local amounts = #times > 0 and redis.call('HMGET', h, unpack(times)) or {}
        for j = 1, #times do
          left = left - (tonumber(amounts[j]) or 0)
          last = tonumber(times[j])
          if fits(left, amount, max) then done = true break end
        end
        if #times < page then done = true end
        start, page = start + page, math.min(page * 8, ${MAX_UNPACKED})
      end
      retry = last and last + win - now or win
      if retry < 1 then retry = 1 end
    end
    return {0, i - 1, exact(used), tostring(retry)}
  end
  -- A call that opens a bucket (or finds the window changed) sets the keys' expiry; later calls
  -- in its bucket leave the window when it does, and find the expiry already where they need it.
  local fresh = inBucket == nil or got[4] ~= ARGV[3 * i + 1]
  plans[i] = {stamp, used, inBucket, oldest, win, amount, fresh}
end
if ARGV[1] ~= 'reserve' then return {1} end
local reply = {1}
for i = 1, n do
  local h, z, plan = KEYS[2 * i - 1], KEYS[2 * i], plans[i]
  local stamp, used, inBucket, oldest, win, amount, fresh = unpack(plan, 1, 7)
  local total = exact(used + amount)
  if not fresh then
    redis.call('HSET', h, 'total', total, stamp, exact(inBucket + amount))
  else
    if oldest == nil or tonumber(stamp) < oldest then oldest = stamp end
    redis.call('HSET', h, 'total', total, stamp, exact((inBucket or 0) + amount), 'window', ARGV[3 * i + 1], 'oldest', oldest)
    redis.call('ZADD', z, stamp, stamp)
    -- Both keys live until the newest bucket leaves the window, and no longer: usually this one,
    -- but not when Redis's clock stepped back or a reload made the window's buckets finer.
    local leaves = exact(tonumber(redis.call('ZRANGE', z, -1, -1)[1]) + win)
    redis.call('PEXPIREAT', h, leaves)
    redis.call('PEXPIREAT', z, leaves)
  end
  reply[i + 1] = stamp
end
return reply
`;

/** KEYS: hash and set per entry. ARGV: n, then bucket time and amount per entry. */
const RELEASE_LUA = `${COMMON_LUA}
local n = tonumber(ARGV[1])
for i = 1, n do
  local h, z = KEYS[2 * i - 1], KEYS[2 * i]
  local stamp, amount = ARGV[2 * i], tonumber(ARGV[2 * i + 1])
  local got = redis.call('HMGET', h, stamp, 'total')
  local v, total = tonumber(got[1]), tonumber(got[2]) or 0
  if v then
    if v <= amount then
      redis.call('HDEL', h, stamp)
      redis.call('ZREM', z, stamp)
      total = total - v
    else
      redis.call('HSET', h, stamp, exact(v - amount))
      total = total - amount
    end
    if total < 0 or redis.call('ZCARD', z) == 0 then total = 0 end
    redis.call('HSET', h, 'total', exact(total))
  end
end
return 1
`;

/**
 * KEYS: hash and set of one counter. Answers its sum and the ms until its oldest amount above 0
 * leaves (a budget counts calls of 0 too, and they free nothing), 0 when there is none.
 */
const USAGE_LUA = `${COMMON_LUA}
local win = tonumber(redis.call('HGET', KEYS[1], 'window') or '0')
local used = expire(KEYS[1], KEYS[2], win)
local frees, start, page = 0, 0, 32
while true do
  local times = redis.call('ZRANGE', KEYS[2], start, start + page - 1)
  if #times == 0 then break end
  local amounts = redis.call('HMGET', KEYS[1], unpack(times))
  local found = nil
  for j = 1, #times do
    if (tonumber(amounts[j]) or 0) > 0 then found = tonumber(times[j]) break end
  end
  if found then frees = found + win - now break end
  if #times < page then break end
  start, page = start + page, math.min(page * 8, ${MAX_UNPACKED})
end
return {exact(used), tostring(frees)}
`;

interface Script {
  source: string;
  sha1: string;
}

function script(source: string): Script {
  return { source, sha1: createHash("sha1").update(source).digest("hex") };
}

const RESERVE = script(RESERVE_LUA);
const RELEASE = script(RELEASE_LUA);
const USAGE = script(USAGE_LUA);

/**
 * Why connecting failed: a configuration error (`fix` says what to change: a refused password, a
 * server that cannot hold the counters), or a store that could not be reached (`fix` null).
 */
export class RedisConnectError extends Error {
  constructor(
    message: string,
    readonly fix: string | null,
  ) {
    super(message);
  }
}

/** The slots of a Redis Cluster: a node that serves all of them holds every counter. */
const CLUSTER_SLOTS = 16384;

/** How many slots the node that wrote `clusterNodes` (CLUSTER NODES) serves itself. */
function slotsServedBy(clusterNodes: string): number {
  const mine = clusterNodes.split("\n").find((line) => line.split(" ")[2]?.split(",").includes("myself"));
  let served = 0;
  for (const range of mine?.trim().split(" ").slice(8) ?? []) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(range);
    if (match !== null) served += Number(match[2] ?? match[1]) - Number(match[1]) + 1;
  }
  return served;
}

/** A URL for messages: the password replaced by ***. */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(a URL that cannot be parsed)";
  }
}

/** True for Redis's answers to bad or missing credentials. */
function isAuthError(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /WRONGPASS|NOAUTH|invalid password|invalid username-password|AUTH.*(failed|called without)/i.test(
    message,
  );
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Whether a command's error is Redis's own answer (the connection carried it), not the client's. */
function isReplyError(error: unknown): boolean {
  return error instanceof Error && error.name === "ReplyError";
}

/** A command's error as a limited call's denial says it: Redis's own words, and what they mean here. */
function commandErrorText(error: unknown): string {
  const text = errorText(error);
  if (/^(MOVED|ASK) /.test(text))
    return `${text}: a node of a Redis Cluster that does not serve this rule's keys; policylayer does not follow a cluster's redirects (use a single Redis, a primary, or a one-node cluster)`;
  if (text.startsWith("READONLY"))
    return `${text}: a read-only replica; policylayer counts in a single Redis or a primary`;
  return text;
}

/** The reserve script's reply as a store's answer. */
function scriptAnswer(
  reply: unknown,
  requests: readonly CounterRequest[],
  mode: "reserve" | "check",
): StoreAnswer {
  if (!Array.isArray(reply)) return { kind: "unavailable", message: "an unexpected answer from the script" };
  if (reply[0] === 1) {
    return {
      kind: "counted",
      entries:
        mode === "reserve"
          ? requests.map((request, i) => ({
              key: request.key,
              timeMs: Number(reply[i + 1]),
              amount: request.amount,
            }))
          : [],
    };
  }
  const retry = Number(reply[3]);
  return {
    kind: "over",
    index: Number(reply[1]),
    used: Number(reply[2]),
    retryAfterMs: retry < 0 ? Number.POSITIVE_INFINITY : retry,
  };
}

/**
 * Counters in Redis, for wraps on many machines. Every operation is one Lua script (EVALSHA, one
 * round trip), atomic on the server. Commands are never queued while disconnected: they fail at
 * once, and the client reconnects on its own every half second. No command waits more than
 * OPERATION_TIMEOUT_MS for its answer.
 */
export class RedisLimitStore implements SharedLimitStore {
  readonly name = "redis";
  /** The connection's last error, "" while it is healthy. */
  lastError = "";
  /** Settles when the first connection attempt has: null when Redis answered, else why not. */
  connected: Promise<RedisConnectError | null> = Promise.resolve(null);
  /** Until the first connection has been tried to its end: a call then waits for it (within the deadline). */
  private firstConnect = true;
  /**
   * Why this Redis cannot hold the counters as the URL asks, however often it is tried: a database
   * it does not have (ioredis's SELECT fails, and its commands would then count in database 0).
   */
  private unusableBecause: string | null = null;
  /** When the connection last carried an answer (a reply or Redis's own error). */
  private lastReplyMs = 0;
  /** Whether a second connection is being tried to tell a silent connection from a hung Redis. */
  private probing = false;
  /** Says something about the connection on stderr. */
  private report: (message: string) => void = () => {};

  /** Every command waits at most OPERATION_TIMEOUT_MS (one timer for all, not one per command). */
  private readonly deadlines = new Deadlines(
    OPERATION_TIMEOUT_MS,
    `no answer within ${OPERATION_TIMEOUT_MS} ms`,
  );
  /** A call that waits for the first connection waits half as long, so that it and the command stay near a second. */
  private readonly connectDeadlines = new Deadlines(
    OPERATION_TIMEOUT_MS / 2,
    `not connected within ${OPERATION_TIMEOUT_MS / 2} ms`,
  );

  private constructor(
    private readonly redis: RedisClient,
    private readonly keyPrefix: string,
    readonly url: string,
  ) {}

  /**
   * Starts connecting to `url` and returns at once; `connected` settles with null once Redis
   * answers and can hold the counters, or with why not: a configuration error with its fix (a
   * wrong password, a replica, a node of a cluster that serves only some slots), else unreachable
   * (the client goes on trying every half second).
   */
  static open(url: string, keyPrefix: string, onError: (message: string) => void): RedisLimitStore {
    // Loaded only by policies that use Redis.
    const { Redis } = require("ioredis") as typeof import("ioredis");
    const redis = new Redis(url, {
      lazyConnect: true,
      connectTimeout: OPERATION_TIMEOUT_MS,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      enableReadyCheck: false,
      retryStrategy: () => RECONNECT_EVERY_MS,
    });
    const store = new RedisLimitStore(redis, keyPrefix, url);
    store.report = (message) => onError(`redis ${redactedUrl(url)}: ${message}`);
    // Errors while connecting are the caller's to report; later ones are reported once per change.
    let reporting = false;
    redis.on("error", (error: unknown) => {
      const message = errorText(error);
      if (/DB index is out of range/i.test(message))
        store.unusableBecause = `it has no database ${new URL(url).pathname.slice(1)} (${message})`;
      if (reporting && message !== store.lastError) onError(`redis ${redactedUrl(url)}: ${message}`);
      store.lastError = message;
    });
    redis.on("ready", () => {
      if (reporting && store.lastError !== "")
        onError(`redis ${redactedUrl(url)}: connected again; counting resumes`);
      store.lastError = "";
    });
    store.connected = (async () => {
      try {
        try {
          // A server that accepts the connection but never answers leaves connect() pending for ever.
          await store.deadlines.within(redis.connect());
        } catch (error) {
          // Dropped, not closed: the client connects again every half second, and counts once Redis answers.
          if (redis.status !== "ready") redis.disconnect(true);
          throw error;
        }
        await store.ping();
        if (store.unusableBecause !== null)
          return new RedisConnectError(
            `redis ${redactedUrl(url)}: ${store.unusableBecause}`,
            "name a database this Redis has in state.url (or $POLICYLAYER_REDIS_URL): 0 to 15 unless its `databases` setting allows more",
          );
        const unfit = await store.unfitBecause();
        if (unfit === null) {
          const eviction = await store.evictionRisk();
          if (eviction !== null) store.report(eviction);
          return null;
        }
        return new RedisConnectError(
          `redis ${redactedUrl(url)}: ${unfit}`,
          "point state.url (or $POLICYLAYER_REDIS_URL) at a single Redis, or the primary of one",
        );
      } catch (error) {
        // The rejection says only "Connection is closed"; the error event before it says why.
        const why = store.lastError !== "" ? store.lastError : errorText(error);
        return new RedisConnectError(
          `redis ${redactedUrl(url)}: ${why}`,
          isAuthError(why)
            ? "fix the user and password in the URL ($POLICYLAYER_REDIS_URL or state.url)"
            : null,
        );
      } finally {
        reporting = true;
        store.firstConnect = false;
      }
    })();
    return store;
  }

  reserve(requests: readonly CounterRequest[]): Promise<StoreAnswer> {
    return this.reserveOrCheck(requests, "reserve");
  }

  check(requests: readonly CounterRequest[]): Promise<StoreAnswer> {
    return this.reserveOrCheck(requests, "check");
  }

  release(entries: readonly CountedEntry[]): void {
    const keys = entries.flatMap((entry) => [entry.key, this.timesKey(entry.key)]);
    const args = [
      String(entries.length),
      ...entries.flatMap((entry) => [String(entry.timeMs), String(entry.amount)]),
    ];
    // Fire and forget: a release that cannot reach the store lapses with its window.
    this.deadlines.within(this.run(RELEASE, keys, args)).catch(() => {});
  }

  async usage(keyPrefix: string): Promise<CounterUsage[]> {
    const usages: CounterUsage[] = [];
    for (const key of await this.counterKeys(keyPrefix)) {
      const answer = await this.deadlines.within(this.run(USAGE, [key, this.timesKey(key)], []));
      if (!Array.isArray(answer)) continue;
      const used = Number(answer[0]);
      const freesInMs = Math.max(0, Number(answer[1]));
      if (used > 0 || freesInMs > 0) usages.push({ key, used, freesInMs });
    }
    return usages.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async reset(keyPrefix: string, keyStart: string = keyPrefix): Promise<number> {
    const keys = (await this.counterKeys(keyStart)).filter((key) => parseCounterKey(keyPrefix, key) !== null);
    for (const key of keys) await this.deadlines.within(this.redis.del(key, this.timesKey(key)));
    return keys.length;
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }

  /**
   * Why this Redis cannot hold the counters, else null: a replica (read-only), or a node of a Redis
   * Cluster that does not serve every slot (its MOVED redirects are not followed). A user whose ACL
   * does not allow INFO or CLUSTER NODES is not refused for it: its calls say what they meet.
   */
  private async unfitBecause(): Promise<string | null> {
    let replication: string;
    let cluster: string;
    try {
      replication = await this.deadlines.within(this.redis.info("replication"));
      cluster = await this.deadlines.within(this.redis.info("cluster"));
    } catch {
      return null;
    }
    if (/^role:slave\b/m.test(replication))
      return "a read-only replica; policylayer counts in a single Redis or a primary";
    if (!/^cluster_enabled:1\b/m.test(cluster)) return null;
    let nodes: unknown;
    try {
      nodes = await this.deadlines.within(this.redis.call("CLUSTER", "NODES"));
    } catch {
      return null;
    }
    const served = slotsServedBy(String(nodes));
    return served === CLUSTER_SLOTS
      ? null
      : `a node of a Redis Cluster that serves ${served} of its ${CLUSTER_SLOTS} slots; policylayer does not follow a cluster's redirects: it counts in a single Redis, a primary, or a one-node cluster`;
  }

  /**
   * A warning when Redis may evict the counters (every key has a time to live, so any eviction
   * policy but noeviction may take them once memory is full, and limits then count too little);
   * null when it cannot (no maxmemory, or noeviction) or Redis does not say (INFO not allowed).
   */
  private async evictionRisk(): Promise<string | null> {
    let memory: string;
    try {
      memory = await this.deadlines.within(this.redis.info("memory"));
    } catch {
      return null;
    }
    const maxmemory = /^maxmemory:(\d+)/m.exec(memory)?.[1];
    const policy = /^maxmemory_policy:(\S+)/m.exec(memory)?.[1];
    if (maxmemory === undefined || policy === undefined || maxmemory === "0" || policy === "noeviction")
      return null;
    return `maxmemory-policy is ${policy} with maxmemory ${maxmemory}: once its memory is full, Redis may evict the counters (they expire, so it may take them first) and limits would count too little; give policylayer a Redis with maxmemory-policy noeviction, or one with room to spare`;
  }

  /** One PING: the benchmark's measure of a bare round trip beside a limited call. */
  async ping(): Promise<void> {
    await this.deadlines.within(this.redis.ping());
  }

  /**
   * One EVALSHA of the reserve script, answered within OPERATION_TIMEOUT_MS or taken as an
   * unreachable store; a reservation the script counts after that is given back at once.
   */
  private reserveOrCheck(
    requests: readonly CounterRequest[],
    mode: "reserve" | "check",
  ): Promise<StoreAnswer> {
    if (this.unusableBecause !== null)
      return Promise.resolve({ kind: "unavailable", message: this.unusableBecause });
    if (this.redis.status !== "ready") {
      if (this.firstConnect && this.lastError === "") {
        // Opened a moment ago (a reload brought Redis in) and not failed yet: the call waits for the
        // first connection, within the same deadline as any command, rather than being refused.
        return this.connectDeadlines.within(this.connected).then(
          () => this.afterFirstConnect(requests, mode),
          () => this.afterFirstConnect(requests, mode),
        );
      }
      const why = this.lastError === "" ? this.redis.status : this.lastError;
      return Promise.resolve({ kind: "unavailable", message: `not connected (${why})` });
    }
    const keys: string[] = [];
    const args = [mode, String(requests.length)];
    for (const request of requests) {
      keys.push(request.key, this.timesKey(request.key));
      args.push(String(request.max), String(request.windowMs), String(request.amount));
    }
    const late = (reply: unknown) => {
      const answer = scriptAnswer(reply, requests, mode);
      if (answer.kind === "counted" && answer.entries.length > 0) this.release(answer.entries);
    };
    const sentMs = performance.now();
    return this.deadlines.within(this.run(RESERVE, keys, args), late).then(
      (reply) => scriptAnswer(reply, requests, mode),
      (error: unknown) => {
        if (error instanceof DeadlineExceeded) this.suspectSilence(sentMs);
        return { kind: "unavailable", message: commandErrorText(error) };
      },
    );
  }

  /**
   * A command sent at `sentMs` got no answer in time, and none has come since. Either Redis hangs
   * (then its answers come once it goes on, and what it counted late is given back), or the
   * connection went silent without a reset (a network path that failed, a failover that moved the
   * address), which TCP notices only after many minutes. A second connection tells them apart:
   * if Redis answers a PING on it, the first is dropped and made again, and counting resumes
   * (what the silent connection's scripts may have counted stays counted until its window ends:
   * never fewer counts than calls). At most one such try at a time.
   */
  private suspectSilence(sentMs: number): void {
    if (this.probing || this.redis.status !== "ready" || this.lastReplyMs >= sentMs) return;
    this.probing = true;
    const probe = this.redis.duplicate({ retryStrategy: () => null });
    this.deadlines
      .within(probe.connect().then(() => probe.ping()))
      .then(
        () => {
          if (this.lastReplyMs >= sentMs || this.redis.status !== "ready") return;
          this.lastError = "no answer on its connection while a new one is answered";
          this.report(`${this.lastError}: connecting again`);
          this.redis.disconnect(true);
        },
        () => {},
      )
      .finally(() => {
        probe.disconnect();
        this.probing = false;
      });
  }

  private afterFirstConnect(
    requests: readonly CounterRequest[],
    mode: "reserve" | "check",
  ): Promise<StoreAnswer> {
    this.firstConnect = false;
    return this.reserveOrCheck(requests, mode);
  }

  /** The sorted set of a counter's milliseconds: beside the hash, under the prefix, never parsed as a counter. */
  private timesKey(key: string): string {
    return `${this.keyPrefix}times:${key.slice(this.keyPrefix.length)}`;
  }

  /** The counters' hash keys that start with `keyPrefix` (SCAN, never KEYS). */
  private async counterKeys(keyPrefix: string): Promise<string[]> {
    const pattern = `${keyPrefix.replace(/[*?[\]\\]/g, "\\$&")}*`;
    const found = new Set<string>();
    let cursor = "0";
    do {
      const [next, keys] = await this.deadlines.within(
        this.redis.scan(cursor, "MATCH", pattern, "COUNT", 1000),
      );
      cursor = next;
      for (const key of keys) if (parseCounterKey(this.keyPrefix, key) !== null) found.add(key);
    } while (cursor !== "0");
    return [...found];
  }

  /** One round trip: EVALSHA, and EVAL only the first time a server has not seen the script. */
  private run(code: Script, keys: string[], args: string[]): Promise<unknown> {
    const answered = (reply: unknown) => {
      this.lastReplyMs = performance.now();
      return reply;
    };
    return this.redis.evalsha(code.sha1, keys.length, ...keys, ...args).then(answered, (error: unknown) => {
      if (isReplyError(error)) this.lastReplyMs = performance.now();
      if (!errorText(error).startsWith("NOSCRIPT")) throw error;
      return this.redis.eval(code.source, keys.length, ...keys, ...args).then(answered);
    });
  }
}
