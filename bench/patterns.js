// Time per decision of a policy regex that backtracking engines cannot finish: node bench/patterns.js
// (after `npm run build`). The rule denies args.s matching (a+)+$; the argument is n a's and a "!".
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const { parsePolicy } = await import(join(root, "dist", "policy", "load.js"));
const { decideToolCall } = await import(join(root, "dist", "policy", "decide.js"));

const started = performance.now();
const loaded = parsePolicy(
  "version: 1\ndefault: allow\nrules:\n  - tool: t\n    when: [{ path: args.s, op: regex, value: '(a+)+$' }]\n    action: deny\n",
  "bench",
);
console.log(
  `policy with a regex parsed and compiled (re2js loaded) in ${(performance.now() - started).toFixed(1)} ms`,
);
const classification = { category: "read", risk: "low", signals: [] };
for (const length of [27, 1_000, 100_000]) {
  const call = { name: "t", arguments: { s: `${"a".repeat(length)}!` } };
  const iterations = Math.max(20, Math.floor(2_000_000 / length));
  for (let i = 0; i < iterations; i++) decideToolCall(loaded.policy, call, classification);
  const start = process.cpuUsage();
  for (let i = 0; i < iterations; i++) decideToolCall(loaded.policy, call, classification);
  const used = process.cpuUsage(start);
  console.log(
    `(a+)+$ against ${length + 1} characters: ${((used.user + used.system) / iterations).toFixed(2)} us of CPU per decision`,
  );
}
