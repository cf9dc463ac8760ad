// Profiles policylayer wrap under the echo load: node bench/profile.js [DIR]; writes a .cpuprofile
// of the proxy to DIR (default: a temp folder) and prints its top self-time functions.
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { expectEcho, McpPeer } from "./client.js";

const benchDir = dirname(fileURLToPath(import.meta.url));
const root = dirname(benchDir);
const outDir = process.argv[2] ?? mkdtempSync(join(tmpdir(), "policylayer-prof-"));
const scenario = process.argv[3] ?? "echo";
const peer = new McpPeer(process.execPath, [
  "--cpu-prof",
  `--cpu-prof-dir=${outDir}`,
  join(root, "bin", "policylayer.js"),
  "wrap",
  "--policy",
  join(benchDir, "policy.yaml"),
  "--audit",
  join(outDir, "audit.jsonl"),
  "--",
  process.execPath,
  join(benchDir, "server.js"),
]);
await peer.request("initialize", {
  protocolVersion: "2025-06-18",
  capabilities: {},
  clientInfo: { name: "prof", version: "1" },
});
await peer.request("tools/list", {});
const text = "a".repeat(1024);
if (scenario === "large") {
  await peer.request("tools/call", { name: "large_result", arguments: { bytes: 50 * 1024 * 1024 } });
} else if (scenario === "echo") {
  let sent = 0;
  const worker = async () => {
    while (sent++ < 40_000)
      expectEcho(await peer.request("tools/call", { name: "echo", arguments: { text } }), text);
  };
  await Promise.all(Array.from({ length: 64 }, worker));
}
await peer.close();

const file = readdirSync(outDir).find((name) => name.endsWith(".cpuprofile"));
const profile = JSON.parse(readFileSync(join(outDir, file), "utf8"));
const selfUs = new Map();
const deltas = profile.timeDeltas;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
for (let i = 0; i < profile.samples.length; i++) {
  const { callFrame } = byId.get(profile.samples[i]);
  const key = `${callFrame.functionName || "(anonymous)"} ${callFrame.url.replace(/^.*\/(node_modules|dist|src)\//, "$1/")}:${callFrame.lineNumber + 1}`;
  selfUs.set(key, (selfUs.get(key) ?? 0) + (deltas[i] ?? 0));
}
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
console.log(`${join(outDir, file)}: ${(total / 1000).toFixed(0)} ms sampled`);
for (const [key, us] of [...selfUs].sort((a, b) => b[1] - a[1]).slice(0, 30)) {
  console.log(
    `${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(1).padStart(7)} ms  ${key}`,
  );
}
