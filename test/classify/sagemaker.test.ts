import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { classifyCall, profileToolList } from "../../src/classify/index.js";
import type { Category, ToolProfile } from "../../src/classify/types.js";
import { sagemakerToolsListFixture } from "../helpers/paths.js";
import { SAGEMAKER_OPERATIONS, SAGEMAKER_SINGLE_TOOLS } from "../helpers/sagemaker.js";
import { listLiveTools } from "./live-server.js";

const EXPECTED_OPERATIONS = SAGEMAKER_OPERATIONS;

// A tool's own category is the most severe of its operations.
const EXPECTED_TOOLS: [tool: string, category: Category][] = [
  ...SAGEMAKER_SINGLE_TOOLS,
  ["manage_hyperpod_cluster_nodes", "destructive"],
  ["manage_hyperpod_stacks", "destructive"],
];

function expectSageMakerClassification(profiles: Map<string, ToolProfile>): void {
  expect([...profiles.keys()].sort()).toEqual(EXPECTED_TOOLS.map(([tool]) => tool).sort());
  for (const [tool, category] of EXPECTED_TOOLS) {
    expect(profiles.get(tool)?.classification.category, tool).toBe(category);
  }
  for (const [tool, operation, category] of EXPECTED_OPERATIONS) {
    const call = classifyCall(profiles.get(tool), tool, { operation, region_name: "us-east-1" });
    expect(call.category, `${tool} operation ${operation}`).toBe(category);
  }
}

describe("SageMaker AI MCP server", () => {
  const profiles = profileToolList(JSON.parse(readFileSync(sagemakerToolsListFixture, "utf8")));

  it("classifies the fixture's four tools and eight operations as the fixture README says", () => {
    expectSageMakerClassification(profiles);
  });

  it.each(EXPECTED_OPERATIONS)("%s with operation %s is %s", (tool, operation, category) => {
    const call = classifyCall(profiles.get(tool), tool, { operation });
    expect(call.category).toBe(category);
    expect(call.signals.join("; ")).toContain(`operation "${operation}"`);
  });

  it("selects on operation and not on the region or orchestrator enums", () => {
    expect(profiles.get("manage_hyperpod_stacks")?.selector?.argument).toBe("operation");
    expect(profiles.get("describe_hp_cluster")?.selector).toBeUndefined();
  });

  it("classifies a stacks call without an operation as its most severe operation, and says so", () => {
    const call = classifyCall(profiles.get("manage_hyperpod_stacks"), "manage_hyperpod_stacks", {});
    expect(call.category).toBe("destructive");
    expect(call.signals[0]).toBe("no operation argument: classified as the tool's most severe operation");
  });

  it("classifies the live server's tools the same way", { timeout: 120_000 }, async () => {
    const tools = await listLiveTools("uvx", ["awslabs.sagemaker-ai-mcp-server"]);
    expectSageMakerClassification(profileToolList({ tools }));
  });
});
