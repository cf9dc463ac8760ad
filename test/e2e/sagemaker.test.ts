import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Connected, connectThroughProxy } from "../helpers/clients.js";
import { repoRoot } from "../helpers/paths.js";
import { NO_AWS } from "../helpers/sagemaker.js";
import { readJsonLines, tempDir } from "../helpers/tmp.js";

type ToolResult = {
  isError?: boolean;
  content: Array<{ type: string; text: string }>;
  structuredContent?: unknown;
};

let dir: { path: string; cleanup: () => void };
let auditFile: string;
let proxied: Connected;

beforeAll(async () => {
  dir = tempDir();
  auditFile = join(dir.path, "audit.jsonl");
  proxied = await connectThroughProxy(
    ["--policy", join(repoRoot, "examples", "sagemaker.yaml"), "--audit", auditFile],
    ["uvx", "awslabs.sagemaker-ai-mcp-server"],
    NO_AWS,
  );
}, 180_000);

afterAll(async () => {
  await proxied?.close();
  dir.cleanup();
});

describe("the real awslabs.sagemaker-ai-mcp-server through policylayer", () => {
  it("lists the server's four tools", async () => {
    const { tools } = await proxied.client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual([
      "describe_hp_cluster",
      "manage_hyperpod_cluster_nodes",
      "manage_hyperpod_stacks",
      "update_hp_cluster",
    ]);
  });

  it("examples/sagemaker.yaml denies manage_hyperpod_stacks with operation delete, and the server never sees it", async () => {
    const result = (await proxied.client.callTool({
      name: "manage_hyperpod_stacks",
      arguments: { operation: "delete", region_name: "us-east-1", stack_name: "prod-hyperpod" },
    })) as ToolResult;
    expect(result.isError).toBe(true);
    expect(result.content[0]?.text).toContain('"manage_hyperpod_stacks"');
    expect(result.content[0]?.text).toContain("ask the platform team");
    const record = readJsonLines(auditFile).find(
      (line) => line.event === "tools/call" && line.tool === "manage_hyperpod_stacks",
    );
    expect(record).toMatchObject({
      decision: "deny",
      category: "destructive",
      risk: "critical",
      rule: { index: 0 },
    });
    expect(record?.outcome).toBeUndefined();
  });

  it("forwards describe_hp_cluster, which comes back with the server's own error (no AWS credentials)", async () => {
    const result = (await proxied.client.callTool({
      name: "describe_hp_cluster",
      arguments: { cluster_name: "demo-cluster", region_name: "us-east-1" },
    })) as ToolResult;
    // The server's own failure (boto3 finds no credentials), not a policylayer denial.
    expect(result.isError).toBe(true);
    expect(result.content[0]?.text).toBe("Error executing tool describe_hp_cluster");
    expect(JSON.stringify(result)).not.toContain("policylayer");
    const record = readJsonLines(auditFile).find(
      (line) => line.event === "tools/call" && line.tool === "describe_hp_cluster",
    );
    expect(record).toMatchObject({ decision: "allow", category: "read" });
    expect(["result", "tool_error"]).toContain(record?.outcome);
  });
});
