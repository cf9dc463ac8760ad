// Which config files install and status consider: every file a client merges, each file once.
import { readFileSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Sandbox, sandbox } from "./sandbox.js";

let box: Sandbox;
beforeEach(() => {
  box = sandbox();
});
afterEach(() => box.cleanup());

describe("Claude Code with a project's .mcp.json", () => {
  it("still considers ~/.claude.json: its user and local scopes beside the project scope", async () => {
    const user = box.write(
      "home/.claude.json",
      `${JSON.stringify({
        mcpServers: { user1: { command: "npx", args: ["u"] } },
        projects: { [box.cwd]: { mcpServers: { local1: { command: "npx", args: ["l"] } } } },
      })}\n`,
    );
    const project = box.write(
      "project/.mcp.json",
      '{"mcpServers":{"proj1":{"command":"npx","args":["p"]}}}\n',
    );
    const install = await box.run("install", "--client", "claude-code", "--yes");
    expect(install.exitCode, install.stderr).toBe(0);
    expect(install.stdout).toContain("considering 2 config files");
    for (const name of ["user1", `local1 (projects ${box.cwd})`, "proj1"])
      expect(install.stdout).toContain(`${name}: wrap with the built-in default policy`);
    const status = await box.run("status", "--client", "claude-code");
    expect(status.stdout).toContain(`${user} (claude-code):`);
    expect(status.stdout).toContain(`${project} (claude-code):`);
    expect(status.stdout.match(/: wrapped, policy built-in default/g)).toHaveLength(3);
  });
});

describe("a home folder reached through a symbolic link, as the current folder", () => {
  it("has its config files considered once, and wrapped once", async () => {
    const link = join(box.root, "home-link");
    symlinkSync(box.home, link);
    const file = box.write("home/.cursor/mcp.json", '{"mcpServers":{"x":{"command":"npx"}}}\n');
    const env = { HOME: link, USERPROFILE: link };
    const install = await box.runWith({ cwd: link, env }, "install", "--client", "cursor", "--yes");
    expect(install.exitCode, install.stderr).toBe(0);
    expect(install.stdout).toContain("considering 1 config file:");
    const args: string[] = JSON.parse(readFileSync(file, "utf8")).mcpServers.x.args;
    expect(args.filter((word) => word === "wrap")).toHaveLength(1);
    const status = await box.runWith({ cwd: link, env }, "status", "--client", "cursor", "--json");
    expect(JSON.parse(status.stdout).configs).toHaveLength(1);
  });
});
