import { spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Connected } from "../helpers/clients.js";
import { npmServer, policylayerBin } from "../helpers/paths.js";
import { freePort, type RunningRedis, startRedis, startSilenceableRelay } from "../helpers/redis.js";
import { readJsonLines, tempDir, writePolicy } from "../helpers/tmp.js";
import { callOutcome, limitsJson, nth, passes, wrapOnMachine } from "./helpers.js";

const PASSWORD = "s3cret-for-tests";
let redis: RunningRedis;
let dirs: { path: string; cleanup: () => void }[] = [];
let opened: Connected[] = [];
let prefixCounter = 0;
/** The key_prefix of the policy redisPolicy wrote last. */
let lastPrefix = "";

beforeAll(async () => {
  redis = await startRedis({ password: PASSWORD });
});
afterAll(async () => {
  await redis?.cleanup();
});
afterEach(async () => {
  await Promise.all(opened.map((connected) => connected.close()));
  for (const dir of dirs) dir.cleanup();
  opened = [];
  dirs = [];
});

/** A policy on the test Redis, under a key prefix of its own so tests never share counts. */
function redisPolicy(
  options: {
    url?: string;
    onUnavailable?: "deny" | "allow";
    echoMax?: number;
    /** The echo rule's window in seconds (600). */
    echoWindow?: number;
    budgetMax?: number;
    /** get-env (whose inputSchema declares no arguments) takes undeclared ones and counts args.a too. */
    untypedBudget?: boolean;
  } = {},
): string {
  const prefix = `t${process.pid}-${++prefixCounter}:`;
  lastPrefix = prefix;
  return `version: 1
default: deny
state:
  store: redis
  url: ${options.url ?? redis.url}
  key_prefix: "${prefix}"
  on_unavailable: ${options.onUnavailable ?? "deny"}
server: everything
rules:
  - id: echoes
    tool: echo
    action: allow
    rate_limit: { max: ${options.echoMax ?? 5}, window: ${options.echoWindow ?? 600}, scope: global }
  - id: transfers
    tool: get-sum
    action: allow
    budget: { sum: args.a, max: ${options.budgetMax ?? 10}, window: 600, scope: global }
  - tool: get-env
    action: allow
${
  options.untypedBudget
    ? `    budget: { sum: args.a, max: 10, window: 600, scope: global }
allow_undeclared_arguments: get-env
`
    : ""
}`;
}

/** A "machine": a state directory of its own, with the policy file in it. */
function machine(policyText: string): { dir: string; policy: string } {
  const dir = tempDir();
  dirs.push(dir);
  return { dir: dir.path, policy: writePolicy(dir.path, policyText) };
}

async function wraps(
  policyText: string,
  count: number,
): Promise<{ machines: { dir: string; policy: string }[]; clients: Connected[] }> {
  const machines = Array.from({ length: count }, () => machine(policyText));
  const clients = await Promise.all(machines.map((m) => wrapOnMachine(m.policy, m.dir)));
  opened.push(...clients);
  return { machines, clients };
}

/** Polls `attempt` until it returns true; fails naming `what` after `deadlineMs`. */
async function waitFor(what: string, deadlineMs: number, attempt: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await attempt()) return Date.now() - started;
    if (Date.now() - started > deadlineMs)
      throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Runs wrap until it exits by itself (it refused to start), with what it printed. */
function wrapExit(policyPath: string, stateDir: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [policylayerBin, "wrap", "--policy", policyPath, "--", ...npmServer("everything", "stdio")],
      {
        env: {
          ...process.env,
          POLICYLAYER_STATE_DIR: stateDir,
          POLICYLAYER_REDIS_URL: "",
          POLICYLAYER_POLICY: "",
        },
        stdio: ["pipe", "pipe", "pipe"],
      },
    );
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`wrap did not exit within 20 s; it printed:\n${stderr}`));
    }, 20_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe("limits shared through a real Redis", () => {
  it("two wraps with their own state directories share one global limit exactly", async () => {
    const { machines, clients } = await wraps(redisPolicy({ echoMax: 5 }), 2);
    const outcomes: string[] = [];
    for (let n = 0; n < 8; n++)
      outcomes.push(await callOutcome(nth(clients, n % 2).client, "echo", { message: `call ${n}` }));
    expect(outcomes.slice(0, 5)).toEqual(["pass", "pass", "pass", "pass", "pass"]);
    expect(
      outcomes
        .slice(5)
        .every((outcome) =>
          outcome.includes("rate limit of rule 1 (global scope): at most 5 calls in 600 s"),
        ),
    ).toBe(true);
    const [row] = (await limitsJson(nth(machines, 0).dir, nth(machines, 0).policy, {})).filter(
      (r) => r.id === "echoes",
    );
    expect(row).toMatchObject({
      kind: "rate_limit",
      scope: "global",
      server: null,
      max: 5,
      used: 5,
      remaining: 0,
      window_seconds: 600,
    });
    expect(row?.frees_in_seconds).toBeGreaterThan(0);
    expect(row?.frees_in_seconds).toBeLessThanOrEqual(600);
    // Bounded: every key is under the prefix and expires with its window.
    const { Redis } = await import("ioredis");
    const client = new Redis(redis.url);
    try {
      const keys = await client.keys("*");
      expect(keys.length).toBeGreaterThan(0);
      expect(keys.every((key) => key.startsWith(lastPrefix))).toBe(true);
      for (const key of keys) {
        const ttl = await client.pttl(key);
        expect(ttl).toBeGreaterThan(0);
        expect(ttl).toBeLessThanOrEqual(600_000);
      }
    } finally {
      client.disconnect();
    }
  });

  it("counts in a window of a fraction of a millisecond more than whole seconds, with keys that expire", async () => {
    const { clients } = await wraps(redisPolicy({ echoMax: 2, echoWindow: 30.0005 }), 1);
    const client = nth(clients, 0).client;
    const outcomes: string[] = [];
    for (let n = 0; n < 3; n++) outcomes.push(await callOutcome(client, "echo", { message: `call ${n}` }));
    expect(outcomes.slice(0, 2)).toEqual(["pass", "pass"]);
    expect(outcomes[2]).toContain("at most 2 calls in 30.0005 s");
    const { Redis } = await import("ioredis");
    const redisClient = new Redis(redis.url);
    try {
      const keys = await redisClient.keys(`${lastPrefix}*`);
      expect(keys.length).toBeGreaterThan(0);
      for (const key of keys) expect(await redisClient.pttl(key)).toBeGreaterThan(0);
    } finally {
      redisClient.disconnect();
    }
  });

  it("two wraps share one budget exactly, and a call that would go over is told what is left", async () => {
    const { clients } = await wraps(redisPolicy({ budgetMax: 10 }), 2);
    const [a, b] = [nth(clients, 0).client, nth(clients, 1).client];
    expect(await callOutcome(a, "get-sum", { a: 4, b: 0 })).toBe("pass");
    expect(await callOutcome(b, "get-sum", { a: 4.5, b: 0 })).toBe("pass");
    const over = await callOutcome(a, "get-sum", { a: 2, b: 0 });
    expect(over).toContain("args.a may add up to at most 10 in 600 s; 1.5 is left; enough frees up in");
    expect(await callOutcome(b, "get-sum", { a: 1.5, b: 0 })).toBe("pass");
    expect(await callOutcome(a, "get-sum", { a: 0, b: 0 })).toBe("pass");
    expect(await callOutcome(a, "get-sum", { a: 0.01, b: 0 })).toContain("0 is left");
  });

  it("denies a budgeted call whose amount is missing, negative, a string or a boolean", async () => {
    const { clients } = await wraps(redisPolicy({ untypedBudget: true }), 1);
    const client = nth(clients, 0).client;
    expect(await callOutcome(client, "get-sum", { b: 1 })).toContain(
      "the call has no args.a to count against the budget",
    );
    const notAnAmount = "args.a must be a number from 0 to 1e15 to count against the budget";
    expect(await callOutcome(client, "get-sum", { a: -1, b: 1 })).toContain(notAnAmount);
    // get-env's inputSchema types no arguments: its args.a stays as sent, a string or a boolean.
    for (const a of ["5", true]) expect(await callOutcome(client, "get-env", { a })).toContain(notAnAmount);
  });

  it("counts a string amount for a parameter the tool declares a number as the number it reads as", async () => {
    const { clients } = await wraps(redisPolicy(), 1);
    const client = nth(clients, 0).client;
    // get-sum's a is a number: "5" is read, counted and forwarded as 5, whether or not the client listed first.
    expect(await callOutcome(client, "get-sum", { a: "5", b: 1 })).toBe("pass");
    expect(await callOutcome(client, "get-sum", { a: 5.5, b: 1 })).toContain("5 is left");
  });

  it("lets exactly one of racing wraps on two machines have the last unit", async () => {
    // One round per tool, each with a global limit of one call: the same two wraps race in every round.
    const tools: [string, Record<string, unknown>][] = [
      ["echo", { message: "race" }],
      ["get-sum", { a: 1, b: 2 }],
      ["get-env", {}],
      ["get-tiny-image", {}],
    ];
    const rules = tools
      .map(
        ([tool]) =>
          `  - { tool: ${tool}, action: allow, rate_limit: { max: 1, window: 600, scope: global } }\n`,
      )
      .join("");
    const text = redisPolicy().replace(/\nrules:\n[\s\S]*$/, `\nrules:\n${rules}`);
    const { clients } = await wraps(text, 2);
    let attempts = 0;
    let passed = 0;
    for (const [tool, args] of tools) {
      const outcomes = await Promise.all(
        clients.flatMap((connected) => [1, 2, 3].map(() => callOutcome(connected.client, tool, args))),
      );
      attempts += outcomes.length;
      passed += passes(outcomes);
      expect(passes(outcomes)).toBe(1);
    }
    console.log(
      `redis race for the last unit: attempts ${attempts}, passes ${passed}, expected ${tools.length}`,
    );
  });

  it("denies limited calls while Redis is down, lets unlimited ones through, and counts again within 10 s of its restart", async () => {
    const { machines, clients } = await wraps(redisPolicy({ echoMax: 100 }), 1);
    const client = nth(clients, 0).client;
    expect(await callOutcome(client, "echo", { message: "before" })).toBe("pass");
    const stoppedAt = Date.now();
    await redis.stop();
    const denied = await callOutcome(client, "echo", { message: "while down" });
    const deniedAfterMs = Date.now() - stoppedAt;
    expect(denied).toContain("the redis limit store cannot be reached");
    expect(denied).toContain("(state.on_unavailable: deny)");
    expect(await callOutcome(client, "get-env", {})).toBe("pass");
    await redis.start();
    const recoveredInMs = await waitFor(
      "a counted call after Redis restarted",
      10_000,
      async () => (await callOutcome(client, "echo", { message: "after" })) === "pass",
    );
    console.log(
      `redis stopped: first denial ${deniedAfterMs} ms after the stop; counted again ${recoveredInMs} ms after the restart`,
    );
    expect(recoveredInMs).toBeLessThan(10_000);
    const [row] = (await limitsJson(nth(machines, 0).dir, nth(machines, 0).policy)).filter(
      (r) => r.id === "echoes",
    );
    expect(row?.used).toBe(1);
  });

  it("denies a limited call within about a second when Redis hangs, and gives back what it counted once it answers", async () => {
    const { machines, clients } = await wraps(redisPolicy({ echoMax: 100 }), 1);
    const client = nth(clients, 0).client;
    expect(await callOutcome(client, "echo", { message: "before" })).toBe("pass");
    redis.pause();
    let denied: string;
    let deniedAfterMs: number;
    try {
      const pausedAt = Date.now();
      denied = await callOutcome(client, "echo", { message: "while hung" });
      deniedAfterMs = Date.now() - pausedAt;
    } finally {
      redis.resume();
    }
    console.log(`redis hung: limited call denied ${deniedAfterMs} ms after the pause`);
    expect(denied).toContain("the redis limit store cannot be reached: no answer within 1000 ms");
    expect(deniedAfterMs).toBeLessThan(5_000);
    // The hung server runs the denied call's script once it goes on; the wrap gives that unit back.
    expect(await callOutcome(client, "echo", { message: "after" })).toBe("pass");
    await waitFor("the denied call's late count given back", 10_000, async () => {
      const rows = await limitsJson(nth(machines, 0).dir, nth(machines, 0).policy);
      return rows.find((r) => r.id === "echoes")?.used === 2;
    });
  });

  it("counts again within 10 s when its connection goes silent (a network path that fails without a reset) and a new one gets through", async () => {
    const relay = await startSilenceableRelay(redis.port);
    try {
      const url = `redis://:${PASSWORD}@127.0.0.1:${relay.port}/0`;
      const { machines, clients } = await wraps(redisPolicy({ echoMax: 100, url }), 1);
      const client = nth(clients, 0).client;
      expect(await callOutcome(client, "echo", { message: "before" })).toBe("pass");
      relay.silenceOpenConnections();
      const silencedAt = Date.now();
      const denied = await callOutcome(client, "echo", { message: "while silent" });
      expect(denied).toContain("the redis limit store cannot be reached: no answer within 1000 ms");
      const recoveredInMs = await waitFor(
        "a counted call over a new connection after the old one went silent",
        10_000,
        async () => (await callOutcome(client, "echo", { message: "after" })) === "pass",
      );
      console.log(`redis connection silenced: counted again ${Date.now() - silencedAt} ms after`);
      expect(recoveredInMs).toBeLessThan(10_000);
      // The first call and the one that passed are counted; the call denied meanwhile may have reached
      // Redis before its connection went quiet, and then counts too (it is never given back twice).
      const [row] = (await limitsJson(nth(machines, 0).dir, nth(machines, 0).policy)).filter(
        (r) => r.id === "echoes",
      );
      expect(row?.used).toBeGreaterThanOrEqual(2);
    } finally {
      await relay.close();
    }
  });

  it("with on_unavailable: allow, lets limited calls through while Redis is down and audits them as not counted", async () => {
    const { machines, clients } = await wraps(redisPolicy({ onUnavailable: "allow" }), 1);
    await redis.stop();
    try {
      expect(await callOutcome(nth(clients, 0).client, "echo", { message: "uncounted" })).toBe("pass");
    } finally {
      await redis.start();
    }
    await nth(clients, 0).close();
    const lines = readJsonLines(join(nth(machines, 0).dir, "audit.jsonl")).filter(
      (line) => line.tool === "echo",
    );
    expect(lines).toHaveLength(1);
    expect(lines[0]?.decision).toBe("allow");
    expect(String(lines[0]?.uncounted)).toContain("not counted against the shared limits of rule 1");
  });

  it("refuses to start with a wrong password, naming the problem and the fix", async () => {
    const { dir, policy } = machine(redisPolicy({ url: `redis://:wrong@127.0.0.1:${redis.port}/0` }));
    const run = await wrapExit(policy, dir);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("WRONGPASS");
    expect(run.stderr).toContain("fix the user and password in the URL");
    expect(run.stderr).toContain("the server was not started");
    expect(run.stderr).not.toContain(":wrong@");
  });

  it("starts with a wrong password when on_unavailable is allow, and warns", async () => {
    const { dir, policy } = machine(
      redisPolicy({ url: `redis://:wrong@127.0.0.1:${redis.port}/0`, onUnavailable: "allow" }),
    );
    const connected = await wrapOnMachine(policy, dir);
    opened.push(connected);
    expect(await callOutcome(connected.client, "echo", { message: "uncounted" })).toBe("pass");
    expect(connected.stderr()).toContain("WRONGPASS");
  });

  it("warns at start when Redis may evict the counters once its memory is full", async () => {
    const { Redis } = await import("ioredis");
    const admin = new Redis(redis.url);
    try {
      await admin.config("SET", "maxmemory", "100mb");
      await admin.config("SET", "maxmemory-policy", "volatile-lru");
      const { dir, policy } = machine(redisPolicy());
      const connected = await wrapOnMachine(policy, dir);
      opened.push(connected);
      expect(await callOutcome(connected.client, "echo", { message: "counted" })).toBe("pass");
      await expect
        .poll(() => connected.stderr(), { timeout: 5000, message: "wrap's warning about eviction on stderr" })
        .toContain("maxmemory-policy is volatile-lru with maxmemory 104857600");
      expect(connected.stderr()).toContain("may evict the counters");
      await admin.config("SET", "maxmemory-policy", "noeviction");
      const quiet = machine(redisPolicy());
      const second = await wrapOnMachine(quiet.policy, quiet.dir);
      opened.push(second);
      expect(await callOutcome(second.client, "echo", { message: "counted" })).toBe("pass");
      expect(second.stderr()).not.toContain("maxmemory-policy");
    } finally {
      await admin.config("SET", "maxmemory", "0");
      await admin.config("SET", "maxmemory-policy", "noeviction");
      admin.disconnect();
    }
  });

  it("counts through an ACL user that may not run INFO or CLUSTER", async () => {
    const { Redis } = await import("ioredis");
    const admin = new Redis(redis.url);
    try {
      await admin.call(
        "ACL",
        "SETUSER",
        "counter-only",
        "on",
        ">pw-for-tests",
        "~*",
        "+@all",
        "-info",
        "-cluster",
      );
    } finally {
      admin.disconnect();
    }
    const { machines, clients } = await wraps(
      redisPolicy({ url: `redis://counter-only:pw-for-tests@127.0.0.1:${redis.port}/0` }),
      1,
    );
    expect(await callOutcome(nth(clients, 0).client, "echo", { message: "counted" })).toBe("pass");
    expect(nth(clients, 0).stderr()).not.toContain("the limit store cannot be");
    const rows = await limitsJson(nth(machines, 0).dir, nth(machines, 0).policy);
    expect(rows.find((r) => r.id === "echoes")?.used).toBe(1);
  });

  it("counts in Redis after a reload moved state: there before any shared-scope call, not in the store opened at start", async () => {
    const local = redisPolicy().replace(/^state:\n(?: {2}.*\n)+/m, "");
    const { dir, policy } = machine(local);
    const connected = await wrapOnMachine(policy, dir);
    opened.push(connected);
    writePolicy(dir, redisPolicy());
    await waitFor("the reload", 10_000, async () => connected.stderr().includes("policy reloaded"));
    expect(await callOutcome(connected.client, "echo", { message: "counted in redis" })).toBe("pass");
    const rows = await limitsJson(dir, policy);
    expect(rows.find((r) => r.id === "echoes")?.used).toBe(1);
  });

  it("starts within about a second when Redis accepts connections but never answers, says so, and counts once it answers", async () => {
    const hung = await startRedis();
    try {
      hung.pause();
      const { dir, policy } = machine(redisPolicy({ url: hung.url }));
      const connected = await wrapOnMachine(policy, dir);
      opened.push(connected);
      expect(connected.stderr()).toContain("the limit store cannot be reached");
      expect(connected.stderr()).toContain("no answer within 1000 ms");
      expect(await callOutcome(connected.client, "echo", { message: "limited" })).toContain(
        "the redis limit store cannot be reached",
      );
      expect(await callOutcome(connected.client, "get-env", {})).toBe("pass");
      hung.resume();
      await waitFor("counting in the resumed Redis", 10_000, async () => {
        return (await callOutcome(connected.client, "echo", { message: "counted" })) === "pass";
      });
    } finally {
      hung.resume();
      await hung.cleanup();
    }
  });

  it("starts when Redis cannot be reached, says so, and denies only the limited calls", async () => {
    const { dir, policy } = machine(redisPolicy({ url: `redis://127.0.0.1:${await freePort()}/0` }));
    const connected = await wrapOnMachine(policy, dir);
    opened.push(connected);
    expect(connected.stderr()).toContain("the limit store cannot be reached");
    expect(await callOutcome(connected.client, "echo", { message: "limited" })).toContain(
      "the redis limit store cannot be reached",
    );
    expect(await callOutcome(connected.client, "get-env", {})).toBe("pass");
  });
});

describe("a Redis that cannot hold the counters", () => {
  let node: RunningRedis;
  beforeAll(async () => {
    node = await startRedis({ cluster: true, servedSlots: [0, 8191] });
  });
  afterAll(async () => {
    await node?.cleanup();
  });

  it("refuses to start on a node that serves only part of a Redis Cluster, saying Cluster is not followed", async () => {
    const { dir, policy } = machine(redisPolicy({ url: node.url }));
    const run = await wrapExit(policy, dir);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("a node of a Redis Cluster that serves 8192 of its 16384 slots");
    expect(run.stderr).toContain("policylayer does not follow a cluster's redirects");
    expect(run.stderr).toContain("point state.url (or $POLICYLAYER_REDIS_URL) at a single Redis");
    expect(run.stderr).toContain("the server was not started");
  });

  it("refuses to start on a read-only replica", async () => {
    const replica = await startRedis();
    try {
      const { Redis } = await import("ioredis");
      const client = new Redis(replica.url);
      try {
        await client.call("REPLICAOF", "127.0.0.1", String(node.port));
      } finally {
        client.disconnect();
      }
      const { dir, policy } = machine(redisPolicy({ url: replica.url }));
      const run = await wrapExit(policy, dir);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain("a read-only replica; policylayer counts in a single Redis or a primary");
      expect(run.stderr).toContain("the server was not started");
    } finally {
      await replica.cleanup();
    }
  });
});

describe("limits on a Redis Cluster node", () => {
  let node: RunningRedis;
  beforeAll(async () => {
    node = await startRedis({ cluster: true });
  });
  afterAll(async () => {
    await node?.cleanup();
  });

  it("counts a rule's rate_limit and budget of two scopes in one script: every key of the call in one slot", async () => {
    const { dir, policy } = machine(`version: 1
default: deny
state: { store: redis, url: "${node.url}", key_prefix: "team-a:" }
server: everything
rules:
  - id: both
    tool: get-sum
    action: allow
    rate_limit: { max: 2, window: 600, scope: global }
    budget: { sum: args.a, max: 10, window: 86400, scope: server }
`);
    const connected = await wrapOnMachine(policy, dir);
    opened.push(connected);
    expect(await callOutcome(connected.client, "get-sum", { a: 4, b: 0 })).toBe("pass");
    expect(await callOutcome(connected.client, "get-sum", { a: 7, b: 0 })).toContain("6 is left");
    expect(await callOutcome(connected.client, "get-sum", { a: 6, b: 0 })).toBe("pass");
    expect(await callOutcome(connected.client, "get-sum", { a: 0, b: 0 })).toContain(
      "rate limit of rule 1 (global scope): at most 2 calls",
    );
    const rows = await limitsJson(dir, policy);
    expect(rows.map((row) => [row.kind, row.scope, row.used])).toEqual([
      ["rate_limit", "global", 2],
      ["budget", "server", 10],
    ]);
    const { Redis } = await import("ioredis");
    const client = new Redis(node.url);
    try {
      const keys = await client.keys("*");
      expect(keys).toHaveLength(4);
      const slots = await Promise.all(keys.map((key) => client.call("CLUSTER", "KEYSLOT", key)));
      expect(new Set(slots).size).toBe(1);
    } finally {
      client.disconnect();
    }
  });
});
