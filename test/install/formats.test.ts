// Format details beyond the round trips: Codex's TOML forms, and Claude Code's ~/.claude.json scopes.
import { readFileSync, writeFileSync } from "node:fs";
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

  it("wraps the user scope's servers and the current project's, not other projects'", async () => {
    const { file, text } = userFile();
    const run = await box.run("install", "--client", "claude-code", "--yes");
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toContain("context7: wrap with");
    expect(run.stdout).toContain(`postgres (projects ${box.cwd}): wrap with`);
    expect(run.stdout).toContain("notion: remote (http): not wrapped");
    expect(run.stdout).not.toContain("other");
    const data = JSON.parse(readFileSync(file, "utf8"));
    expect(data.projects["/some/other/project"]).toEqual(JSON.parse(text).projects["/some/other/project"]);
    expect(data.projects[box.cwd].mcpServers.postgres.args).toContain("wrap");
    expect((await box.run("uninstall", "--client", "claude-code", "--yes")).exitCode).toBe(0);
    expect(readFileSync(file, "utf8")).toBe(text);
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
