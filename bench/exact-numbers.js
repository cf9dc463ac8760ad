// The cost per line of keeping numbers exact: node bench/exact-numbers.js (after `npm run build`).
// For each kind of line: JSON.parse alone, the scan for inexact literals (inexactNumberRanges), and
// parseJson (the scan, then JSON.parse, or the exact path where the line needs it), in ns of CPU per line.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const { inexactNumberRanges, parseJson } = await import(join(root, "dist", "wire", "json.js"));

const call = (id, args) =>
  Buffer.from(
    JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name: "echo", arguments: args } }),
  );
const lines = {
  "echo, 1 KB of text (the bench's call)": call(17, { text: "a".repeat(1024) }),
  "small call, 4 arguments with numbers": call(123, {
    operation: "describe",
    count: 10,
    ratio: 0.25,
    region: "eu-west-1",
  }),
  "1,000 small integers": call(5, { values: Array.from({ length: 1000 }, (_, i) => i * 7) }),
  "100 string members": call(
    6,
    Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`key${i}`, `value ${i}`])),
  ),
  "exact path: one 20-digit integer": Buffer.from(
    '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","arguments":{"n":12345678901234567890,"region":"eu-west-1"}}}',
  ),
};

function nsPerLine(work, bytes) {
  const iterations = Math.max(2_000, Math.floor(20_000_000 / bytes.length));
  for (let i = 0; i < iterations; i++) work(bytes);
  // CPU time, not wall time: other processes on the machine then matter less. The fastest of 9 rounds.
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 9; round++) {
    const start = process.cpuUsage();
    for (let i = 0; i < iterations; i++) work(bytes);
    const used = process.cpuUsage(start);
    best = Math.min(best, ((used.user + used.system) * 1000) / iterations);
  }
  return best;
}

for (const [name, bytes] of Object.entries(lines)) {
  const parse = nsPerLine((b) => JSON.parse(b.toString("latin1")), bytes);
  const scan = nsPerLine((b) => inexactNumberRanges(b), bytes);
  const exact = nsPerLine((b) => parseJson(b, true), bytes);
  console.log(
    `${name} (${bytes.length} B): JSON.parse ${parse.toFixed(0)} ns, scan ${scan.toFixed(0)} ns, parseJson ${exact.toFixed(0)} ns`,
  );
}
