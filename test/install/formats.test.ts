// Format details beyond the round trips: Codex's TOML forms, and Claude Code's ~/.claude.json scopes.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseToml } from "smol-toml";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fixture, type Sandbox, sandbox } from "./sandbox.js";

let box: Sandbox;
beforeEach(() => {
  box = sandbox();
});
afterEach(() => box.cleanup());

const CODEX = "home/.codex/config.toml";

describe("Codex config.toml", () => {
  it("keeps comments, other tables and the subtables of an edited server", async () => {
    const file = box.write(CODEX, fixture("codex.config.toml"));
    expect((await box.run("install", "--client", "codex", "--server", "context7", "--yes")).exitCode).toBe(0);
    const text = readFileSync(file, "utf8");
    expect(text).toContain('args = ["');
    expect(text).toContain(
      "]   # docs lookups\nstartup_timeout_sec = 20\n\n[mcp_servers.context7.env]\nCONTEXT7_API_KEY",
    );
    expect(text).toContain("# --- MCP servers ---");
    const data = parseToml(text) as { mcp_servers: Record<string, { args: string[]; env?: unknown }> };
    expect(data.mcp_servers.context7?.args.slice(-4)).toEqual(["--", "npx", "-y", "@upstash/context7-mcp"]);
    expect(data.mcp_servers.context7?.env).toEqual({ CONTEXT7_API_KEY: "ctx7-…" });
  });

  it("does not wrap a server written as an inline table, says why, and exits 1 when it was asked for", async () => {
    const text = '[mcp_servers]\ninline = { command = "npx", args = ["srv"] }\n';
    const file = box.write(CODEX, text);
    const run = await box.run("install", "--client", "codex", "--server", "inline", "--yes");
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain(
      "inline: not wrapped: inline is not written as a [mcp_servers.inline] table",
    );
    expect(readFileSync(file, "utf8")).toBe(text);
  });

  it("wraps the servers of a file that starts with a byte-order mark, and keeps the mark", async () => {
    const text = '\uFEFF[mcp_servers.srv]\ncommand = "npx"\n';
    const file = box.write(CODEX, text);
    const run = await box.run("install", "--client", "codex", "--yes");
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toContain("srv: wrap with the built-in default policy");
    expect(readFileSync(file, "utf8")).toMatch(
      /^\uFEFF\[mcp_servers\.srv\]\ncommand = ".*"\nargs = \[.*"wrap", "--", "npx"\]\n$/,
    );
    expect((await box.run("uninstall", "--client", "codex", "--yes")).exitCode).toBe(0);
    expect(readFileSync(file, "utf8")).toBe(text);
  });

  it("restores the command and args of a server edited by hand after install, keeping the edit", async () => {
    const original = fixture("codex.config.toml");
    const file = box.write(CODEX, original);
    expect((await box.run("install", "--client", "codex", "--yes")).exitCode).toBe(0);
    writeFileSync(
      file,
      readFileSync(file, "utf8").replace("startup_timeout_sec = 20", "startup_timeout_sec = 45"),
    );
    const run = await box.run("uninstall", "--client", "codex", "--yes");
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain("context7: edited by hand after install");
    expect(readFileSync(file, "utf8")).toBe(
      original.replace("startup_timeout_sec = 20", "startup_timeout_sec = 45"),
    );
  });
});

describe("Claude Code's ~/.claude.json", () => {
  function userFile(): { file: string; text: string } {
    const text = fixture("claude-code.claude.json").replace("PROJECT_DIR", box.cwd);
    return { file: box.write("home/.claude.json", text), text };
  }

  it("wraps the user scope's servers and the current project's, not other projects', and names those it leaves", async () => {
    const { file, text } = userFile();
    const run = await box.run("install", "--client", "claude-code", "--yes");
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toContain("context7: wrap with");
    expect(run.stdout).toContain(`postgres (projects ${box.cwd}): wrap with`);
    expect(run.stdout).toContain("notion: remote (http): not wrapped");
    expect(run.stdout).toContain(
      "other (projects /some/other/project): not wrapped: it is in the local scope of the project /some/other/project; run install in that folder to wrap it",
    );
    expect(run.stdout).not.toContain("other (projects /some/other/project): wrap with");
    const data = JSON.parse(readFileSync(file, "utf8"));
    expect(data.projects["/some/other/project"]).toEqual(JSON.parse(text).projects["/some/other/project"]);
    expect(data.projects[box.cwd].mcpServers.postgres.args).toContain("wrap");
    expect((await box.run("uninstall", "--client", "claude-code", "--yes")).exitCode).toBe(0);
    expect(readFileSync(file, "utf8")).toBe(text);
  });

  it("names, on uninstall from another folder, the wrapped entries of the project's local scope it does not restore", async () => {
    const { file } = userFile();
    expect((await box.run("install", "--client", "claude-code", "--yes")).exitCode).toBe(0);
    const run = await box.runWith({ cwd: box.home }, "uninstall", "--client", "claude-code", "--yes");
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toContain("context7: restored exactly as it was before install");
    expect(run.stdout).toContain(
      `postgres (projects ${box.cwd}): still wrapped: it is in the local scope of the project ${box.cwd}; run uninstall in that folder to restore it`,
    );
    expect(JSON.parse(readFileSync(file, "utf8")).projects[box.cwd].mcpServers.postgres.args).toContain(
      "wrap",
    );
  });

  it("says where a server named with --server is when it is only in another project's local scope, and changes nothing", async () => {
    const { file, text } = userFile();
    const install = await box.run("install", "--client", "claude-code", "--server", "other", "--yes");
    expect(install.exitCode).toBe(2);
    expect(install.stderr).toContain(
      'the server "other" is only in the local scope of the project /some/other/project; run this in that folder',
    );
    expect(install.stderr).not.toContain("no server named");
    expect(readFileSync(file, "utf8")).toBe(text);
    expect((await box.run("install", "--client", "claude-code", "--yes")).exitCode).toBe(0);
    const wrapped = readFileSync(file, "utf8");
    const uninstall = await box.runWith(
      { cwd: box.home },
      "uninstall",
      "--client",
      "claude-code",
      "--server",
      "postgres",
      "--yes",
    );
    expect(uninstall.exitCode).toBe(2);
    expect(uninstall.stderr).toContain(
      `the server "postgres" is only in the local scope of the project ${box.cwd}; run this in that folder`,
    );
    expect(readFileSync(file, "utf8")).toBe(wrapped);
  });

  it("restores the entries after Claude Code rewrote the whole file, without calling that a hand edit", async () => {
    const { file, text } = userFile();
    expect((await box.run("install", "--client", "claude-code", "--yes")).exitCode).toBe(0);
    // Claude Code writes ~/.claude.json back on every start, with its own layout and new keys.
    const rewritten = { ...JSON.parse(readFileSync(file, "utf8")), numStartups: 13 };
    writeFileSync(file, JSON.stringify(rewritten, null, 2));
    const run = await box.run("uninstall", "--client", "claude-code", "--yes");
    expect(run.exitCode).toBe(0);
    expect(run.stdout).not.toContain("edited by hand");
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({ ...JSON.parse(text), numStartups: 13 });
  });
});

describe("comments among a server's args", () => {
  const POLICY = "version: 1\ndefault: allow\nrules: []\n";

  it("stay where they were in VS Code's mcp.json through install and a policy change", async () => {
    const original = fixture("vscode.mcp.json");
    const file = box.write("project/.vscode/mcp.json", original);
    const comment = "\t\t\t\t// fetch ignores robots.txt only when told\n";
    const tail = `\t\t\t\t"uvx",\n\t\t\t\t"mcp-server-fetch",\n${comment}\t\t\t\t"--ignore-robots-txt"\n\t\t\t]`;
    expect((await box.run("install", "--client", "vscode", "--server", "fetch", "--yes")).exitCode).toBe(0);
    expect(readFileSync(file, "utf8")).toContain(`\t\t\t\t"wrap",\n\t\t\t\t"--",\n${tail}`);

    const policy = box.write("p.yaml", POLICY);
    const update = await box.run(
      "install",
      "--client",
      "vscode",
      "--server",
      "fetch",
      "--policy",
      policy,
      "--yes",
    );
    expect(update.exitCode, update.stderr).toBe(0);
    expect(readFileSync(file, "utf8")).toContain(
      `\t\t\t\t"wrap",\n\t\t\t\t"--policy",\n\t\t\t\t${JSON.stringify(policy)},\n\t\t\t\t"--",\n${tail}`,
    );
    expect((await box.run("uninstall", "--client", "vscode", "--yes")).exitCode).toBe(0);
    expect(readFileSync(file, "utf8")).toBe(original);
  });

  it("stay where they were in Codex's config.toml, also when uninstall restores an entry edited by hand", async () => {
    const original = fixture("codex.config.toml");
    const file = box.write(CODEX, original);
    const args = `  'C:\\tools\\memory\\index.js',\n  # more output while we debug it\n  "--verbose",\n]`;
    expect((await box.run("install", "--client", "codex", "--server", "mémoire", "--yes")).exitCode).toBe(0);
    const installed = readFileSync(file, "utf8");
    // The command moves into args as the file spelled it (a literal string), and back again.
    expect(installed).toContain(`  "--",\n  'C:\\Program Files\\nodejs\\node.exe',\n${args}`);

    writeFileSync(file, installed.replace("enabled = true", "enabled = false"));
    const run = await box.run("uninstall", "--client", "codex", "--yes");
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain("mémoire: edited by hand after install");
    expect(readFileSync(file, "utf8")).toBe(original.replace("enabled = true", "enabled = false"));
  });
});

describe("where the clients' documentation puts more files", () => {
  it("finds Gemini CLI's user file under $GEMINI_CLI_HOME, and a project's .gemini/settings.json", async () => {
    const user = box.write("gemini-home/.gemini/settings.json", fixture("gemini.settings.json"));
    const project = box.write(
      "project/.gemini/settings.json",
      '{ "mcpServers": { "p": { "command": "uvx" } } }\n',
    );
    const run = await box.runWith(
      { env: { GEMINI_CLI_HOME: `${box.root}/gemini-home` } },
      "install",
      "--client",
      "gemini",
      "--dry-run",
    );
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toContain(`--- ${user}`);
    expect(run.stdout).toContain(`--- ${project}`);
  });

  it("finds a project's .codex/config.toml beside the user's", async () => {
    box.write(CODEX, fixture("codex.config.toml"));
    const project = box.write("project/.codex/config.toml", '[mcp_servers.p]\ncommand = "uvx"\n');
    const run = await box.run("install", "--client", "codex", "--yes");
    expect(run.exitCode, run.stderr).toBe(0);
    expect(parseToml(readFileSync(project, "utf8"))).toMatchObject({
      mcp_servers: { p: { args: expect.arrayContaining(["wrap", "--", "uvx"]) } },
    });
  });

  it("finds the .codex/config.toml of every folder from a subfolder up to the project's root, and none above it", async () => {
    mkdirSync(join(box.cwd, ".git"));
    const root = box.write("project/.codex/config.toml", '[mcp_servers.r]\ncommand = "uvx"\n');
    const middle = box.write("project/sub/.codex/config.toml", '[mcp_servers.m]\ncommand = "uvx"\n');
    const above = box.write(".codex/config.toml", '[mcp_servers.a]\ncommand = "uvx"\n');
    const sub = join(box.cwd, "sub", "deeper");
    mkdirSync(sub);
    const run = await box.runWith({ cwd: sub }, "install", "--client", "codex", "--yes");
    expect(run.exitCode, run.stderr).toBe(0);
    for (const file of [root, middle]) expect(readFileSync(file, "utf8")).toContain('"wrap", "--", "uvx"');
    expect(readFileSync(above, "utf8")).toBe('[mcp_servers.a]\ncommand = "uvx"\n');
  });

  it("edits Claude Code's user file in $CLAUDE_CONFIG_DIR when that is set", async () => {
    const text = fixture("claude-code.claude.json").replace("PROJECT_DIR", box.cwd);
    const file = box.write("claude-config/.claude.json", text);
    const run = await box.runWith(
      { env: { CLAUDE_CONFIG_DIR: `${box.root}/claude-config` } },
      "install",
      "--client",
      "claude-code",
      "--yes",
    );
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toContain(`postgres (projects ${box.cwd}): wrap with`);
    expect(JSON.parse(readFileSync(file, "utf8")).mcpServers.context7.args).toContain("wrap");
  });
});

describe("entries the documentation gives that need care", () => {
  it("does not wrap a Codex server started on a remote executor, and says why", async () => {
    const original = fixture("codex.config.toml");
    const file = box.write(CODEX, original);
    const run = await box.run("install", "--client", "codex", "--server", "remote-build", "--yes");
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain("remote-build: not wrapped: Codex may start it on a remote executor");
    expect(readFileSync(file, "utf8")).toBe(original);
  });

  it("wraps a server VS Code runs in its sandbox, and says which folder the sandbox must let it write", async () => {
    box.write("project/.vscode/mcp.json", fixture("vscode.mcp.json"));
    const run = await box.run("install", "--client", "vscode", "--server", "myServer", "--yes");
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toContain("myServer: wrap with the built-in default policy");
    expect(run.stderr).toContain(
      `myServer: VS Code runs it in its sandbox (sandboxEnabled): add policylayer's state folder ${JSON.stringify(box.stateDir)} to sandbox.filesystem.allowWrite`,
    );
  });
});
