// The real Claude Code CLI (@anthropic-ai/claude-code from npm) reads what install wrote: `claude mcp
// list` starts and health-checks every server without a login, in a temporary HOME. Each listing
// takes from 1 s to 10 s on a busy machine, hence the long timeouts.
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { npmServer, policylayerBin, repoRoot } from "../helpers/paths.js";
import { type Sandbox, sandbox } from "./sandbox.js";

const claude = join(repoRoot, "node_modules", ".bin", "claude");
const [node, memoryIndex] = npmServer("memory") as [string, string];

let box: Sandbox;
beforeEach(() => {
  box = sandbox();
  // Project servers (.mcp.json) wait for the user's approval in an interactive session; this setting gives it.
  box.write("home/.claude/settings.json", '{ "enableAllProjectMcpServers": true }\n');
});
afterEach(() => box.cleanup());

/** `claude ...args` in a folder (the sandbox's project folder), with nothing of our environment but PATH. */
async function claudeIn(cwd: string, ...args: string[]): Promise<string> {
  const result = await execa(claude, args, {
    cwd,
    env: {
      HOME: box.home,
      PATH: process.env.PATH ?? "",
      DISABLE_AUTOUPDATER: "1",
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
      POLICYLAYER_STATE_DIR: box.stateDir,
    },
    extendEnv: false,
    reject: false,
    timeout: 120_000,
  });
  expect(result.exitCode, String(result.stderr)).toBe(0);
  return String(result.stdout);
}

/** `claude mcp list`: it starts and health-checks every server. */
function mcpList(cwd = box.cwd): Promise<string> {
  return claudeIn(cwd, "mcp", "list");
}

/** git in the sandbox, with its HOME (so no global git config of this machine). */
async function git(cwd: string, ...args: string[]): Promise<void> {
  await execa("git", ["-c", "user.name=test", "-c", "user.email=test@example.com", ...args], {
    cwd,
    env: { HOME: box.home, GIT_CONFIG_NOSYSTEM: "1" },
  });
}

/** The line `claude mcp list` prints for a server. */
function lineOf(list: string, name: string): string {
  const line = list.split("\n").find((candidate) => candidate.startsWith(`${name}: `));
  if (line === undefined) throw new Error(`claude mcp list shows no ${name}:\n${list}`);
  return line;
}

const memoryJson = (name: string) =>
  `{\n  "mcpServers": {\n    ${JSON.stringify(name)}: {\n      "command": ${JSON.stringify(node)},\n      "args": [${JSON.stringify(memoryIndex)}],\n      "env": { "MEMORY_FILE_PATH": "memory.jsonl" }\n    }\n  }\n}\n`;

describe("Claude Code with a project's .mcp.json", () => {
  it("shows the wrapped server connected after install, and the original entry after uninstall", async () => {
    const original = memoryJson("memory");
    const file = box.write("project/.mcp.json", original);
    expect(lineOf(await mcpList(), "memory")).toBe(`memory: ${node} ${memoryIndex} - ✔ Connected`);

    const install = await box.run("install", "--client", "claude-code", "--config", file, "--yes");
    expect(install.exitCode, install.stderr).toBe(0);
    expect(lineOf(await mcpList(), "memory")).toBe(
      `memory: ${node} ${policylayerBin} wrap -- ${node} ${memoryIndex} - ✔ Connected`,
    );

    const uninstall = await box.run("uninstall", "--client", "claude-code", "--config", file, "--yes");
    expect(uninstall.exitCode, uninstall.stderr).toBe(0);
    expect(readFileSync(file, "utf8")).toBe(original);
    expect(lineOf(await mcpList(), "memory")).toBe(`memory: ${node} ${memoryIndex} - ✔ Connected`);
  }, 300_000);
});

describe("Claude Code in a subfolder of a project", () => {
  it("runs the servers of every .mcp.json above the current folder, so install wraps them from there", async () => {
    const file = box.write("project/.mcp.json", memoryJson("memory"));
    const sub = join(box.cwd, "sub", "deeper");
    mkdirSync(sub, { recursive: true });
    expect(lineOf(await mcpList(sub), "memory")).toBe(`memory: ${node} ${memoryIndex} - ✔ Connected`);

    const install = await box.runWith({ cwd: sub }, "install", "--client", "claude-code", "--yes");
    expect(install.exitCode, install.stderr).toBe(0);
    expect(install.stdout).toContain(`${file} (claude-code):`);
    expect(lineOf(await mcpList(sub), "memory")).toBe(
      `memory: ${node} ${policylayerBin} wrap -- ${node} ${memoryIndex} - ✔ Connected`,
    );
    const uninstall = await box.runWith({ cwd: sub }, "uninstall", "--client", "claude-code", "--yes");
    expect(uninstall.exitCode, uninstall.stderr).toBe(0);
    expect(readFileSync(file, "utf8")).toBe(memoryJson("memory"));
  }, 300_000);
});

describe("Claude Code with the user's ~/.claude.json", () => {
  it("keeps working while Claude Code rewrites the file on every start", async () => {
    const file = box.write("home/.claude.json", memoryJson("notes"));
    // Claude Code's first start adds its own keys and lays the file out anew.
    expect(lineOf(await mcpList(), "notes")).toBe(`notes: ${node} ${memoryIndex} - ✔ Connected`);
    const rewritten = readFileSync(file, "utf8");

    const install = await box.run("install", "--client", "claude-code", "--yes");
    expect(install.exitCode, install.stderr).toBe(0);
    expect(install.stdout).toContain(file);
    expect(lineOf(await mcpList(), "notes")).toBe(
      `notes: ${node} ${policylayerBin} wrap -- ${node} ${memoryIndex} - ✔ Connected`,
    );

    const uninstall = await box.run("uninstall", "--client", "claude-code", "--yes");
    expect(uninstall.exitCode, uninstall.stderr).toBe(0);
    expect(lineOf(await mcpList(), "notes")).toBe(`notes: ${node} ${memoryIndex} - ✔ Connected`);
    const after = JSON.parse(readFileSync(file, "utf8"));
    expect(after.mcpServers).toEqual(JSON.parse(rewritten).mcpServers);
  }, 300_000);
});

describe("Claude Code's local scope inside a git repository", () => {
  it("finds the servers Claude Code keeps under the repository's root, from a subfolder and from a worktree", async () => {
    await git(box.cwd, "init", "-q");
    await git(box.cwd, "commit", "-q", "--allow-empty", "-m", "start");
    const sub = join(box.cwd, "sub");
    mkdirSync(sub);
    // Claude Code itself writes the entry: from a subfolder it goes under the repository's root.
    await claudeIn(sub, "mcp", "add", "--scope", "local", "notes", "--", node, memoryIndex);
    expect(lineOf(await mcpList(sub), "notes")).toBe(`notes: ${node} ${memoryIndex} - ✔ Connected`);

    const install = await box.runWith({ cwd: sub }, "install", "--client", "claude-code", "--yes");
    expect(install.exitCode, install.stderr).toBe(0);
    expect(install.stdout).toContain(`notes (projects ${box.cwd}): wrap with the built-in default policy`);
    expect(lineOf(await mcpList(sub), "notes")).toBe(
      `notes: ${node} ${policylayerBin} wrap -- ${node} ${memoryIndex} - ✔ Connected`,
    );

    // A linked worktree is the same project to Claude Code: the entry is found there too.
    const worktree = join(box.root, "worktree");
    await git(box.cwd, "worktree", "add", "-q", worktree);
    const again = await box.runWith({ cwd: worktree }, "install", "--client", "claude-code", "--yes");
    expect(again.stdout).toContain(`notes (projects ${box.cwd}): already wrapped`);
    const uninstall = await box.runWith({ cwd: worktree }, "uninstall", "--client", "claude-code", "--yes");
    expect(uninstall.exitCode, uninstall.stderr).toBe(0);
    expect(lineOf(await mcpList(worktree), "notes")).toBe(`notes: ${node} ${memoryIndex} - ✔ Connected`);
  }, 300_000);
});

describe("Claude Code and an entry with a stray url", () => {
  it("runs the entry's command, so install wraps it and Claude Code then runs it through policylayer", async () => {
    const entry = JSON.parse(memoryJson("notes"));
    entry.mcpServers.notes.url = "https://example.invalid/mcp";
    const file = box.write("project/.mcp.json", `${JSON.stringify(entry, null, 2)}\n`);
    expect(lineOf(await mcpList(), "notes")).toBe(`notes: ${node} ${memoryIndex} - ✔ Connected`);

    const install = await box.run("install", "--client", "claude-code", "--config", file, "--yes");
    expect(install.exitCode, install.stderr).toBe(0);
    expect(lineOf(await mcpList(), "notes")).toBe(
      `notes: ${node} ${policylayerBin} wrap -- ${node} ${memoryIndex} - ✔ Connected`,
    );
  }, 300_000);
});
