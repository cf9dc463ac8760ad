// npm run bench: the cost of standing in the path, as ratios against a direct connection and a
// plain byte relay measured in the same run. Options: --rounds N (default 5), --quick.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { expectEcho, McpPeer } from "./client.js";
import { limitsBench } from "./limits.js";
import { benchPolicyYaml } from "./policies.js";

const benchDir = dirname(fileURLToPath(import.meta.url));
const root = dirname(benchDir);
const node = process.execPath;

const argv = process.argv.slice(2);
const quick = argv.includes("--quick");
const roundsFlag = argv.indexOf("--rounds");
// Each concurrent measurement lasts a quarter of a second on a shared machine: medians need rounds.
const ROUNDS = roundsFlag === -1 ? (quick ? 2 : 9) : Number(argv[roundsFlag + 1]);
const SEQUENTIAL_CALLS = quick ? 1000 : 5000;
const WARMUP_CALLS = quick ? 200 : 1000;
/** Real sessions are short: the sequential round trip is measured too right after this few calls. */
const SHORT_WARMUP_CALLS = 300;
const SHORT_CALLS = quick ? 300 : 1000;
const CONCURRENT_CALLS = quick ? 4000 : 20_000;
/** Unmeasured calls in flight before the measured ones, so every way is measured warm at that shape too. */
const CONCURRENT_WARMUP_CALLS = quick ? 2000 : 10_000;
const IN_FLIGHT = 64;
const LARGE_RESULT_BYTES = 50 * 1024 * 1024;
const STARTUPS_PER_ROUND = 3;
const DECISION_RULES = 200;

const policyPath = join(benchDir, "policy.yaml");
writeFileSync(policyPath, benchPolicyYaml(50));
const serverCommand = [join(benchDir, "server.js")];
const scratch = mkdtempSync(join(tmpdir(), "policylayer-bench-"));

/** How each way is started: the command the client spawns. */
const WAYS = {
  direct: () => [node, serverCommand],
  relay: () => [node, [join(benchDir, "relay.js"), node, ...serverCommand]],
  // The relay plus what deciding on parsed messages needs at the least: each client line parsed and
  // serialized again. Not a budget: it shows how much of the gap to the relay that alone takes.
  "parse-relay": () => [node, [join(benchDir, "parse-relay.js"), node, ...serverCommand]],
  // The parse-relay plus one audit line per answer, written before the answer leaves, as
  // policylayer writes its own, after the policy was validated: the least a proxy that validates
  // its policy before it starts the server, decides on parsed messages and audits them does, at
  // startup and per call. Not a budget either.
  "audit-relay": (label) => [
    node,
    [
      join(benchDir, "audit-relay.js"),
      policyPath,
      join(scratch, `audit-relay-${label}.jsonl`),
      node,
      ...serverCommand,
    ],
  ],
  // The command as an installed `policylayer` runs: through its shebang (Windows has no shebangs:
  // there npm's shim reads it, here we name node).
  policylayer: (label) => {
    const bin = join(root, "bin", "policylayer.js");
    const args = [
      "wrap",
      "--policy",
      policyPath,
      "--audit",
      join(scratch, `audit-${label}.jsonl`),
      "--",
      node,
      ...serverCommand,
    ];
    return process.platform === "win32" ? [node, [bin, ...args]] : [bin, args];
  },
};
const WAY_NAMES = Object.keys(WAYS);

const ECHO_TEXT = "a".repeat(1024);

function nowUs() {
  return Number(process.hrtime.bigint()) / 1000;
}

function median(values) {
  const sorted = values.filter((v) => v !== null && Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function percentile(sorted, fraction) {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))];
}

/** Spawns one way and waits until `initialize` is answered; returns the peer and the startup time. */
async function start(way, label) {
  const [command, args] = WAYS[way](label);
  const peer = new McpPeer(command, args);
  const response = await peer.request("initialize", {
    protocolVersion: "2025-06-18",
    capabilities: {},
    clientInfo: { name: "policylayer-bench", version: "1.0.0" },
  });
  const startupMs = Number(process.hrtime.bigint() - peer.startedNs) / 1e6;
  if (!response.message?.result)
    throw new Error(`${way}: initialize failed: ${JSON.stringify(response.message)}`);
  peer.notify("notifications/initialized");
  return { peer, startupMs };
}

function echo(peer) {
  return peer.request("tools/call", { name: "echo", arguments: { text: ECHO_TEXT } });
}

async function sequential(peer, calls) {
  const roundTripsUs = new Array(calls);
  for (let i = 0; i < calls; i++) {
    const before = nowUs();
    const response = await echo(peer);
    roundTripsUs[i] = nowUs() - before;
    expectEcho(response, ECHO_TEXT);
  }
  roundTripsUs.sort((a, b) => a - b);
  return { p50Us: percentile(roundTripsUs, 0.5), p99Us: percentile(roundTripsUs, 0.99) };
}

/** CPU time of a process, all its threads, in µs (Linux: /proc schedstat); null elsewhere. */
function processCpuUs(pid) {
  try {
    let ns = 0;
    for (const task of readdirSync(`/proc/${pid}/task`))
      ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, "utf8").split(" ")[0]);
    return ns / 1000;
  } catch {
    return null;
  }
}

async function concurrent(peer, calls, inFlight) {
  let sent = 0;
  const cpuBefore = processCpuUs(peer.child.pid);
  const before = nowUs();
  const worker = async () => {
    while (sent < calls) {
      sent++;
      expectEcho(await echo(peer), ECHO_TEXT);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const elapsedUs = nowUs() - before;
  const cpuAfter = processCpuUs(peer.child.pid);
  return {
    callsPerSecond: calls / (elapsedUs / 1e6),
    cpuUsPerCall: cpuBefore === null || cpuAfter === null ? null : (cpuAfter - cpuBefore) / calls,
  };
}

async function largeResult(peer, way) {
  const before = nowUs();
  const response = await peer.request("tools/call", {
    name: "large_result",
    arguments: { bytes: LARGE_RESULT_BYTES },
  });
  const ms = (nowUs() - before) / 1000;
  if (response.bytes < LARGE_RESULT_BYTES) throw new Error(`large result too small: ${response.bytes} bytes`);
  return { ms, peakRssBytes: way === "direct" ? null : peer.peakRssBytes() };
}

/** The sequential round trips of a session: p50 and p99 right after SHORT_WARMUP_CALLS calls (short), then warm. */
async function sequentialPhases(peer) {
  await sequential(peer, SHORT_WARMUP_CALLS);
  const short = await sequential(peer, SHORT_CALLS);
  await sequential(peer, WARMUP_CALLS);
  const seq = await sequential(peer, SEQUENTIAL_CALLS);
  return {
    sequentialP50Us: seq.p50Us,
    sequentialP99Us: seq.p99Us,
    shortP50Us: short.p50Us,
    shortP99Us: short.p99Us,
  };
}

/** The figures sequentialPhases measures, and their rows in the printed tables. */
const SEQUENTIAL_KEYS = ["sequentialP50Us", "sequentialP99Us", "shortP50Us", "shortP99Us"];
const SEQUENTIAL_ROWS = [
  ["sequential echo p50 (µs)", (s) => fmt(s.sequentialP50Us)],
  ["sequential echo p99 (µs)", (s) => fmt(s.sequentialP99Us)],
  [`  after ${SHORT_WARMUP_CALLS} calls: p50 (µs)`, (s) => fmt(s.shortP50Us)],
  [`  after ${SHORT_WARMUP_CALLS} calls: p99 (µs)`, (s) => fmt(s.shortP99Us)],
];

/** Closes a session's peer; a way that does not exit cleanly fails the bench. */
async function closeSession(peer, way) {
  const exit = await peer.close();
  if (exit.code !== 0) throw new Error(`${way} exited with ${JSON.stringify(exit)}`);
}

/** `list` rotated by `round`, so that who goes first changes from round to round. */
function rotated(list, round) {
  return list.map((_, i) => list[(i + round) % list.length]);
}

/** Per key, the median over rounds of that figure. */
function medians(rounds, keys) {
  return Object.fromEntries(keys.map((key) => [key, median(rounds.map((r) => r[key]))]));
}

/** One session of one way: startup, tools/list, warm-up, then each scenario in turn. */
async function session(way, round) {
  const { peer, startupMs } = await start(way, `${way}-${round}`);
  const list = await peer.request("tools/list", {});
  if (!list.message?.result?.tools?.some((tool) => tool.name === "echo"))
    throw new Error(`${way}: echo is not listed`);
  const figures = await sequentialPhases(peer);
  await concurrent(peer, CONCURRENT_WARMUP_CALLS, IN_FLIGHT);
  const conc = await concurrent(peer, CONCURRENT_CALLS, IN_FLIGHT);
  const large = await largeResult(peer, way);
  await closeSession(peer, way);
  const startups = [startupMs];
  for (let i = 1; i < STARTUPS_PER_ROUND; i++) {
    const extra = await start(way, `${way}-${round}-${i}`);
    startups.push(extra.startupMs);
    await extra.peer.close();
  }
  return {
    ...figures,
    concurrentCallsPerSecond: conc.callsPerSecond,
    concurrentCpuUsPerCall: conc.cpuUsPerCall,
    largeResultMs: large.ms,
    largeResultPeakRssBytes: large.peakRssBytes,
    startupMs: median(startups),
  };
}

/** The policy decision alone, no I/O: median time per call of decideToolCall on a 200-rule policy. */
async function decisionBench() {
  const { parsePolicy } = await import(join(root, "dist", "policy", "load.js"));
  const { decideToolCall } = await import(join(root, "dist", "policy", "decide.js"));
  const { classifyCall, profileTool } = await import(join(root, "dist", "classify", "index.js"));
  const loaded = parsePolicy(benchPolicyYaml(DECISION_RULES), `bench ${DECISION_RULES}-rule policy`);
  if (!loaded.ok)
    throw new Error(
      `the ${DECISION_RULES}-rule policy does not validate: ${JSON.stringify(loaded.errors[0])}`,
    );
  const policy = loaded.policy;
  const profiles = new Map(
    ["echo", "large_result"].map((name) => [
      name,
      profileTool({
        name,
        description: "bench",
        inputSchema: { type: "object" },
        annotations: { readOnlyHint: true },
      }),
    ]),
  );
  const calls = [
    { name: "echo", arguments: { text: ECHO_TEXT } },
    { name: "large_result", arguments: { bytes: 1000 } },
    { name: "query_orders", arguments: { limit: 10, table: "orders" } },
    { name: "delete_stack_40", arguments: {} },
    { name: "fs_write_12", arguments: { path: "/etc/passwd" } },
    { name: "deploy_release", arguments: { environment: "prod" } },
    { name: "unknown_tool", arguments: { path: "/home/user/notes.txt", options: { mode: "safe" } } },
  ];
  const classified = calls.map((call) => [
    call,
    classifyCall(profiles.get(call.name), call.name, call.arguments, policy.categoryOverrides.get(call.name)),
  ]);
  const expected = decideToolCall(policy, calls[0], classified[0][1]);
  if (expected.action !== "allow")
    throw new Error(`the echo call is not allowed by the ${DECISION_RULES}-rule policy: ${expected.reason}`);
  const perBatch = 2000;
  const decideUs = [];
  const classifyAndDecideUs = [];
  let sink = 0;
  for (let batch = 0; batch < 60; batch++) {
    let before = nowUs();
    for (let i = 0; i < perBatch; i++) {
      const [call, classification] = classified[i % classified.length];
      sink += decideToolCall(policy, call, classification).reason.length;
    }
    decideUs.push((nowUs() - before) / perBatch);
    before = nowUs();
    for (let i = 0; i < perBatch; i++) {
      const call = calls[i % calls.length];
      const classification = classifyCall(
        profiles.get(call.name),
        call.name,
        call.arguments,
        policy.categoryOverrides.get(call.name),
      );
      sink += decideToolCall(policy, call, classification).reason.length;
    }
    classifyAndDecideUs.push((nowUs() - before) / perBatch);
  }
  // classifyCall alone on the real SageMaker server's tools (selector arguments, no annotations).
  const { profileToolList } = await import(join(root, "dist", "classify", "index.js"));
  const sagemaker = profileToolList(
    JSON.parse(
      readFileSync(join(root, "test", "fixtures", "sagemaker-ai-mcp-server.tools-list.json"), "utf8"),
    ),
  );
  const sagemakerCalls = [
    ["manage_hyperpod_stacks", { operation: "delete", stack_name: "s", region_name: "us-east-1" }],
    ["manage_hyperpod_cluster_nodes", { operation: "list_nodes", cluster_name: "c" }],
    ["manage_hyperpod_cluster_nodes", { operation: "unknown" }],
    ["describe_hp_cluster", { cluster_name: "c", region_name: "us-east-1" }],
  ];
  const classifyUs = [];
  for (let batch = 0; batch < 60; batch++) {
    const before = nowUs();
    for (let i = 0; i < perBatch; i++) {
      const [tool, args] = sagemakerCalls[i % sagemakerCalls.length];
      sink += classifyCall(sagemaker.get(tool), tool, args).category.length;
    }
    classifyUs.push((nowUs() - before) / perBatch);
  }
  if (sink === 0) throw new Error("unreachable");
  // The first batches warm the JIT up; they are not counted.
  return {
    decideMedianUs: median(decideUs.slice(10)),
    classifyAndDecideMedianUs: median(classifyAndDecideUs.slice(10)),
    classifySagemakerMedianUs: median(classifyUs.slice(10)),
  };
}

/** The CPU affinity mask of a process, as taskset prints it (hex), or null where taskset cannot tell. */
function affinityOf(pid) {
  const result = spawnSync("taskset", ["-p", String(pid)], { encoding: "utf8" });
  return result.status === 0 ? (/:\s*([0-9a-f,]+)\s*$/.exec(result.stdout)?.[1] ?? null) : null;
}

/** Sets the affinity of every thread of a process (and so of the children it spawns later). */
function setAffinity(pid, mask) {
  const result = spawnSync("taskset", ["-a", "-p", mask, String(pid)], { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`taskset -a -p ${mask} ${pid} failed: ${result.stderr}`);
}

/**
 * How this machine's idle CPUs wait, where Linux says: the cpuidle driver, and for a virtual
 * machine's haltpoll driver how long an idle CPU polls before it halts. With 0 ns it halts at once,
 * and each message that wakes a process on an idle CPU pays the hypervisor's wake-up (tens of µs):
 * then the sequential rows mostly say how often the scheduler put consecutive hops on different
 * CPUs. Null where nothing can be read.
 */
function idleCpus() {
  const read = (path) => {
    try {
      return readFileSync(path, "utf8").trim();
    } catch {
      return null;
    }
  };
  const driver = read("/sys/devices/system/cpu/cpuidle/current_driver");
  if (driver === null) return null;
  const pollNs = read("/sys/module/haltpoll/parameters/guest_halt_poll_ns");
  return { driver, haltPollNs: pollNs === null ? null : Number(pollNs) };
}

/**
 * Sequential round trips with the bench, the way and its server all on one CPU: no message then
 * wakes a process on another CPU, so what is left is each way's own work per call. Not a budget
 * line: it shows how much of the sequential gap is where the scheduler put the three processes
 * (a wake-up of an idle CPU costs tens of µs on a virtual machine). Null where taskset is missing
 * or the machine has one CPU.
 */
async function oneCpuSequential(ways) {
  const original = process.platform === "linux" ? affinityOf(process.pid) : null;
  if (original === null || cpus().length < 2) return null;
  // The highest CPU the bench may use (the first ones take more of the machine's interrupts).
  const allowed = BigInt(`0x${original.replaceAll(",", "")}`);
  let cpu = 1n;
  while (cpu << 1n <= allowed) cpu <<= 1n;
  while ((cpu & allowed) === 0n) cpu >>= 1n;
  setAffinity(process.pid, cpu.toString(16));
  try {
    const perWay = Object.fromEntries(ways.map((way) => [way, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const way of rotated(ways, round)) {
        const { peer } = await start(way, `${way}-one-cpu-${round}`);
        perWay[way].push(await sequentialPhases(peer));
        await closeSession(peer, way);
      }
    }
    return Object.fromEntries(ways.map((way) => [way, medians(perWay[way], SEQUENTIAL_KEYS)]));
  } finally {
    setAffinity(process.pid, original);
  }
}

function fmt(value, digits = 0) {
  return value === null || value === undefined ? "-" : value.toFixed(digits);
}

async function main() {
  const began = Date.now();
  // First, while the bench's own heap is small (the large results come later).
  const oneCpuWays = ["direct", "relay", "audit-relay", "policylayer"];
  const oneCpu = await oneCpuSequential(oneCpuWays);
  const perRound = Object.fromEntries(WAY_NAMES.map((way) => [way, []]));
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate, and rotate who goes first, so drift in the machine's load spreads over all of them.
    for (const way of rotated(WAY_NAMES, round)) perRound[way].push(await session(way, round));
    process.stderr.write(
      `round ${round + 1}/${ROUNDS} done (${((Date.now() - began) / 1000).toFixed(0)} s)\n`,
    );
  }
  const summary = {};
  for (const way of WAY_NAMES) {
    const rounds = perRound[way];
    summary[way] = {
      ...medians(rounds, [
        ...SEQUENTIAL_KEYS,
        "concurrentCallsPerSecond",
        "concurrentCpuUsPerCall",
        "largeResultMs",
        "largeResultPeakRssBytes",
      ]),
      largeResultPeakRssMaxBytes:
        way === "direct" ? null : Math.max(...rounds.map((r) => r.largeResultPeakRssBytes)),
      startupMs: median(rounds.map((r) => r.startupMs)),
    };
  }
  const decision = await decisionBench();
  const limits = await limitsBench({ rounds: Math.max(3, ROUNDS) });

  const MB = 1024 * 1024;
  const rows = [
    ...SEQUENTIAL_ROWS,
    ["concurrent echo (calls/s)", (s) => fmt(s.concurrentCallsPerSecond)],
    // The process the client spawned (the server itself when direct), all its threads, no children.
    ["  its CPU per call (µs)", (s) => fmt(s.concurrentCpuUsPerCall, 1)],
    ["large result 50 MB (ms)", (s) => fmt(s.largeResultMs)],
    [
      "proxy peak RSS (MB)",
      (s) => fmt(s.largeResultPeakRssBytes === null ? null : s.largeResultPeakRssBytes / MB),
    ],
    ["startup to initialize (ms)", (s) => fmt(s.startupMs, 1)],
  ];
  const widths = [28, ...WAY_NAMES.map((way) => Math.max(10, way.length))];
  const line = (cells) =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join(" ");
  /** A row with a figure of policylayer's alone (in process), in its column. */
  const ours = (label, figure) =>
    line([label, ...WAY_NAMES.map((way) => (way === "policylayer" ? figure : ""))]);
  const out = [];
  out.push(
    `policylayer bench: ${ROUNDS} rounds, medians over rounds; node ${process.version}, ${cpus().length} cores`,
  );
  const idle = idleCpus();
  if (idle !== null)
    out.push(
      `idle CPUs: cpuidle driver ${idle.driver}${idle.haltPollNs === null ? "" : `, polling ${idle.haltPollNs} ns before halting${idle.haltPollNs === 0 ? " (an idle CPU halts at once: waking it costs tens of µs, so the sequential rows depend on where the scheduler puts each process)" : ""}`}`,
    );
  out.push(line(["scenario", ...WAY_NAMES]));
  for (const [label, get] of rows) out.push(line([label, ...WAY_NAMES.map((way) => get(summary[way]))]));
  out.push(ours(`decision, ${DECISION_RULES} rules (µs/call)`, fmt(decision.decideMedianUs, 2)));
  out.push(ours("classify + decide (µs/call)", fmt(decision.classifyAndDecideMedianUs, 2)));
  out.push(ours("classify, SageMaker (µs/call)", fmt(decision.classifySagemakerMedianUs, 2)));
  // In process, through the real gate: what a limit adds to deciding and finishing one call.
  out.push(ours("limit, session scope (+µs)", fmt(limits.addedUs.session, 1)));
  out.push(ours("limit, local store (+µs)", fmt(limits.addedUs.local, 1)));
  out.push(ours("limit, Redis loopback (+µs)", fmt(limits.addedUs.redis, 1)));
  out.push(ours("  Redis PING round trip (µs)", fmt(limits.redisRoundTripUs, 1)));
  out.push(ours("  its EVALSHA sent bare (µs)", fmt(limits.redisScriptRoundTripUs, 1)));
  out.push(ours("  its script inside Redis (µs)", fmt(limits.redisScriptUs, 1)));
  // The same calls 2 ms apart: each opens a new time bucket, as an agent's calls do.
  out.push(ours(`  ${limits.spaced.gapMs} ms apart: local (+µs)`, fmt(limits.spaced.addedUs.local, 1)));
  out.push(ours(`  ${limits.spaced.gapMs} ms apart: Redis (+µs)`, fmt(limits.spaced.addedUs.redis, 1)));
  out.push(ours("  Redis PING round trip (µs)", fmt(limits.spaced.redisRoundTripUs, 1)));
  out.push(ours("  its EVALSHA sent bare (µs)", fmt(limits.spaced.redisScriptRoundTripUs, 1)));
  out.push(ours("  its script inside Redis (µs)", fmt(limits.spaced.redisScriptUs, 1)));

  const { direct, relay, policylayer } = summary;
  const relayAddedUs = relay.sequentialP50Us - direct.sequentialP50Us;
  const oursAddedUs = policylayer.sequentialP50Us - direct.sequentialP50Us;
  const relayShortAddedUs = relay.shortP50Us - direct.shortP50Us;
  const oursShortAddedUs = policylayer.shortP50Us - direct.shortP50Us;
  const rssLimitBytes = 3 * LARGE_RESULT_BYTES + 80 * MB;
  const budget = [
    [
      "sequential: added p50 <= relay's added p50 + 20 µs",
      oursAddedUs <= relayAddedUs + 20,
      `${fmt(oursAddedUs)} µs vs ${fmt(relayAddedUs)} + 20 µs`,
    ],
    [
      `sequential after ${SHORT_WARMUP_CALLS} calls: the same`,
      oursShortAddedUs <= relayShortAddedUs + 20,
      `${fmt(oursShortAddedUs)} µs vs ${fmt(relayShortAddedUs)} + 20 µs`,
    ],
    [
      "concurrent: >= 0.85 x relay's calls/s",
      policylayer.concurrentCallsPerSecond >= 0.85 * relay.concurrentCallsPerSecond,
      `${fmt(policylayer.concurrentCallsPerSecond / relay.concurrentCallsPerSecond, 2)} x relay`,
    ],
    [
      "large result: time <= 1.5 x direct",
      policylayer.largeResultMs <= 1.5 * direct.largeResultMs,
      `${fmt(policylayer.largeResultMs / direct.largeResultMs, 2)} x direct`,
    ],
    [
      "large result: peak RSS <= 3 x 50 MB + 80 MB",
      policylayer.largeResultPeakRssMaxBytes <= rssLimitBytes,
      `max ${fmt(policylayer.largeResultPeakRssMaxBytes / MB)} MB of ${fmt(rssLimitBytes / MB)} MB`,
    ],
    [
      "startup: <= relay's startup + 60 ms",
      policylayer.startupMs <= relay.startupMs + 60,
      `${fmt(policylayer.startupMs, 1)} ms vs ${fmt(relay.startupMs, 1)} + 60 ms`,
    ],
    [
      `decision: median < 5 µs (${DECISION_RULES} rules)`,
      decision.decideMedianUs < 5,
      `${fmt(decision.decideMedianUs, 2)} µs`,
    ],
  ];
  // Not budget lines: how much of the sequential gap to the relay parsing and serializing alone
  // take, and how much they and an audit line before each answer take.
  const floors = [
    ["parse and serialize alone (parse-relay)", summary["parse-relay"]],
    ["those and an audit line per answer (audit-relay)", summary["audit-relay"]],
  ];
  out.push("");
  for (const [what, floor] of floors)
    out.push(
      `${what} add ${fmt(floor.sequentialP50Us - relay.sequentialP50Us)} µs to the relay's sequential p50, ${fmt(floor.shortP50Us - relay.shortP50Us)} µs after ${SHORT_WARMUP_CALLS} calls; policylayer adds ${fmt(policylayer.sequentialP50Us - floor.sequentialP50Us)} and ${fmt(policylayer.shortP50Us - floor.shortP50Us)} µs to those`,
    );
  const startFloor = summary["audit-relay"];
  out.push(
    `validating the policy before the server starts (audit-relay) adds ${fmt(startFloor.startupMs - relay.startupMs, 1)} ms to the relay's startup; policylayer adds ${fmt(policylayer.startupMs - startFloor.startupMs, 1)} ms to that`,
  );
  if (oneCpu !== null) {
    out.push("");
    out.push(
      "the same sequential calls with the bench, the way and its server on one CPU (no cross-CPU wake-ups):",
    );
    out.push(line(["scenario", ...oneCpuWays]));
    for (const [label, get] of SEQUENTIAL_ROWS)
      out.push(line([label, ...oneCpuWays.map((way) => get(oneCpu[way]))]));
    const added = (way, key) => oneCpu[way][key] - oneCpu.direct[key];
    out.push(
      `on one CPU, policylayer adds ${fmt(added("policylayer", "sequentialP50Us"))} µs to a sequential round trip where the relay adds ${fmt(added("relay", "sequentialP50Us"))} (the audit-relay ${fmt(added("audit-relay", "sequentialP50Us"))}); after ${SHORT_WARMUP_CALLS} calls ${fmt(added("policylayer", "shortP50Us"))} where the relay adds ${fmt(added("relay", "shortP50Us"))} (the audit-relay ${fmt(added("audit-relay", "shortP50Us"))})`,
    );
  }
  out.push("");
  out.push("budget:");
  for (const [what, pass, figures] of budget)
    out.push(`  ${pass ? "PASS" : "FAIL"}  ${what.padEnd(50)} ${figures}`);
  out.push(`(${((Date.now() - began) / 1000).toFixed(0)} s)`);
  process.stdout.write(`${out.join("\n")}\n`);

  writeFileSync(
    join(benchDir, "results.json"),
    `${JSON.stringify(
      {
        time: new Date().toISOString(),
        node: process.version,
        rounds: ROUNDS,
        settings: {
          SEQUENTIAL_CALLS,
          WARMUP_CALLS,
          SHORT_WARMUP_CALLS,
          SHORT_CALLS,
          CONCURRENT_WARMUP_CALLS,
          CONCURRENT_CALLS,
          IN_FLIGHT,
          LARGE_RESULT_BYTES,
          DECISION_RULES,
        },
        summary,
        idleCpus: idleCpus(),
        oneCpu,
        decision,
        limits,
        budget: budget.map(([what, pass, figures]) => ({ what, pass, figures })),
        perRound,
      },
      null,
      2,
    )}\n`,
  );
  rmSync(scratch, { recursive: true, force: true });
  return budget.every(([, pass]) => pass) ? 0 : 1;
}

process.exitCode = await main();
