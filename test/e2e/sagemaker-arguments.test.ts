import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Connected, connectThroughProxy } from "../helpers/clients.js";
import { NO_AWS } from "../helpers/sagemaker.js";
import { readJsonLines, tempDir, writePolicy } from "../helpers/tmp.js";

// The real awslabs.sagemaker-ai-mcp-server (Python MCP SDK): its update_hp_cluster takes
// `instance_groups: list`, and the SDK parses a string given for it as JSON before the tool runs.
const POLICY = `
version: 1
default: allow
audit: { include_arguments: true }
rules:
  - tool: update_hp_cluster
    when: [{ path: args.instance_groups.*.InstanceCount, op: gt, value: 10 }]
    action: deny
    reason: at most 10 instances per group
`;

type ToolResult = { isError?: boolean; content: Array<{ type: string; text: string }> };

let dir: { path: string; cleanup: () => void };
let auditFile: string;
let proxied: Connected;

beforeAll(async () => {
  dir = tempDir();
  auditFile = join(dir.path, "audit.jsonl");
  const policy = writePolicy(dir.path, POLICY);
  proxied = await connectThroughProxy(
    ["--policy", policy, "--audit", auditFile],
    ["uvx", "awslabs.sagemaker-ai-mcp-server"],
    NO_AWS,
  );
  await proxied.client.listTools();
}, 180_000);

afterAll(async () => {
  await proxied?.close();
  dir?.cleanup();
});

function auditOf(id: string): Record<string, unknown> | undefined {
  return readJsonLines(auditFile).find(
    (line) => line.tool === "update_hp_cluster" && JSON.stringify(line.arguments).includes(id),
  );
}

describe("instance_groups sent as JSON text to the real SageMaker AI server", () => {
  it("is decided as the list it is: 50 instances in the second group are denied", async () => {
    const groups = [
      { InstanceGroupName: "controllers", InstanceCount: 2 },
      { InstanceGroupName: "workers", InstanceCount: 50 },
    ];
    const result = (await proxied.client.callTool({
      name: "update_hp_cluster",
      arguments: {
        cluster_name: "denied-cluster",
        region_name: "us-east-1",
        instance_groups: JSON.stringify(groups),
      },
    })) as ToolResult;
    expect(result.isError).toBe(true);
    expect(result.content[0]?.text).toContain("at most 10 instances per group");
    const record = auditOf("denied-cluster");
    expect(record).toMatchObject({ decision: "deny", arguments: { instance_groups: groups } });
    expect(record?.outcome).toBeUndefined();
  });

  it("denies the issue's one-group text too", async () => {
    const result = (await proxied.client.callTool({
      name: "update_hp_cluster",
      arguments: {
        cluster_name: "one-group",
        region_name: "us-east-1",
        instance_groups: '[{"InstanceGroupName": "workers", "InstanceCount": 50}]',
      },
    })) as ToolResult;
    expect(result.isError).toBe(true);
    expect(auditOf("one-group")).toMatchObject({ decision: "deny" });
  });

  it("forwards a small list as the list, which the server then runs (and fails for want of credentials)", async () => {
    const groups = [{ InstanceGroupName: "workers", InstanceCount: 4 }];
    const result = (await proxied.client.callTool({
      name: "update_hp_cluster",
      arguments: {
        cluster_name: "small-cluster",
        region_name: "us-east-1",
        instance_groups: JSON.stringify(groups),
      },
    })) as ToolResult;
    expect(JSON.stringify(result)).not.toContain("policylayer blocked");
    const record = auditOf("small-cluster");
    expect(record).toMatchObject({ decision: "allow", arguments: { instance_groups: groups } });
    expect(record?.outcome).toBeDefined();
  });
});
