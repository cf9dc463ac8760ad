import { chmodSync, readFileSync, realpathSync, statSync } from "node:fs";
import { isDeepStrictEqual } from "node:util";
import { findNodeAtLocation, parse as parseJsonc, parseTree } from "jsonc-parser";
import { parse as parseToml } from "smol-toml";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { policylayerBin } from "../helpers/paths.js";
import { crlf, fixture, type Sandbox, sandbox } from "./sandbox.js";

interface Case {
  client: string;
  fixture: string;
  /** Where the client keeps the file, relative to the sandbox (found without --config). */
  file: string;
  wrapped: string[];
  remote: string[];
  /** The key holding the servers. */
  servers: string;
}

const CASES: Case[] = [
  {
    client: "claude-desktop",
    fixture: "claude_desktop_config.json",
    file: "config/Claude/claude_desktop_config.json",
    wrapped: ["filesystem", "mémoire — notes", "sagemaker", "no-args"],
    remote: [],
    servers: "mcpServers",
  },
  {
    client: "claude-code",
    fixture: "claude-code.mcp.json",
    file: "project/.mcp.json",
    wrapped: ["memory", "airtable"],
    remote: ["github", "asana"],
    servers: "mcpServers",
  },
  {
    client: "cursor",
    fixture: "cursor.mcp.json",
    file: "home/.cursor/mcp.json",
    wrapped: ["server-name", "python-tool"],
    remote: ["remote-server"],
    servers: "mcpServers",
  },
  {
    client: "vscode",
    fixture: "vscode.mcp.json",
    file: "project/.vscode/mcp.json",
    wrapped: ["Perplexity", "fetch", "myServer"],
    remote: ["github", "legacy"],
    servers: "servers",
  },
  {
    client: "windsurf",
    fixture: "windsurf.mcp_config.json",
    file: "home/.codeium/windsurf/mcp_config.json",
    wrapped: ["github", "ollama"],
    remote: ["figma", "remote-http"],
    servers: "mcpServers",
  },
  {
    client: "gemini",
    fixture: "gemini.settings.json",
    file: "home/.gemini/settings.json",
    wrapped: ["pythonTools", "git"],
    remote: ["httpServer", "sseServer"],
    servers: "mcpServers",
  },
  {
    client: "codex",
    fixture: "codex.config.toml",
    file: "home/.codex/config.toml",
    wrapped: ["context7", "mémoire", "time"],
    remote: ["figma"],
    servers: "mcp_servers",
  },
];

const VARIANTS: { name: string; change: (text: string) => string }[] = [
  { name: "as documented", change: (text) => text },
  { name: "with CRLF line endings", change: crlf },
  { name: "without a final newline", change: (text) => text.replace(/\r?\n$/, "") },
];

type Servers = Record<string, Record<string, unknown>>;

function parseConfig(kase: Case, text: string): Record<string, unknown> {
  if (kase.client === "codex") return parseToml(text) as Record<string, unknown>;
  return parseJsonc(text, [], { allowTrailingComma: true }) as Record<string, unknown>;
}

function serversOf(kase: Case, data: Record<string, unknown>): Servers {
  return data[kase.servers] as Servers;
}

const launcher = [realpathSync(process.execPath), realpathSync(policylayerBin)];

/** The file's text outside the given entries: the pieces before, between and after them, in order. */
function outsideEntries(kase: Case, text: string, names: readonly string[]): string[] {
  const spans: [number, number][] = [];
  for (const name of names) {
    if (kase.client === "codex") {
      // A [mcp_servers.NAME] table runs from its header to the next header.
      const header = `[mcp_servers.${/^[A-Za-z0-9_-]+$/.test(name) ? name : JSON.stringify(name)}]`;
      const start = text.indexOf(header);
      const next = text.indexOf("\n[", start);
      spans.push([start, next === -1 ? text.length : next]);
    } else {
      const root = parseTree(text, [], { allowTrailingComma: true });
      const node = root && findNodeAtLocation(root, [kase.servers, name]);
      if (node === undefined) throw new Error(`no ${name} in the ${kase.client} file`);
      spans.push([node.offset, node.offset + node.length]);
    }
  }
  spans.sort((a, b) => a[0] - b[0]);
  const pieces: string[] = [];
  let at = 0;
  for (const [start, end] of spans) {
    pieces.push(text.slice(at, start));
    at = end;
  }
  pieces.push(text.slice(at));
  return pieces;
}

let box: Sandbox;
beforeEach(() => {
  box = sandbox();
});
afterEach(() => box.cleanup());

describe.each(CASES)("install and uninstall of a $client config", (kase) => {
  it.each(VARIANTS)(
    "wrap every stdio server and restore the file byte for byte ($name)",
    async ({ change }) => {
      const original = change(fixture(kase.fixture));
      const file = box.write(kase.file, original);
      chmodSync(file, 0o640);
      const before = parseConfig(kase, original);

      const install = await box.run("install", "--client", kase.client, "--yes");
      expect(install.stderr).not.toMatch(/refus|does not parse|not valid/);
      expect(install.exitCode).toBe(0);
      const installed = readFileSync(file, "utf8");
      expect(statSync(file).mode & 0o777).toBe(0o640);
      expect(box.backupsOf(file)).toHaveLength(1);

      // Each stdio entry now runs this policylayer by absolute path, its old command after --.
      const after = parseConfig(kase, installed);
      for (const name of kase.wrapped) {
        const old = serversOf(kase, before)[name] ?? {};
        const now = serversOf(kase, after)[name] ?? {};
        expect(now.command).toBe(launcher[0]);
        expect(now.args).toEqual([launcher[1], "wrap", "--", old.command, ...((old.args as string[]) ?? [])]);
        // Every other field of the entry stays as it was; nothing of ours is added.
        const { command: _c, args: _a, ...rest } = now;
        const { command: _oc, args: _oa, ...oldRest } = old;
        expect(rest).toEqual(oldRest);
      }
      for (const name of kase.remote)
        expect(serversOf(kase, after)[name]).toEqual(serversOf(kase, before)[name]);
      // Outside the wrapped entries, the file means the same.
      const strip = (data: Record<string, unknown>) => {
        const copy = structuredClone(data);
        for (const name of kase.wrapped) delete serversOf(kase, copy)[name];
        return copy;
      };
      expect(isDeepStrictEqual(strip(after), strip(before))).toBe(true);
      // And byte for byte: only the wrapped entries' text differs.
      expect(outsideEntries(kase, installed, kase.wrapped)).toEqual(
        outsideEntries(kase, original, kase.wrapped),
      );
      // Line endings and the final newline are the file's own.
      if (original.includes("\r\n")) expect(installed.replaceAll("\r\n", "")).not.toContain("\n");
      expect(installed.endsWith("\n")).toBe(original.endsWith("\n"));

      const again = await box.run("install", "--client", kase.client, "--yes");
      expect(again.exitCode).toBe(0);
      expect(again.stdout).toContain("nothing to change");
      expect(readFileSync(file, "utf8")).toBe(installed);
      expect(box.backupsOf(file)).toHaveLength(1);

      const uninstall = await box.run("uninstall", "--client", kase.client, "--yes");
      expect(uninstall.exitCode).toBe(0);
      expect(readFileSync(file)).toEqual(Buffer.from(original));
      expect(statSync(file).mode & 0o777).toBe(0o640);

      const nothing = await box.run("uninstall", "--client", kase.client, "--yes");
      expect(nothing.exitCode).toBe(0);
      expect(nothing.stdout).toContain("nothing to change");
    },
  );

  it("leaves remote entries' text exactly as it was", async () => {
    const original = fixture(kase.fixture);
    const file = box.write(kase.file, original);
    const install = await box.run("install", "--client", kase.client, "--yes");
    expect(install.exitCode).toBe(0);
    const installed = readFileSync(file, "utf8");
    for (const line of original.split("\n")) {
      if (/https?:\/\//.test(line)) expect(installed).toContain(line);
    }
    for (const name of kase.remote)
      expect(install.stdout).toMatch(new RegExp(`${name}: remote \\(.*\\): not wrapped`));
  });
});
