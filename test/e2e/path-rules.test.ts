import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Connected, connectDirect, connectThroughProxy } from "../helpers/clients.js";
import { npmServer } from "../helpers/paths.js";
import { tempDir, writePolicy } from "../helpers/tmp.js";

type ToolResult = { isError?: boolean; content: Array<{ type: string; text: string }> };

let root: { path: string; cleanup: () => void };
let allowed: string;
let canaryPath: string;
const canary = `CANARY-${randomBytes(8).toString("hex")}`;
/** Every text any result of the proxied server carried, to show the canary never left the disk. */
const seen: string[] = [];
let proxied: Connected;

beforeAll(async () => {
  root = tempDir("policylayer-paths-");
  allowed = join(root.path, "allowed");
  mkdirSync(allowed);
  mkdirSync(join(root.path, "outside"));
  writeFileSync(join(allowed, "inside.txt"), "inside contents\n");
  canaryPath = join(root.path, "outside", "canary.txt");
  writeFileSync(canaryPath, `${canary}\n`);
  symlinkSync(canaryPath, join(allowed, "escape.txt"));
  symlinkSync(join(root.path, "outside"), join(allowed, "outdir"));
  const policy = writePolicy(
    root.path,
    `version: 1
default: allow
rules:
  - when: [{ path: args.path, op: path_outside, value: [${JSON.stringify(allowed)}] }]
    action: deny
    reason: the agent works in the allowed folder only
`,
  );
  // The server may read the whole machine: only the policy stands between the agent and the canary.
  proxied = await connectThroughProxy(["--policy", policy], npmServer("filesystem", "/"));
});

afterAll(async () => {
  await proxied?.close();
  root?.cleanup();
});

async function read(path: string): Promise<ToolResult> {
  const result = (await proxied.client.callTool({
    name: "read_text_file",
    arguments: { path },
  })) as ToolResult;
  seen.push(...result.content.map((part) => part.text));
  return result;
}

describe("path_within / path_outside with the real server-filesystem", () => {
  it("lets a file inside the allowed folder be read, however it is spelled", async () => {
    for (const path of [
      join(allowed, "inside.txt"),
      `${allowed}/./inside.txt`,
      `${allowed}//inside.txt`,
      `${allowed}/missing/../inside.txt`,
    ]) {
      const result = await read(path);
      expect(result.isError, path).toBeFalsy();
      expect(result.content[0]?.text, path).toBe("inside contents\n");
    }
  });

  it("denies every traversal spelling of /etc/passwd", async () => {
    for (const path of [
      "/tmp/../etc/passwd",
      "//etc/passwd",
      "/./etc/passwd",
      "../../etc/passwd",
      "~/../../etc/passwd",
    ]) {
      const result = await read(path);
      expect(result.isError, path).toBe(true);
      expect(result.content[0]?.text, path).toContain("the agent works in the allowed folder only");
    }
  });

  it("denies the canary outside the folder through .., //, . and symlinks, and never returns it", async () => {
    for (const path of [
      `${allowed}/../outside/canary.txt`,
      `${allowed}//..//outside/canary.txt`,
      `${root.path}/./outside/canary.txt`,
      join(allowed, "escape.txt"),
      join(allowed, "outdir", "canary.txt"),
      `${allowed}/outdir/../outside/canary.txt`,
    ]) {
      const result = await read(path);
      expect(result.isError, path).toBe(true);
      expect(result.content[0]?.text, path).toContain("policylayer blocked the call");
    }
    expect(seen.join("\n")).not.toContain(canary);
    expect(seen.join("\n")).not.toMatch(/^root:/m);
  });

  it("is what stops the read: the same server, asked directly, returns the canary", async () => {
    const direct = await connectDirect(npmServer("filesystem", "/"));
    try {
      const result = (await direct.client.callTool({
        name: "read_text_file",
        arguments: { path: join(allowed, "escape.txt") },
      })) as ToolResult;
      expect(result.content[0]?.text).toBe(`${canary}\n`);
    } finally {
      await direct.close();
    }
    expect(readFileSync(canaryPath, "utf8")).toBe(`${canary}\n`);
  });
});
