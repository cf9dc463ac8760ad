import { join } from "node:path";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Connected, connectDirect, connectThroughProxy } from "../helpers/clients.js";
import { npmServer } from "../helpers/paths.js";
import { tempDir, writePolicy } from "../helpers/tmp.js";

// The same client setup on both sides: sampling, elicitation and roots answered by the test.
const setup = {
  capabilities: { sampling: {}, elicitation: { form: {} }, roots: { listChanged: true } },
  beforeConnect(client: Client) {
    client.setRequestHandler(CreateMessageRequestSchema, async () => ({
      model: "test-model",
      role: "assistant" as const,
      content: { type: "text" as const, text: "sampled by the test client" },
    }));
    client.setRequestHandler(ElicitRequestSchema, async () => ({
      action: "accept" as const,
      content: { name: "Ada Lovelace", email: "ada@example.com", age: 36 },
    }));
    client.setRequestHandler(ListRootsRequestSchema, async () => ({
      roots: [{ uri: "file:///tmp/root", name: "root" }],
    }));
  },
};

let dir: { path: string; cleanup: () => void };
let direct: Connected;
let proxied: Connected;

beforeAll(async () => {
  dir = tempDir();
  const policy = writePolicy(dir.path, "version: 1\nmode: enforce\ndefault: allow\n");
  const server = npmServer("everything", "stdio");
  [direct, proxied] = await Promise.all([
    connectDirect(server, {}, setup),
    connectThroughProxy(["--policy", policy, "--audit", join(dir.path, "audit.jsonl")], server, {}, setup),
  ]);
});

afterAll(async () => {
  await Promise.all([direct?.close(), proxied?.close()]);
  dir.cleanup();
});

async function both<T>(action: (client: Client) => Promise<T>): Promise<[T, T]> {
  return Promise.all([action(direct.client), action(proxied.client)]);
}

describe("server-everything through policylayer with an allow-all policy", () => {
  it("initialize gives the same server info, capabilities and instructions", () => {
    expect(proxied.client.getServerVersion()).toEqual(direct.client.getServerVersion());
    expect(proxied.client.getServerCapabilities()).toEqual(direct.client.getServerCapabilities());
    expect(proxied.client.getInstructions()).toEqual(direct.client.getInstructions());
  });

  it("tools/list gives the same tools", async () => {
    const [a, b] = await both((client) => client.listTools());
    expect(b.tools.length).toBeGreaterThan(5);
    expect(b).toEqual(a);
  });

  it("prompts/list and resources/list give the same results", async () => {
    const [promptsA, promptsB] = await both((client) => client.listPrompts());
    expect(promptsB).toEqual(promptsA);
    const [resourcesA, resourcesB] = await both((client) => client.listResources());
    expect(resourcesB.resources.length).toBeGreaterThan(0);
    expect(resourcesB).toEqual(resourcesA);
  });

  it.each([
    ["echo", { message: "hello through the proxy" }],
    ["get-sum", { a: 2, b: 40 }],
    ["get-tiny-image", {}],
    ["get-annotated-message", { messageType: "error", includeImage: true }],
    ["get-structured-content", { location: "New York" }],
  ])("calling %s gives the same result", async (name, args) => {
    const [a, b] = await both((client) => client.callTool({ name, arguments: args }));
    expect(b).toEqual(a);
  });

  it("server-to-client sampling requests and their answers pass through", async () => {
    const [a, b] = await both((client) =>
      client.callTool({ name: "trigger-sampling-request", arguments: { prompt: "hi", maxTokens: 10 } }),
    );
    expect(JSON.stringify(b)).toContain("sampled by the test client");
    expect(b).toEqual(a);
  });

  it("server-to-client elicitation requests and their answers pass through", async () => {
    const [a, b] = await both((client) =>
      client.callTool({ name: "trigger-elicitation-request", arguments: {} }),
    );
    expect(JSON.stringify(b)).toContain("Ada Lovelace");
    expect(b).toEqual(a);
  });

  it("roots/list requests from the server pass through", async () => {
    const [a, b] = await both((client) => client.callTool({ name: "get-roots-list", arguments: {} }));
    expect(JSON.stringify(b)).toContain("file:///tmp/root");
    expect(b).toEqual(a);
  });

  it("progress notifications reach the client as they do directly", async () => {
    const progress: [number[], number[]] = [[], []];
    const [a, b] = await Promise.all(
      [direct.client, proxied.client].map((client, side) =>
        client.callTool(
          { name: "trigger-long-running-operation", arguments: { duration: 1, steps: 4 } },
          undefined,
          {
            onprogress: (update) => progress[side]?.push(update.progress),
          },
        ),
      ),
    );
    expect(b).toEqual(a);
    // The last notification races the result on both paths; the client drops one that arrives after it.
    expect(progress[1].length).toBeGreaterThanOrEqual(3);
    expect(progress[1]).toEqual([1, 2, 3, 4].slice(0, progress[1].length));
  });
});
