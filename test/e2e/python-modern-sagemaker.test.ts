import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { policylayerBin, repoRoot } from "../helpers/paths.js";
import { pythonWithMcp } from "../helpers/python-sdk.js";
import { NO_AWS } from "../helpers/sagemaker.js";
import { readJsonLines, tempDir, writePolicy } from "../helpers/tmp.js";

const run = promisify(execFile);

// The official Python `mcp` 2.x client in 2026-07-28 mode, through wrap, against the real SageMaker
// AI server (mcp 2.x, dual-era). No AWS credentials: the server lists its tools without them.
interface Report {
  protocol_version: string;
  tools: string[];
  calls: {
    result?: { isError?: boolean; resultType?: string; content: { text: string }[] };
    error?: string;
  }[];
}

let report: Report;
let auditFile: string;
let dir: { path: string; cleanup: () => void };

beforeAll(async () => {
  const python = await pythonWithMcp(2);
  dir = tempDir();
  auditFile = join(dir.path, "audit.jsonl");
  const policy = writePolicy(
    dir.path,
    "version: 1\ndefault: allow\nrules:\n  - tool: manage_hyperpod_stacks\n    action: deny\n    reason: Stack changes go through the platform team\n",
  );
  const calls = [
    {
      name: "manage_hyperpod_stacks",
      arguments: { operation: "delete", region_name: "us-east-1", stack_name: "prod-hyperpod" },
    },
  ];
  const { stdout } = await run(
    python,
    [
      join(repoRoot, "test", "clients", "modern_client.py"),
      JSON.stringify(calls),
      "--",
      process.execPath,
      policylayerBin,
      "wrap",
      "--policy",
      policy,
      "--audit",
      auditFile,
      "--",
      "uvx",
      "awslabs.sagemaker-ai-mcp-server",
    ],
    { env: { ...process.env, ...NO_AWS }, timeout: 240_000, maxBuffer: 16 * 1024 * 1024 },
  );
  report = JSON.parse(stdout) as Report;
}, 300_000);
afterAll(() => dir?.cleanup());

describe("the Python mcp 2.x client in 2026-07-28 mode through wrap to the real SageMaker server", () => {
  it("speaks 2026-07-28 and lists the server's four tools", () => {
    expect(report.protocol_version).toBe("2026-07-28");
    expect(report.tools).toEqual([
      "describe_hp_cluster",
      "manage_hyperpod_cluster_nodes",
      "manage_hyperpod_stacks",
      "update_hp_cluster",
    ]);
  });

  it("sees the denial as a tool error with the reason, and the call is audited as denied", () => {
    const [denied] = report.calls;
    expect(denied?.error).toBeUndefined();
    expect(denied?.result?.isError).toBe(true);
    expect(denied?.result?.content[0]?.text).toBe(
      'policylayer blocked the call to tool "manage_hyperpod_stacks": Stack changes go through the platform team',
    );
    const records = readJsonLines(auditFile).filter((record) => record.event === "tools/call");
    expect(records).toMatchObject([{ tool: "manage_hyperpod_stacks", decision: "deny" }]);
  });
});
