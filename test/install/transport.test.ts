// Which entries install takes for local commands: the transport each client picks, never a stray url's.
import { readFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { policylayerBin } from "../helpers/paths.js";
import { type Sandbox, sandbox } from "./sandbox.js";

let box: Sandbox;
beforeEach(() => {
  box = sandbox();
});
afterEach(() => box.cleanup());

const strayUrl = (command: string) =>
  `{\n  "mcpServers": {\n    "tools": { "command": ${JSON.stringify(command)}, "args": ["srv"], "url": "https://example.invalid/mcp" }\n  }\n}\n`;

describe("an entry with a command and a stray url", () => {
  it("is wrapped for Claude Code, which runs its command", async () => {
    const file = box.write("project/.mcp.json", strayUrl("npx"));
    const run = await box.run("install", "--client", "claude-code", "--yes");
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toContain("tools: wrap with the built-in default policy");
    expect(run.stdout).not.toContain("remote");
    expect(JSON.parse(readFileSync(file, "utf8")).mcpServers.tools.args).toEqual([
      policylayerBin,
      "wrap",
      "--",
      "npx",
      "srv",
    ]);
  });

  it("is wrapped for Cursor, whose documentation gives no order, with a warning that says so", async () => {
    const file = box.write("home/.cursor/mcp.json", strayUrl("npx"));
    const run = await box.run("install", "--client", "cursor", "--server", "tools", "--yes");
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toContain("tools: wrap with the built-in default policy");
    expect(run.stderr).toContain("has a command and also url");
    expect(JSON.parse(readFileSync(file, "utf8")).mcpServers.tools.args).toContain("wrap");
  });

  it("is remote for Gemini CLI, which connects to the url first", async () => {
    box.write("home/.gemini/settings.json", strayUrl("npx"));
    const run = await box.run("install", "--client", "gemini", "--yes");
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toContain("tools: remote (url): not wrapped");
  });
});
