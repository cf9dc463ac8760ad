import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { modernServer, npmServer } from "../helpers/paths.js";
import { SAGEMAKER_OPERATIONS, SAGEMAKER_SINGLE_TOOLS } from "../helpers/sagemaker.js";
import { tempDir, writePolicy } from "../helpers/tmp.js";
import { type CliRun, parseToolsJson, policylayer, rowOf, SAGEMAKER, type ToolsJsonRow } from "./run.js";

// The categories in test/fixtures/README.md, per tool and per operation value.
const SAGEMAKER_EXPECTED: [string, string | null, string][] = [
  ...SAGEMAKER_SINGLE_TOOLS.map(([tool, category]): [string, null, string] => [tool, null, category]),
  ...SAGEMAKER_OPERATIONS,
];

describe("policylayer tools against the real SageMaker AI server (uvx)", () => {
  let plain: CliRun;
  let rows: ToolsJsonRow[];

  beforeAll(async () => {
    plain = await policylayer("tools", "--", ...SAGEMAKER);
    rows = parseToolsJson((await policylayer("tools", "--json", "--", ...SAGEMAKER)).stdout);
  }, 300_000);

  it("prints a sentence for all four tools and all eight operation values, with the fixture's categories", () => {
    expect(plain.exitCode).toBe(0);
    for (const [tool, value, category] of SAGEMAKER_EXPECTED) {
      const label = value === null ? tool : `${tool}(operation=${value})`;
      const risk = { read: "low", write: "medium", destructive: "critical" }[category];
      expect(plain.stdout).toContain(`\n${label} is a ${category} tool with ${risk} risk`);
    }
  });

  it("denies the destructive operations under the built-in default and allows the reads", () => {
    expect(plain.stdout).toContain(
      "manage_hyperpod_stacks(operation=delete) is a destructive tool with critical risk: denied by rule 3",
    );
    expect(rowOf(rows, "manage_hyperpod_stacks", "describe")).toMatchObject({ action: "allow", rule: 1 });
    expect(rowOf(rows, "manage_hyperpod_cluster_nodes", "batch_delete")).toMatchObject({
      action: "deny",
      rule: 3,
    });
  });

  it("--json has one row per tool and per operation value, with the fixture's categories", () => {
    expect(rows).toHaveLength(12);
    for (const [tool, value, category] of SAGEMAKER_EXPECTED) {
      expect(rowOf(rows, tool, value).category).toBe(category);
    }
    expect(rowOf(rows, "manage_hyperpod_stacks")).toMatchObject({
      argument: "operation",
      category: "destructive",
    });
    expect(rowOf(rows, "update_hp_cluster")).toMatchObject({
      action: "allow",
      rate_limit: { max: 30, window: 60 },
    });
  });

  it("with --policy examples/sagemaker.yaml, manage_hyperpod_stacks(operation=delete) is denied by rule 1", async () => {
    const run = await policylayer(
      "tools",
      "--json",
      "--policy",
      "examples/sagemaker.yaml",
      "--",
      ...SAGEMAKER,
    );
    expect(run.exitCode).toBe(0);
    const policyRows = parseToolsJson(run.stdout);
    expect(rowOf(policyRows, "manage_hyperpod_stacks", "delete")).toMatchObject({
      action: "deny",
      rule: 1,
      reason: "Deleting a HyperPod stack is not allowed from an agent; ask the platform team to do it.",
    });
    expect(rowOf(policyRows, "manage_hyperpod_stacks", "deploy")).toMatchObject({
      action: "require_approval",
      rule: 8,
    });
    // A call without an operation matches none of the operation rules: the default denies it.
    expect(rowOf(policyRows, "manage_hyperpod_stacks")).toMatchObject({ action: "deny", rule: null });
  }, 150_000);
});

describe("policylayer tools against server-filesystem", () => {
  const sandbox = tempDir();
  const server = npmServer("filesystem", sandbox.path);
  afterAll(() => sandbox.cleanup());

  it("prints every tool with the server's annotations taken into account", async () => {
    const run = await policylayer("tools", "--", ...server);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain("read_file is a read tool with low risk: allowed by rule 1");
    expect(run.stdout).toContain("write_file is a destructive tool with critical risk: denied by rule 3");
    expect(run.stdout).toContain("create_directory is a write tool with medium risk: allowed by rule 2");
    expect(run.stdout).toContain("  signals: readOnlyHint: true");
  });

  it("--json parses and gives each tool's category, action and rule", async () => {
    const rows = parseToolsJson((await policylayer("tools", "--json", "--", ...server)).stdout);
    expect(rows.length).toBeGreaterThanOrEqual(10);
    expect(rowOf(rows, "move_file")).toMatchObject({
      category: "destructive",
      risk: "critical",
      action: "deny",
    });
    expect(rowOf(rows, "list_directory")).toMatchObject({ category: "read", action: "allow", hidden: false });
    for (const row of rows) expect(row.signals.length).toBeGreaterThan(0);
  });

  it("marks hidden tools and says where the decision depends on other arguments", async () => {
    const dir = tempDir();
    const policy = writePolicy(
      dir.path,
      [
        "version: 1",
        "default: deny",
        "rules:",
        "  - tool: list_allowed_directories",
        "    action: deny",
        "    hide: true",
        "  - tool: read_file",
        "    when: [{ path: args.path, op: starts_with, value: /etc }]",
        "    action: deny",
        "  - category: read",
        "    action: allow",
        "",
      ].join("\n"),
    );
    try {
      const json = parseToolsJson(
        (await policylayer("tools", "--json", "--policy", policy, "--", ...server)).stdout,
      );
      expect(rowOf(json, "list_allowed_directories")).toMatchObject({
        hidden: true,
        action: "deny",
        rule: 1,
      });
      expect(rowOf(json, "read_file")).toMatchObject({
        action: "depends_on_arguments",
        depends_on: [{ rule: 2, action: "deny" }],
        rule: 3,
      });
      expect(rowOf(json, "read_text_file")).toMatchObject({ action: "allow", rule: 3 });
      const plain = await policylayer("tools", "--policy", policy, "--", ...server);
      expect(plain.stdout).toContain(
        'read_file is a read tool with low risk: depends on arguments: denied by rule 2 (tool "read_file", when args.path starts_with "/etc") when args.path starts_with "/etc"; otherwise allowed by rule 3',
      );
      expect(plain.stdout).toContain(
        "list_allowed_directories is a read tool with low risk: hidden from tools/list",
      );
    } finally {
      dir.cleanup();
    }
  });
});

describe("policylayer tools, when it cannot", () => {
  it("asks for the server's command after -- (exit 2)", async () => {
    const run = await policylayer("tools");
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain("needs the server's command after --");
  });

  it("names the exit code when the server exits before initialize (exit 1)", async () => {
    const run = await policylayer("tools", "--", process.execPath, "-e", "process.exit(4)");
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain(
      "the server exited with code 4 before answering initialize; its stderr is above",
    );
  });

  it("prints a policy's errors as FILE:LINE:COL and does not start the server (exit 1)", async () => {
    const dir = tempDir();
    try {
      const policy = writePolicy(dir.path, "version: 1\ndefault: maybe\n");
      const run = await policylayer(
        "tools",
        "--policy",
        policy,
        "--",
        process.execPath,
        "-e",
        "process.exit(4)",
      );
      expect(run.exitCode).toBe(1);
      expect(run.stderr).toContain(`${policy}:2:10: default must be`);
      expect(run.stderr).not.toContain("exited with code 4");
    } finally {
      dir.cleanup();
    }
  });
});

describe("policylayer tools and check against a server of the 2026-07-28 era only (the real SDK 2.x)", () => {
  const modernOnly = ["env", "MODERN_ONLY=1", process.execPath, modernServer];

  it("lists its tools without a handshake (it refuses initialize), with its name from server/discover", async () => {
    const run = await policylayer("tools", "--json", "--", ...modernOnly);
    expect(run.exitCode, run.stderr).toBe(0);
    const rows = parseToolsJson(run.stdout);
    expect(rowOf(rows, "delete_stack")).toMatchObject({ category: "destructive", action: "deny" });
    expect(rowOf(rows, "echo")).toMatchObject({ category: "read", action: "allow" });
    const plain = await policylayer("tools", "--", ...modernOnly);
    expect(plain.stdout).toContain("modern-recording-server 1.0.0, 4 tools");
  });

  it("check classifies a call with that server's tools/list, as wrap decides it", async () => {
    const run = await policylayer("check", "--tool", "greet", "--", ...modernOnly);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toContain(
      "classification: execute (high risk); classified with the tools/list of env",
    );
    expect(run.stdout).toContain("result: DENY");
  });
});
