// The MCP clients whose config files install edits: where each keeps its file, in which format,
// and under which keys its servers are. Checked against each client's documentation (README).
import { realpathSync } from "node:fs";
import { homedir } from "node:os";
import { basename, dirname, join, parse, resolve } from "node:path";
import { claudeProjectKey, gitRoot } from "./claude-project.js";

export const CLIENT_NAMES = [
  "claude-desktop",
  "claude-code",
  "cursor",
  "vscode",
  "windsurf",
  "codex",
  "gemini",
] as const;

export type ClientName = (typeof CLIENT_NAMES)[number];

/**
 * How a client's file is written: strict JSON; JSON with comments but no trailing commas (Gemini CLI
 * strips the comments, then JSON.parse reads the rest); JSON with comments and trailing commas (VS
 * Code's JSONC); or TOML.
 */
export type ConfigFormat = "json" | "json-comments" | "jsonc" | "toml";

/** A path of object keys from the file's root to an object whose members are server entries. */
export type ContainerPath = readonly string[];

/** One config file of a client, and where its servers are inside it. */
export interface ClientConfig {
  client: ClientName;
  file: string;
  format: ConfigFormat;
  containers: ContainerPath[];
}

/** Where the process runs and whose home it is: passed in so that tests can choose. */
export interface Machine {
  env: NodeJS.ProcessEnv;
  home: string;
  cwd: string;
  platform: NodeJS.Platform;
}

/** This process's machine. */
export function thisMachine(): Machine {
  return { env: process.env, home: homedir(), cwd: process.cwd(), platform: process.platform };
}

/** Checks a --client value; null when it names no client we know. */
export function parseClientName(value: string): ClientName | null {
  return (CLIENT_NAMES as readonly string[]).includes(value) ? (value as ClientName) : null;
}

function claudeDesktopFile(machine: Machine): string {
  const name = "claude_desktop_config.json";
  if (machine.platform === "darwin")
    return join(machine.home, "Library", "Application Support", "Claude", name);
  if (machine.platform === "win32")
    return join(machine.env.APPDATA ?? join(machine.home, "AppData", "Roaming"), "Claude", name);
  const configHome = machine.env.XDG_CONFIG_HOME || join(machine.home, ".config");
  return join(configHome, "Claude", name);
}

/** Claude Code's user file: ~/.claude.json, or .claude.json in $CLAUDE_CONFIG_DIR (as Claude Code 2.1.197 does). */
function claudeUserFile(machine: Machine): string {
  return join(machine.env.CLAUDE_CONFIG_DIR || machine.home, ".claude.json");
}

/** Gemini CLI's folder: .gemini in $GEMINI_CLI_HOME, else in the home folder (docs/reference/configuration.md). */
function geminiHome(machine: Machine): string {
  return join(machine.env.GEMINI_CLI_HOME || machine.home, ".gemini");
}

/**
 * Claude Code's project scope: the .mcp.json of the current folder and of every folder above it but
 * the file system's root, the nearest first (Claude Code 2.1.197 merges them, the nearest winning).
 */
function claudeProjectFiles(cwd: string): string[] {
  const files: string[] = [];
  const { root } = parse(resolve(cwd));
  for (let folder = resolve(cwd); folder !== root; folder = dirname(folder))
    files.push(join(folder, ".mcp.json"));
  return files;
}

/**
 * Codex's project layers: the .codex/config.toml of the current folder and of every folder above it
 * up to the project's root (the nearest folder with a .git, Codex's default project_root_markers;
 * the current folder outside a repository), the nearest first.
 */
function codexProjectFiles(cwd: string): string[] {
  const top = gitRoot(cwd) ?? resolve(cwd);
  const files: string[] = [];
  for (let folder = resolve(cwd); ; folder = dirname(folder)) {
    files.push(join(folder, ".codex", "config.toml"));
    if (folder === top || folder === dirname(folder)) return files;
  }
}

/** The keys of a format's server entries in a file of `client` at `file` (Claude Code's two files differ). */
function containersOf(client: ClientName, file: string, machine: Machine): ContainerPath[] {
  if (client === "vscode") return [["servers"]];
  if (client === "codex") return [["mcp_servers"]];
  if (client === "claude-code" && basename(file) === ".claude.json") {
    // The user scope, and the local scope of the project Claude Code sees in the current folder.
    return [["mcpServers"], ["projects", claudeProjectKey(machine.cwd, machine.platform), "mcpServers"]];
  }
  return [["mcpServers"]];
}

function formatOf(client: ClientName): ConfigFormat {
  if (client === "codex") return "toml";
  if (client === "vscode") return "jsonc";
  if (client === "gemini") return "json-comments";
  return "json";
}

/** A client's config at an explicit path (--config FILE). */
export function configAt(client: ClientName, file: string, machine: Machine): ClientConfig {
  const absolute = resolve(machine.cwd, file);
  return {
    client,
    file: absolute,
    format: formatOf(client),
    containers: containersOf(client, absolute, machine),
  };
}

/** The files a client reads on this machine, in the order install considers them (some may not exist). */
export function defaultFiles(client: ClientName, machine: Machine): string[] {
  const { home, cwd } = machine;
  switch (client) {
    case "claude-desktop":
      return [claudeDesktopFile(machine)];
    case "claude-code":
      // Claude Code merges them all: the user and local scopes in ~/.claude.json, the project scope in .mcp.json files.
      return [claudeUserFile(machine), ...claudeProjectFiles(cwd)];
    case "cursor":
      return [join(home, ".cursor", "mcp.json"), join(cwd, ".cursor", "mcp.json")];
    case "vscode":
      return [join(cwd, ".vscode", "mcp.json")];
    case "windsurf":
      return [join(home, ".codeium", "windsurf", "mcp_config.json")];
    case "codex":
      // The user's file, and a (trusted) project's .codex/config.toml files.
      return [join(machine.env.CODEX_HOME || join(home, ".codex"), "config.toml"), ...codexProjectFiles(cwd)];
    case "gemini":
      return [join(geminiHome(machine), "settings.json"), join(cwd, ".gemini", "settings.json")];
  }
}

/** A file's real path (symbolic links resolved), or null when it does not exist. */
function realFile(file: string): string | null {
  try {
    return realpathSync(file);
  } catch {
    return null;
  }
}

/**
 * The config files that exist: of one client, or of every client when `client` is null. A file
 * reached under two spellings (a symbolic link to the home folder, with the home folder as the
 * current one) is taken once, under the first.
 */
export function existingConfigs(client: ClientName | null, machine: Machine): ClientConfig[] {
  const clients = client === null ? CLIENT_NAMES : [client];
  const found: ClientConfig[] = [];
  const seen = new Set<string>();
  for (const name of clients) {
    for (const file of defaultFiles(name, machine)) {
      const real = realFile(file);
      if (real === null || seen.has(`${name}\0${real}`)) continue;
      seen.add(`${name}\0${real}`);
      found.push(configAt(name, file, machine));
    }
  }
  return found;
}
