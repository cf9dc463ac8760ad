import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Connected, connectThroughProxy } from "../helpers/clients.js";
import { npmServer, repoRoot } from "../helpers/paths.js";
import { tempDir, writePolicy } from "../helpers/tmp.js";

type ToolResult = {
  isError?: boolean;
  content: Array<{ type: string; text: string }>;
  _meta?: Record<string, unknown>;
};

let policyDir: { path: string; cleanup: () => void };
let workDir: { path: string; cleanup: () => void };
let proxied: Connected;

beforeAll(async () => {
  policyDir = tempDir();
  workDir = tempDir("policylayer-fs-");
  writeFileSync(join(workDir.path, "notes.txt"), "original contents\n");
  const policy = writePolicy(
    policyDir.path,
    `version: 1
default: allow
rules:
  - tool: write_file
    action: deny
    reason: write_file overwrites whole files
  - tool: list_directory
    action: allow
    rate_limit: { max: 3, window: 2 }
    reason: Listing is limited to 3 calls in 2 seconds
`,
  );
  proxied = await connectThroughProxy(
    ["--policy", policy, "--audit", join(policyDir.path, "audit.jsonl")],
    npmServer("filesystem", workDir.path),
  );
});

afterAll(async () => {
  await proxied?.close();
  workDir.cleanup();
  policyDir.cleanup();
});

describe("server-filesystem through policylayer", () => {
  it("a denied write_file leaves the directory untouched", async () => {
    const before = readdirSync(workDir.path).sort();
    const result = (await proxied.client.callTool({
      name: "write_file",
      arguments: { path: join(workDir.path, "notes.txt"), content: "overwritten by the agent" },
    })) as ToolResult;
    expect(result.isError).toBe(true);
    expect(result.content[0]?.text).toContain('"write_file"');
    expect(result.content[0]?.text).toContain("write_file overwrites whole files");
    const created = (await proxied.client.callTool({
      name: "write_file",
      arguments: { path: join(workDir.path, "new.txt"), content: "new" },
    })) as ToolResult;
    expect(created.isError).toBe(true);
    expect(readdirSync(workDir.path).sort()).toEqual(before);
    expect(readFileSync(join(workDir.path, "notes.txt"), "utf8")).toBe("original contents\n");
  });

  it("an allowed read reaches the server and returns the file", async () => {
    const result = (await proxied.client.callTool({
      name: "read_text_file",
      arguments: { path: join(workDir.path, "notes.txt") },
    })) as ToolResult;
    expect(result.isError).toBeFalsy();
    expect(result.content[0]?.text).toContain("original contents");
  });

  it("a rate-limited tool passes max times, then is denied with a retry time", async () => {
    const list = () =>
      proxied.client.callTool({
        name: "list_directory",
        arguments: { path: workDir.path },
      }) as Promise<ToolResult>;
    for (let call = 0; call < 3; call++) {
      const result = await list();
      expect(result.isError).toBeFalsy();
      expect(result.content[0]?.text).toContain("notes.txt");
    }
    const denied = await list();
    expect(denied.isError).toBe(true);
    expect(denied.content[0]?.text).toMatch(
      /Listing is limited to 3 calls in 2 seconds.*Retry after [12] seconds\./,
    );
    const decision = denied._meta?.["policylayer/decision"] as { retryAfterSeconds: number };
    expect(decision.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(decision.retryAfterSeconds).toBeLessThanOrEqual(2);
    // That the call passes again once the window has passed is tested with a clock of our own, not a
    // real wait: test/proxy/session.test.ts.
  });

  it("examples/filesystem.yaml denies write_file too", async () => {
    const example = await connectThroughProxy(
      [
        "--policy",
        join(repoRoot, "examples", "filesystem.yaml"),
        "--audit",
        join(policyDir.path, "example-audit.jsonl"),
      ],
      npmServer("filesystem", workDir.path),
    );
    try {
      const result = (await example.client.callTool({
        name: "write_file",
        arguments: { path: join(workDir.path, "notes.txt"), content: "x" },
      })) as ToolResult;
      expect(result.isError).toBe(true);
      expect(readFileSync(join(workDir.path, "notes.txt"), "utf8")).toBe("original contents\n");
    } finally {
      await example.close();
    }
  });
});
