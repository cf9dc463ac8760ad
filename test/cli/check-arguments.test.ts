import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pythonWithMcp } from "../helpers/python-sdk.js";
import { tempDir, writePolicy } from "../helpers/tmp.js";
import { policylayer, type ToolsJsonRow } from "./run.js";

// check and tools read arguments as wrap does, against the tool list of a typed server on the Python SDK.
const typedServer = fileURLToPath(new URL("../servers/typed_server.py", import.meta.url));
const dir = tempDir();
afterAll(() => dir.cleanup());

const policy = writePolicy(
  dir.path,
  [
    "version: 1",
    "default: allow",
    "rules:",
    "  - tool: scale",
    "    when: [{ path: args.instance_groups.*.InstanceCount, op: gt, value: 10 }]",
    "    action: deny",
    "  - tool: transfer",
    "    when: [{ path: args.amount, op: gt, value: 1000 }]",
    "    action: deny",
    "",
  ].join("\n"),
);

let server: string[];
beforeAll(async () => {
  server = [await pythonWithMcp(2), typedServer];
}, 600_000);

const groups = JSON.stringify([
  { InstanceGroupName: "a", InstanceCount: 2 },
  { InstanceGroupName: "b", InstanceCount: "50" },
]);

describe("policylayer check with the server's inputSchema", () => {
  it("says which element matched, and the reading it decided on", async () => {
    const args = JSON.stringify({ instance_groups: groups });
    const run = await policylayer(
      "check",
      "--policy",
      policy,
      "--tool",
      "scale",
      "--args",
      args,
      "--",
      ...server,
    );
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain(
      'read as the server will read it: {"instance_groups":[{"InstanceGroupName":"a","InstanceCount":2},{"InstanceGroupName":"b","InstanceCount":50}]}',
    );
    expect(run.stdout).toContain(
      "when args.instance_groups.*.InstanceCount gt 10 at any element: holds (args.instance_groups.1.InstanceCount is 50)",
    );
    expect(run.stdout).toContain("result: DENY: scale is denied by rule 1");
  });

  it("says check --json's element and reading too", async () => {
    const args = JSON.stringify({ instance_groups: groups });
    const run = await policylayer(
      "check",
      "--json",
      "--policy",
      policy,
      "--tool",
      "scale",
      "--args",
      args,
      "--",
      ...server,
    );
    const report = JSON.parse(run.stdout) as {
      rules: { when: Record<string, unknown>[] }[];
      result: { action: string };
    };
    expect(report.rules[0]?.when[0]).toMatchObject({
      outcome: "holds",
      at: "args.instance_groups.1.InstanceCount",
      seen: 50,
    });
    expect(report.result.action).toBe("deny");
  });

  it("explains a refusal of arguments that do not read as declared, as wrap refuses them", async () => {
    const args = JSON.stringify({ amount: "5000.5" });
    const run = await policylayer(
      "check",
      "--policy",
      policy,
      "--tool",
      "transfer",
      "--args",
      args,
      "--",
      ...server,
    );
    expect(run.stdout).toContain("none: the arguments do not read as the tool's inputSchema declares them");
    expect(run.stdout).toContain("result: DENY: transfer is refused: its arguments do not read as declared");
    expect(run.stdout).toContain(
      'reason the agent is told: argument amount must be an integer; got "5000.5"',
    );
  });

  it("shows a numeric string read as the number it is decided as", async () => {
    const args = JSON.stringify({ amount: "5_000" });
    const run = await policylayer(
      "check",
      "--policy",
      policy,
      "--tool",
      "transfer",
      "--args",
      args,
      "--",
      ...server,
    );
    expect(run.stdout).toContain('read as the server will read it: {"amount":5000}');
    expect(run.stdout).toContain("holds (args.amount is 5000)");
  });
});

describe("policylayer tools", () => {
  it("says a * condition looks at any element", async () => {
    const run = await policylayer("tools", "--json", "--policy", policy, "--", ...server);
    const rows = JSON.parse(run.stdout) as ToolsJsonRow[];
    const scale = rows.find((row) => row.tool === "scale");
    expect(scale?.reason).toContain("args.instance_groups.*.InstanceCount gt 10 at any element");
  });
});
