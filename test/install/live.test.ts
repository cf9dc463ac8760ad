// install with real servers and a real terminal: --init from a live tool list, the wrapped entry
// started as its client would start it, and the confirmation prompt on a pseudo-terminal.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { execa } from "execa";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parsePolicy } from "../../src/policy/load.js";
import { npmServer, policylayerBin } from "../helpers/paths.js";
import { type Sandbox, sandbox } from "./sandbox.js";

const DESKTOP = "config/Claude/claude_desktop_config.json";

let box: Sandbox;
beforeEach(() => {
  box = sandbox();
});
afterEach(() => box.cleanup());

interface Entry {
  command: string;
  args: string[];
  env?: Record<string, string>;
}

/** Starts an entry as a client does (its command, args and env) and connects a real SDK client. */
async function startEntry(entry: Entry): Promise<Client> {
  const transport = new StdioClientTransport({
    command: entry.command,
    args: entry.args,
    env: { ...(process.env as Record<string, string>), ...box.env, ...(entry.env ?? {}) },
    stderr: "pipe",
  });
  const client = new Client({ name: "install-test", version: "1.0.0" });
  await client.connect(transport);
  return client;
}

function memoryConfig(): string {
  const [command, ...args] = npmServer("memory");
  const entry = { command, args, env: { MEMORY_FILE_PATH: join(box.root, "memory.jsonl") } };
  return `${JSON.stringify({ mcpServers: { memory: entry } }, null, 2)}\n`;
}

describe("install --init", () => {
  it("writes a starter policy from the server's live tools, and the wrapped entry runs behind it", async () => {
    const file = box.write(DESKTOP, memoryConfig());
    const run = await box.run("install", "--client", "claude-desktop", "--init", "--yes");
    expect(run.exitCode, run.stderr).toBe(0);
    const policy = join(box.configHome, "policylayer", "policies", "claude-desktop-memory.yaml");
    expect(run.stdout).toContain(`wrote the starter policy ${policy}`);
    const text = readFileSync(policy, "utf8");
    expect(parsePolicy(text, policy).ok).toBe(true);
    expect(text).toContain("delete_entities");

    const entry = (JSON.parse(readFileSync(file, "utf8")) as { mcpServers: { memory: Entry } }).mcpServers
      .memory;
    expect(entry.args.slice(0, 5)).toEqual([policylayerBin, "wrap", "--policy", policy, "--"]);
    const client = await startEntry(entry);
    try {
      const names = (await client.listTools()).tools.map((tool) => tool.name);
      expect(names).toContain("read_graph");
      const read = await client.callTool({ name: "read_graph", arguments: {} });
      expect(read.isError).toBeFalsy();
      const deleted = await client.callTool({ name: "delete_entities", arguments: { entityNames: ["x"] } });
      expect(deleted.isError).toBe(true);
      expect(JSON.stringify(deleted.content)).toContain("policylayer blocked the call");
    } finally {
      await client.close();
    }
  });

  it("keeps a starter policy the user already edited", async () => {
    box.write(DESKTOP, memoryConfig());
    const policy = box.write(
      "config/policylayer/policies/claude-desktop-memory.yaml",
      "version: 1\ndefault: allow\n",
    );
    const run = await box.run("install", "--client", "claude-desktop", "--init", "--yes");
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).not.toContain("wrote the starter policy");
    expect(readFileSync(policy, "utf8")).toBe("version: 1\ndefault: allow\n");
    const status = JSON.parse((await box.run("status", "--client", "claude-desktop", "--json")).stdout);
    expect(status.configs[0].servers[0]).toMatchObject({
      name: "memory",
      wrapped: true,
      remote: false,
      policy,
      policy_valid: true,
      command_found: true,
      launcher_found: true,
    });
  });
});

describe("status", () => {
  it("says which entries are wrapped, remote, or use the built-in default policy", async () => {
    box.write(
      DESKTOP,
      JSON.stringify({
        mcpServers: {
          local: { command: "node", args: ["server.js"] },
          ghost: { command: "/nowhere/ghost" },
          web: { url: "https://example.com/mcp" },
        },
      }),
    );
    expect(
      (await box.run("install", "--client", "claude-desktop", "--server", "local", "--yes")).exitCode,
    ).toBe(0);
    const run = await box.run("status", "--client", "claude-desktop", "--json");
    expect(run.exitCode).toBe(0);
    const [config] = JSON.parse(run.stdout).configs;
    expect(config).toMatchObject({ client: "claude-desktop", file: join(box.root, DESKTOP) });
    expect(config.servers).toMatchObject([
      {
        name: "local",
        wrapped: true,
        remote: false,
        policy: "built-in default",
        policy_valid: true,
        command_found: true,
      },
      {
        name: "ghost",
        wrapped: false,
        remote: false,
        policy: null,
        policy_valid: null,
        command_found: false,
      },
      { name: "web", wrapped: false, remote: true, policy: null, command_found: null },
    ]);
    const human = await box.run("status", "--client", "claude-desktop");
    expect(human.stdout).toContain("local: wrapped, policy built-in default");
    expect(human.stdout).toContain("ghost: not wrapped; command not found on PATH");
    expect(human.stdout).toContain("web: remote (url): not wrapped");
  });
});

/** Runs policylayer on a pseudo-terminal (util-linux `script`), answering its question once it is asked. */
async function onTerminal(args: string[], beforeAnswer: () => void, answer: string) {
  const line = [process.execPath, policylayerBin, ...args].map((word) => `'${word}'`).join(" ");
  const child = execa("script", ["-qec", line, "/dev/null"], { cwd: box.cwd, env: box.env, reject: false });
  let output = "";
  const asked = new Promise<void>((resolve, reject) => {
    const deadline = setTimeout(
      () => reject(new Error(`no [y/N] question within 60 s; output so far: ${output}`)),
      60_000,
    );
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
      if (output.includes("[y/N]")) {
        clearTimeout(deadline);
        resolve();
      }
    });
  });
  await asked;
  beforeAnswer();
  child.stdin?.write(`${answer}\n`);
  const result = await child;
  return { exitCode: result.exitCode, output: output + String(result.stdout ?? "") };
}

describe("on a terminal", () => {
  it("shows the plan and writes only after the user says yes", async () => {
    const file = box.write(DESKTOP, memoryConfig());
    const declined = await onTerminal(["install", "--client", "claude-desktop"], () => {}, "n");
    expect(declined.output).toContain("memory: wrap with the built-in default policy");
    expect(declined.exitCode).toBe(0);
    expect(readFileSync(file, "utf8")).toBe(memoryConfig());
    const accepted = await onTerminal(["install", "--client", "claude-desktop"], () => {}, "y");
    expect(accepted.exitCode).toBe(0);
    expect(readFileSync(file, "utf8")).toContain('"wrap"');
  });

  it("with --init, names the servers it will start and starts none when the user says no", async () => {
    const started = join(box.root, "started");
    const toolsServer = fileURLToPath(new URL("./tools-server.mjs", import.meta.url));
    const entry = {
      command: process.execPath,
      args: [toolsServer, "read_notes"],
      env: { STARTED_FILE: started },
    };
    const file = box.write(DESKTOP, `${JSON.stringify({ mcpServers: { notes: entry } }, null, 2)}\n`);
    const before = readFileSync(file, "utf8");
    const declined = await onTerminal(["install", "--client", "claude-desktop", "--init"], () => {}, "n");
    expect(declined.output).toContain("--init starts these servers once to read their tools:");
    expect(declined.output).toContain("Start the server named above, then wrap the servers above");
    expect(declined.exitCode).toBe(0);
    expect(existsSync(started)).toBe(false);
    expect(readFileSync(file, "utf8")).toBe(before);
    const accepted = await onTerminal(["install", "--client", "claude-desktop", "--init"], () => {}, "y");
    expect(accepted.exitCode).toBe(0);
    expect(readFileSync(started, "utf8")).toBe("read_notes\n");
  });

  it("refuses to write a file that another program changed while the user was reading the plan", async () => {
    const file = box.write(DESKTOP, memoryConfig());
    const changed = memoryConfig().replace("memory.jsonl", "other.jsonl");
    const run = await onTerminal(
      ["install", "--client", "claude-desktop"],
      () => writeFileSync(file, changed),
      "y",
    );
    expect(run.exitCode).toBe(1);
    expect(run.output).toContain("changed on disk since policylayer read it");
    expect(readFileSync(file, "utf8")).toBe(changed);
    expect(box.backupsOf(file)).toEqual([]);
  });
});
