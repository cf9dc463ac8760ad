import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Connected, connectDirect, connectThroughProxy } from "../helpers/clients.js";
import { within } from "../helpers/deadline.js";
import { npmServer, policylayerBin } from "../helpers/paths.js";
import { tempDir, writePolicy } from "../helpers/tmp.js";

type ToolResult = { isError?: boolean; content: Array<{ type: string; text: string }> };

let root: { path: string; cleanup: () => void };
let allowed: string;
let canaryPath: string;
const canary = `CANARY-${randomBytes(8).toString("hex")}`;
/** Every text any result of the proxied server carried, to show the canary never left the disk. */
const seen: string[] = [];
let proxied: Connected;
let policyPath: string;

/** A real SDK client connected to `command` run in the folder `cwd`. */
async function connectIn(cwd: string, command: string[]): Promise<Connected> {
  const [program, ...args] = command as [string, ...string[]];
  const transport = new StdioClientTransport({ command: program, args, cwd, stderr: "pipe" });
  const client = new Client({ name: "policylayer-tests", version: "1.0.0" });
  await within(client.connect(transport), 20_000, `the connection to ${command.join(" ")} in ${cwd}`);
  return { client, transport, stderr: () => "", close: () => client.close() };
}

/** The text of a tool call's first result, awaited with a deadline that names the call. */
async function callText(
  connected: Connected,
  name: string,
  args: Record<string, unknown>,
): Promise<ToolResult> {
  const result = (await within(
    connected.client.callTool({ name, arguments: args }),
    20_000,
    `the result of ${name} ${JSON.stringify(args)}`,
  )) as ToolResult;
  seen.push(...result.content.map((part) => part.text));
  return result;
}

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
  // A symlink to itself: where a path through it leads cannot be told.
  symlinkSync("loop", join(allowed, "loop"));
  // server-filesystem takes a missing name for the entry of the same NFC form: this one leads out.
  symlinkSync(join(root.path, "outside"), join(allowed, "caf\u00e9"));
  const policy = writePolicy(
    root.path,
    `version: 1
default: allow
rules:
  - when: [{ path: args.path, op: path_outside, value: [${JSON.stringify(allowed)}] }]
    action: deny
    reason: the agent works in the allowed folder only
  - when: [{ path: args.paths.*, op: path_outside, value: [${JSON.stringify(allowed)}] }]
    action: deny
    reason: the agent works in the allowed folder only
`,
  );
  policyPath = policy;
  // The server may read the whole machine: only the policy stands between the agent and the canary.
  proxied = await connectThroughProxy(
    ["--policy", policy, "--audit", join(root.path, "audit.jsonl")],
    npmServer("filesystem", "/"),
  );
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

  it("denies a path whose place cannot be told, telling the agent why, and audits the denial", async () => {
    const path = `${allowed}/loop/inside.txt`;
    const result = await read(path);
    expect(result.isError).toBe(true);
    expect(result.content[0]?.text).toMatch(
      /policylayer cannot tell where a path argument of this call leads \(cannot resolve .*loop.*\), so it was denied \(fail closed\)/,
    );
    const lines = readFileSync(join(root.path, "audit.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    const denied = lines.filter(
      (line) =>
        line.event === "tools/call" && line.decision === "deny" && line.reason.includes("cannot tell where"),
    );
    expect(denied).toHaveLength(1);
    expect(denied[0]).toMatchObject({ tool: "read_text_file", rule: null });
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

  it("denies a name server-filesystem takes for a symlink out by its NFC form, in path and in paths", async () => {
    const nfd = `${allowed}/cafe\u0301/canary.txt`;
    for (const [tool, args] of [
      ["read_text_file", { path: nfd }],
      ["read_multiple_files", { paths: [join(allowed, "inside.txt"), nfd] }],
      ["list_directory", { path: `${allowed}/cafe\u0301` }],
    ] as const) {
      const result = await callText(proxied, tool, args);
      expect(result.isError, tool).toBe(true);
      expect(result.content[0]?.text, tool).toContain("the agent works in the allowed folder only");
    }
    expect(seen.join("\n")).not.toContain(canary);
    expect(seen.join("\n")).not.toContain("canary.txt");
  });

  it("denies a relative path, which server-filesystem reads against its allowed folder, not the working directory", async () => {
    // The wrap runs in the allowed folder; the server may read all of root, where outside/ is.
    const wrapped = await connectIn(allowed, [
      process.execPath,
      policylayerBin,
      "wrap",
      "--policy",
      policyPath,
      "--audit",
      join(root.path, "relative-audit.jsonl"),
      "--",
      ...npmServer("filesystem", root.path),
    ]);
    try {
      for (const path of ["outside/canary.txt", "./outside/canary.txt", " outside/canary.txt"]) {
        const result = await callText(wrapped, "read_text_file", { path });
        expect(result.isError, path).toBe(true);
        expect(result.content[0]?.text, path).toContain("the agent works in the allowed folder only");
      }
      const listed = await callText(wrapped, "read_multiple_files", { paths: ["outside/canary.txt"] });
      expect(listed.isError).toBe(true);
    } finally {
      await wrapped.close();
    }
    expect(seen.join("\n")).not.toContain(canary);
  });

  it("is what stops the NFC and relative reads: the same server, asked directly, returns the canary", async () => {
    const direct = await connectIn(allowed, npmServer("filesystem", root.path));
    try {
      for (const path of [`${allowed}/cafe\u0301/canary.txt`, "outside/canary.txt"]) {
        const result = (await within(
          direct.client.callTool({ name: "read_text_file", arguments: { path } }),
          20_000,
          `the direct read of ${path}`,
        )) as ToolResult;
        expect(result.content[0]?.text, path).toBe(`${canary}\n`);
      }
    } finally {
      await direct.close();
    }
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
