// install --init: no server starts before the plan is shown and confirmed; one starter policy per distinct server.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Sandbox, sandbox } from "./sandbox.js";

const toolsServer = fileURLToPath(new URL("./tools-server.mjs", import.meta.url));

let box: Sandbox;
let started: string;
beforeEach(() => {
  box = sandbox();
  started = join(box.root, "started");
});
afterEach(() => box.cleanup());

/** A Cursor file with one server per name, each serving the tools listed. */
function cursorFile(servers: Record<string, string[]>): string {
  const entries = Object.fromEntries(
    Object.entries(servers).map(([name, tools]) => [
      name,
      { command: process.execPath, args: [toolsServer, ...tools], env: { STARTED_FILE: started } },
    ]),
  );
  return `${JSON.stringify({ mcpServers: entries }, null, 2)}\n`;
}

const policies = () => join(box.configHome, "policylayer", "policies");

describe("install --init before confirmation", () => {
  it("starts no server without a terminal and without --yes, and says what it would start", async () => {
    box.write("project/.cursor/mcp.json", cursorFile({ x: ["read_notes"] }));
    const run = await box.run("install", "--client", "cursor", "--init");
    expect(run.exitCode).toBe(2);
    expect(run.stdout).toContain(`x: wrap with ${join(policies(), "cursor-x.yaml")}`);
    expect(run.stdout).toContain("--init starts these servers once to read their tools:");
    expect(run.stdout).toContain(`${toolsServer} read_notes (for ${join(policies(), "cursor-x.yaml")})`);
    expect(run.stderr).toContain("nothing was started or written");
    expect(existsSync(started)).toBe(false);
    expect(existsSync(policies())).toBe(false);
  });

  it("starts no server on --dry-run", async () => {
    box.write("project/.cursor/mcp.json", cursorFile({ x: ["read_notes"] }));
    const run = await box.run("install", "--client", "cursor", "--init", "--dry-run");
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toContain("dry run: nothing was written and no server was started");
    expect(existsSync(started)).toBe(false);
  });

  it("starts the servers once confirmed with --yes, and writes their policies", async () => {
    box.write("project/.cursor/mcp.json", cursorFile({ x: ["read_notes"] }));
    const run = await box.run("install", "--client", "cursor", "--init", "--yes");
    expect(run.exitCode, run.stderr).toBe(0);
    expect(readFileSync(started, "utf8")).toBe("read_notes\n");
    expect(readFileSync(join(policies(), "cursor-x.yaml"), "utf8")).toContain("read_notes");
  });
});

describe("install --init and servers whose starter policies would share a file", () => {
  it("gives the project's server of the user's name a policy of its own tools", async () => {
    const user = box.write("home/.cursor/mcp.json", cursorFile({ github: ["get_issue"] }));
    const project = box.write(
      "project/.cursor/mcp.json",
      cursorFile({ github: ["read_secrets", "exec_shell"] }),
    );
    const run = await box.run("install", "--client", "cursor", "--init", "--yes");
    expect(run.exitCode, run.stderr).toBe(0);
    const policyOf = (file: string): string => {
      const args: string[] = JSON.parse(readFileSync(file, "utf8")).mcpServers.github.args;
      return args[args.indexOf("--policy") + 1] ?? "";
    };
    expect(policyOf(user)).toBe(join(policies(), "cursor-github.yaml"));
    expect(policyOf(project)).toMatch(/cursor-github-[0-9a-f]{8}\.yaml$/);
    expect(readFileSync(policyOf(user), "utf8")).toContain("get_issue");
    expect(readFileSync(policyOf(user), "utf8")).not.toContain("exec_shell");
    expect(readFileSync(policyOf(project), "utf8")).toContain("exec_shell");
  });

  it("keeps each server's file its own when they are chosen one at a time with --server", async () => {
    const file = box.write("home/.cursor/mcp.json", cursorFile({ "a b": ["one"], a_b: ["two"] }));
    for (const name of ["a b", "a_b"]) {
      const run = await box.run("install", "--client", "cursor", "--init", "--server", name, "--yes");
      expect(run.exitCode, run.stderr).toBe(0);
    }
    const servers = JSON.parse(readFileSync(file, "utf8")).mcpServers;
    const policyOf = (args: string[]): string => args[args.indexOf("--policy") + 1] ?? "";
    expect(readFileSync(policyOf(servers["a b"].args), "utf8")).toContain("tool: one");
    expect(readFileSync(policyOf(servers.a_b.args), "utf8")).toContain("tool: two");
  });

  it("gives names that differ only in characters replaced by _ a file each", async () => {
    box.write("home/.cursor/mcp.json", cursorFile({ "a b": ["one"], a_b: ["two"] }));
    const run = await box.run("install", "--client", "cursor", "--init", "--yes");
    expect(run.exitCode, run.stderr).toBe(0);
    expect(readdirSync(policies())).toHaveLength(2);
  });
});
