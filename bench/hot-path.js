// The proxy's own work per tools/call, in process, with no pipes and no other processes:
// node bench/hot-path.js [LINES_PER_CHUNK]. Feeds a ProxySession (the real gate, the 50-rule bench
// policy, an audit log to /dev/null) chunks of echo calls and their answers, and prints the median
// wall time and process CPU per call. Run after `npm run build`; profile with node --cpu-prof.
import { dirname, join } from "node:path";
import { PassThrough } from "node:stream";
import { fileURLToPath } from "node:url";
import { benchPolicyYaml } from "./policies.js";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const { parsePolicy } = await import(join(root, "dist", "policy", "load.js"));
const { Gate } = await import(join(root, "dist", "proxy", "gate.js"));
const { ProxySession } = await import(join(root, "dist", "proxy", "session.js"));
const { AuditLog } = await import(join(root, "dist", "audit", "log.js"));

const LINES_PER_CHUNK = Number(process.argv[2] ?? 16);
const ROUNDS = 20;
const CALLS_PER_ROUND = 20_000;
const WARM_ROUNDS = 5;

const gate = new Gate({
  policy: parsePolicy(benchPolicyYaml(50), "bench policy").policy,
  audit: AuditLog.open("/dev/null", { event: "session_start" }),
  sessionId: "00000000-0000-4000-8000-000000000000",
  serverLabel: `${process.execPath} bench/server.js`,
  warn: (message) => process.stderr.write(`${message}\n`),
});
// Not streams: a Writable would defer its callbacks to ticks that never run inside the timed loop.
const discard = () => ({ write: () => true, cork() {}, uncork() {}, once() {} });
const clientInput = new PassThrough();
const serverOutput = new PassThrough();
new ProxySession({
  clientInput,
  clientOutput: discard(),
  serverInput: discard(),
  serverOutput,
  gate,
  maxLineBytes: 256 * 1024 * 1024,
  warn: (message) => process.stderr.write(`${message}\n`),
}).start();

const line = (message) => `${JSON.stringify(message)}\n`;
// tools/list first, so the tool is profiled as in a real session.
clientInput.emit("data", Buffer.from(line({ jsonrpc: "2.0", id: "list", method: "tools/list" })));
const echoTool = { name: "echo", inputSchema: { type: "object" }, annotations: { readOnlyHint: true } };
serverOutput.emit("data", Buffer.from(line({ jsonrpc: "2.0", id: "list", result: { tools: [echoTool] } })));

const text = "a".repeat(1024);
let nextId = 1;
function chunkPair() {
  let requests = "";
  let answers = "";
  for (let i = 0; i < LINES_PER_CHUNK; i++, nextId++) {
    requests += line({
      jsonrpc: "2.0",
      id: nextId,
      method: "tools/call",
      params: { name: "echo", arguments: { text } },
    });
    answers += line({ jsonrpc: "2.0", id: nextId, result: { content: [{ type: "text", text }] } });
  }
  return [Buffer.from(requests), Buffer.from(answers)];
}
// The same chunks every round (each round's answers clear its calls), so only the proxy allocates.
const pairs = Array.from({ length: Math.ceil(CALLS_PER_ROUND / LINES_PER_CHUNK) }, chunkPair);
const calls = pairs.length * LINES_PER_CHUNK;

const wallUs = [];
const cpuUs = [];
for (let round = 0; round < ROUNDS; round++) {
  const before = process.hrtime.bigint();
  const cpuBefore = process.cpuUsage();
  for (const [requests, answers] of pairs) {
    clientInput.emit("data", requests);
    serverOutput.emit("data", answers);
  }
  wallUs.push(Number(process.hrtime.bigint() - before) / 1000 / calls);
  const cpu = process.cpuUsage(cpuBefore);
  cpuUs.push((cpu.user + cpu.system) / calls);
}
const median = (values) =>
  values.slice(WARM_ROUNDS).sort((a, b) => a - b)[(values.length - WARM_ROUNDS) >> 1];
console.log(
  `per call, ${LINES_PER_CHUNK} lines per chunk: ${median(wallUs).toFixed(2)} µs wall, ${median(cpuUs).toFixed(2)} µs process CPU (all threads)`,
);
