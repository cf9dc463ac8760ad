import { join } from "node:path";
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Connected, connectThroughProxy } from "../helpers/clients.js";
import { connectModern, type ModernConnected, wrapCommand } from "../helpers/modern-client.js";
import { modernServer } from "../helpers/paths.js";
import { readJsonLines, tempDir, writePolicy } from "../helpers/tmp.js";

// The real SDK 2.x client pinned to 2026-07-28 and the SDK 1.x client (2025-11-25), each through
// wrap to the same SDK 2.x server of our own, which records every tool it runs.
const POLICY = `version: 1
default: allow
rules:
  - tool: delete_stack
    action: deny
    reason: no deleting
  - tool: deploy
    action: deny
    hide: true
    reason: deploys are not for agents
  - tool: echo
    action: allow
    rate_limit: { max: 1, window: 3600 }
`;

let dir: { path: string; cleanup: () => void };
let recordFile: string;
let modern: ModernConnected;
let legacy: Connected;

const answerName = { action: "accept" as const, content: { name: "Ada" } };

beforeAll(async () => {
  dir = tempDir();
  recordFile = join(dir.path, "executed.jsonl");
  const policy = writePolicy(dir.path, POLICY);
  const server = [process.execPath, modernServer];
  const env = { RECORD_FILE: recordFile };
  [modern, legacy] = await Promise.all([
    connectModern(wrapCommand(["--policy", policy, "--audit", join(dir.path, "modern.jsonl")], server), env, {
      capabilities: { elicitation: { form: {} } },
      beforeConnect: (client) => client.setRequestHandler("elicitation/create", async () => answerName),
    }),
    connectThroughProxy(["--policy", policy, "--audit", join(dir.path, "legacy.jsonl")], server, env, {
      capabilities: { elicitation: { form: {} } },
      beforeConnect: (client) => client.setRequestHandler(ElicitRequestSchema, async () => answerName),
    }),
  ]);
});

afterAll(async () => {
  await Promise.all([modern?.close(), legacy?.close()]);
  dir.cleanup();
});

const executed = (tool: string) => readJsonLines(recordFile).filter((entry) => entry.tool === tool);
const textOf = (result: { content?: unknown }) =>
  (result.content as { type: string; text: string }[]).map((block) => block.text).join("\n");

describe("an SDK 2.x client pinned to 2026-07-28 through wrap", () => {
  it("connects in the modern era", () => {
    expect(modern.client.getProtocolEra()).toBe("modern");
  });

  it("accepts a denial as a tool error with its reason, and the server never runs the call", async () => {
    const result = await modern.client.callTool({ name: "delete_stack", arguments: { stack: "prod" } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe('policylayer blocked the call to tool "delete_stack": no deleting');
    expect(executed("delete_stack")).toEqual([]);
  });

  it("lists tools without the hidden one, keeping the server's ttlMs, cacheScope and _meta", async () => {
    const listed = await modern.client.listTools();
    expect(listed.tools.map((tool) => tool.name).sort()).toEqual(["delete_stack", "echo", "greet"]);
    expect(listed.ttlMs).toBe(0);
    expect(listed.cacheScope).toBe("private");
    expect(listed._meta?.["io.modelcontextprotocol/serverInfo"]).toEqual({
      name: "modern-recording-server",
      version: "1.0.0",
    });
  });

  it("accepts the refusal of a hidden tool", async () => {
    const result = await modern.client.callTool({ name: "deploy", arguments: {} });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain("deploys are not for agents");
    expect(executed("deploy")).toEqual([]);
  });

  it("accepts a rate-limit refusal with when to retry", async () => {
    const first = await modern.client.callTool({ name: "echo", arguments: { n: 1 } });
    expect(first.isError).toBeFalsy();
    const second = await modern.client.callTool({ name: "echo", arguments: { n: 2 } });
    expect(second.isError).toBe(true);
    expect(textOf(second)).toMatch(
      /rate limit of rule 3: at most 1 calls in 3600 s Retry after \d+ seconds\./,
    );
    expect(executed("echo")).toEqual([{ tool: "echo", arguments: { n: 1 } }]);
  });

  it("passes the server's input_required round trip on tools/call, and the tool runs once", async () => {
    const result = await modern.client.callTool({ name: "greet", arguments: { style: "warm" } });
    expect(textOf(result)).toBe("Hello, Ada");
    expect(executed("greet").filter((entry) => entry.name === "Ada" && entry.arguments)).toHaveLength(1);
  });

  it("passes the server's input_required round trip on prompts/get and resources/read", async () => {
    const prompt = await modern.client.getPrompt({ name: "greeting" });
    expect(prompt.messages[0]?.content).toEqual({ type: "text", text: "Greet Ada" });
    const resource = await modern.client.readResource({ uri: "config://app" });
    expect(resource.contents[0]).toEqual({ uri: "config://app", text: "config of Ada" });
  });
});

describe("the SDK 1.x client (2025-11-25) through the same wrap to the same server", () => {
  it("sees the denial as a tool error and the hidden tool hidden", async () => {
    const result = await legacy.client.callTool({ name: "delete_stack", arguments: {} });
    expect(result.isError).toBe(true);
    expect(textOf(result as { content: unknown })).toContain("no deleting");
    const listed = await legacy.client.listTools();
    expect(listed.tools.map((tool) => tool.name)).not.toContain("deploy");
  });

  it("is asked for input by the server's legacy shim (elicitation/create) and the tool runs", async () => {
    const result = await legacy.client.callTool({ name: "greet", arguments: { style: "legacy" } });
    expect(textOf(result as { content: unknown })).toBe("Hello, Ada");
    expect(
      executed("greet").some((entry) => (entry.arguments as { style?: string })?.style === "legacy"),
    ).toBe(true);
  });
});
