// The added latency of a limited tools/call, in process: node bench/limits.js [ROUNDS]. Decides and
// finishes echo calls through the real gate under four policies (no limit; a session-scope
// rate_limit; a global one in the local store; a global one in Redis on loopback, started here
// when Debian's redis-server is installed) and prints the median over rounds of the mean time per
// call, beside a Redis PING for one round trip, the reservation's own EVALSHA sent bare by a client
// of its own (its round trip, script included) and the script's own time inside Redis. Calls are
// timed back to back (they share a time bucket) and 2 ms apart (each opens a new one, as an
// agent's calls do). Run after `npm run build`.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const dist = (...parts) => join(root, "dist", ...parts);

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function policyYaml(limit, state = "") {
  return `version: 1\ndefault: deny\n${state}rules:\n  - id: bench-echo\n    tool: echo\n    action: allow\n${limit}`;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** redis-server on a free loopback port in `dir`, or null when it is not installed. */
async function startRedis(dir) {
  const port = await freePort();
  const child = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "no"],
    { stdio: ["ignore", "pipe", "ignore"] },
  );
  const ready = await new Promise((resolve) => {
    let output = "";
    const timer = setTimeout(() => resolve(false), 10_000);
    child.on("error", () => {
      clearTimeout(timer);
      resolve(false);
    });
    child.stdout.on("data", (chunk) => {
      output += chunk;
      if (output.includes("Ready to accept connections")) {
        clearTimeout(timer);
        resolve(true);
      }
    });
  });
  if (!ready) {
    child.kill("SIGKILL");
    return null;
  }
  return { url: `redis://127.0.0.1:${port}/0`, stop: () => child.kill("SIGTERM") };
}

let legacyEra;

/** Calls of the spaced measure are this far apart: more than a time bucket of a minute's window. */
const SPACED_GAP_MS = 2;

/** Finishes a forwarded bench echo; a denial is the bench's own mistake. */
function finishEcho(verdict) {
  if (!verdict.forward) throw new Error(`the bench echo was denied: ${JSON.stringify(verdict)}`);
  verdict.finish("result");
}

/** Decides and finishes one echo call through `gate`: at once, or a promise when the store answers over the network. */
function oneCall(gate, id) {
  const verdict = gate.decideCall({
    id,
    call: { name: "echo", arguments: { text: "hello" } },
    progressToken: null,
    argumentsJson: '{"text":"hello"}',
    era: legacyEra,
    roundTrip: {},
  });
  if ("verdict" in verdict) return verdict.verdict.then(finishEcho);
  finishEcho(verdict);
  return null;
}

/** Mean µs per call of deciding and finishing `calls` echo calls through `gate`, back to back. */
async function timeCalls(gate, calls, firstId) {
  const before = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) {
    const pending = oneCall(gate, firstId + i);
    if (pending !== null) await pending;
  }
  return Number(process.hrtime.bigint() - before) / 1000 / calls;
}

/**
 * Mean µs per call of `calls` calls `gapMs` apart, each timed alone: every call opens a new time
 * bucket (1 ms for a minute's window), as calls of an agent do, where back-to-back calls share one.
 */
async function timeSpacedCalls(gate, calls, firstId, gapMs) {
  let totalNs = 0n;
  for (let i = 0; i < calls; i++) {
    await new Promise((resolve) => setTimeout(resolve, gapMs));
    const before = process.hrtime.bigint();
    const pending = oneCall(gate, firstId + i);
    if (pending !== null) await pending;
    totalNs += process.hrtime.bigint() - before;
  }
  return Number(totalNs) / 1000 / calls;
}

/** The calls and total µs Redis counted for EVALSHA so far (INFO commandstats). */
async function evalshaStats(client) {
  const match = /cmdstat_evalsha:calls=(\d+),usec=(\d+),/.exec(await client.info("commandstats"));
  return match ? { calls: Number(match[1]), usec: Number(match[2]) } : { calls: 0, usec: 0 };
}

/** The limits benchmark: per-call µs for each way, medians over `rounds`. */
export async function limitsBench({ rounds = 7, calls = 2000, spacedCalls = 200 } = {}) {
  const { parsePolicy } = await import(dist("policy", "load.js"));
  const { Gate } = await import(dist("proxy", "gate.js"));
  const { AuditLog } = await import(dist("audit", "log.js"));
  const { Limiter } = await import(dist("ratelimit", "limiter.js"));
  const { LocalLimitStore } = await import(dist("ratelimit", "local-store.js"));
  const { RedisLimitStore } = await import(dist("ratelimit", "redis-store.js"));
  legacyEra = (await import(dist("wire", "era.js"))).requestEraOf(undefined);
  const scratch = mkdtempSync(join(tmpdir(), "policylayer-limits-bench-"));
  const redis = await startRedis(scratch);
  const stores = [];
  const gateFor = (yaml, store) => {
    const parsed = parsePolicy(yaml, "bench limits policy");
    if (!parsed.ok) throw new Error(`bench policy does not validate: ${JSON.stringify(parsed.errors[0])}`);
    const limiter = new Limiter({
      serverLabel: "bench",
      sharedStore: () => ({ store, unavailableBecause: "no store in this bench way" }),
    });
    return new Gate({
      policy: parsed.policy,
      audit: AuditLog.open("/dev/null", { event: "session_start" }),
      sessionId: "bench",
      serverLabel: "bench",
      limiter,
      warn: (message) => process.stderr.write(`${message}\n`),
    });
  };
  const rate = (scope) => `    rate_limit: { max: 1000000000, window: 60, scope: ${scope} }\n`;
  const local = LocalLimitStore.open(join(scratch, "limits.db"));
  stores.push(local);
  const ways = {
    unlimited: gateFor(policyYaml(""), null),
    session: gateFor(policyYaml(rate("session")), null),
    local: gateFor(policyYaml(rate("global")), local),
  };
  // The two reference round trips (a PING, the bare EVALSHA), timed as each shape times its calls.
  let references = null;
  let spacedReferences = null;
  if (redis !== null) {
    const store = RedisLimitStore.open(redis.url, "policylayer:", () => {});
    const problem = await store.connected;
    if (problem !== null) throw problem;
    stores.push(store);
    ways.redis = gateFor(policyYaml(rate("global"), `state: { store: redis, url: "${redis.url}" }\n`), store);
    // The reservation's own round trip, for comparison: the EVALSHA a limited call sends (its
    // script, keys and arguments, caught from the store's client on one call), sent bare by a
    // client of its own, with no policylayer code around it.
    const client = store.redis;
    const evalsha = client.evalsha;
    let reservation = null;
    client.evalsha = (...args) => {
      reservation ??= args;
      return evalsha.apply(client, args);
    };
    await oneCall(ways.redis, 0);
    client.evalsha = evalsha;
    if (reservation === null) throw new Error("the Redis way sent no EVALSHA");
    const bare = new (await import("ioredis")).default.Redis(redis.url);
    stores.push({ close: async () => bare.disconnect() });
    const roundTrips = (send) => ({
      backToBack: async () => {
        const before = process.hrtime.bigint();
        for (let i = 0; i < calls; i++) await send();
        return Number(process.hrtime.bigint() - before) / 1000 / calls;
      },
      spaced: async () => {
        let totalNs = 0n;
        for (let i = 0; i < spacedCalls; i++) {
          await new Promise((resolve) => setTimeout(resolve, SPACED_GAP_MS));
          const before = process.hrtime.bigint();
          await send();
          totalNs += process.hrtime.bigint() - before;
        }
        return Number(totalNs) / 1000 / spacedCalls;
      },
    });
    const pings = roundTrips(() => store.ping());
    const scripts = roundTrips(() => bare.evalsha(...reservation));
    references = async () => [await pings.backToBack(), await scripts.backToBack()];
    spacedReferences = async () => [await pings.spaced(), await scripts.spaced()];
  }
  const spacedWays = Object.fromEntries(Object.entries(ways).filter(([way]) => way !== "unlimited"));
  const referenceWays = ["redisPing", "redisScript"];
  const perWay = Object.fromEntries([...Object.keys(ways), ...referenceWays].map((way) => [way, []]));
  const perSpacedWay = Object.fromEntries(
    [...Object.keys(spacedWays), ...referenceWays].map((way) => [way, []]),
  );
  // The script's own time inside Redis (INFO commandstats, before and after each measured loop),
  // which the machine's load does not inflate the way it does a round trip.
  const script = { burst: [], spaced: [] };
  let stats = null;
  if (redis !== null) {
    const { Redis } = (await import("ioredis")).default;
    stats = new Redis(redis.url);
  }
  const scriptUs = async (measure, into, round) => {
    const before = stats === null ? null : await evalshaStats(stats);
    const us = await measure();
    if (before !== null && round > 0) {
      const after = await evalshaStats(stats);
      into.push((after.usec - before.usec) / Math.max(1, after.calls - before.calls));
    }
    return us;
  };
  let id = 1;
  // One round of one shape of calls (back to back, or spaced apart): every way, then the references timed alike.
  const measureRound = async (shape, round) => {
    for (const [way, gate] of Object.entries(shape.ways)) {
      const measure = () => shape.time(gate, id);
      const us = way === "redis" ? await scriptUs(measure, shape.script, round) : await measure();
      id += shape.calls;
      if (round > 0) shape.results[way].push(us);
    }
    if (shape.references !== null) {
      const [pingUs, scriptUs] = await shape.references();
      if (round > 0) {
        shape.results.redisPing.push(pingUs);
        shape.results.redisScript.push(scriptUs);
      }
    }
  };
  const backToBack = {
    ways,
    calls,
    time: (gate, first) => timeCalls(gate, calls, first),
    script: script.burst,
    references,
    results: perWay,
  };
  const spacedApart = {
    ways: spacedWays,
    calls: spacedCalls,
    time: (gate, first) => timeSpacedCalls(gate, spacedCalls, first, SPACED_GAP_MS),
    script: script.spaced,
    references: spacedReferences,
    results: perSpacedWay,
  };
  // One unmeasured round warms each way up.
  for (let round = 0; round <= rounds; round++) {
    await measureRound(backToBack, round);
    await measureRound(spacedApart, round);
  }
  stats?.disconnect();
  for (const store of stores) await store.close();
  redis?.stop();
  rmSync(scratch, { recursive: true, force: true });
  const medians = (byWay) =>
    Object.fromEntries(
      Object.entries(byWay).map(([way, values]) => [way, values.length > 0 ? median(values) : null]),
    );
  const result = medians(perWay);
  const spaced = medians(perSpacedWay);
  const orNull = (value) => (value === undefined || Number.isNaN(value) ? null : value);
  return {
    perCallUs: result,
    addedUs: {
      session: result.session - result.unlimited,
      local: result.local - result.session,
      redis: result.redis === undefined ? null : result.redis - result.session,
    },
    redisRoundTripUs: orNull(result.redisPing),
    redisScriptRoundTripUs: orNull(result.redisScript),
    redisScriptUs: script.burst.length > 0 ? median(script.burst) : null,
    spaced: {
      gapMs: SPACED_GAP_MS,
      perCallUs: spaced,
      addedUs: {
        local: spaced.local - spaced.session,
        redis: spaced.redis === undefined ? null : spaced.redis - spaced.session,
      },
      redisRoundTripUs: orNull(spaced.redisPing),
      redisScriptRoundTripUs: orNull(spaced.redisScript),
      redisScriptUs: script.spaced.length > 0 ? median(script.spaced) : null,
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rounds = Number(process.argv[2] ?? 7);
  const figures = await limitsBench({ rounds });
  process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
}
