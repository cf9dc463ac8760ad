// What a server entry of a client's config is (stdio, remote, already behind policylayer), and the
// command and args that put it behind policylayer or take it out again. Pure: no files, no processes.
import { basename } from "node:path";
import { quickWrapArguments } from "../cli/wrap-arguments.js";
import type { ClientName } from "./clients.js";

/** A command and its arguments, as a stdio entry has them. */
export interface CommandLine {
  command: string;
  args: string[];
}

/** An entry that already runs `policylayer wrap [...] [--] SERVER`. */
export interface WrappedCommand {
  /** The words up to and including `wrap` (the launcher: policylayer, or node and the CLI's path). */
  launcher: string[];
  /** The wrap options between `wrap` and the server's command (without `--`), as they stand. */
  options: string[];
  /** The value of `--policy`, or null when the built-in default policy decides. */
  policy: string | null;
  /** Whether `--` stands before the server's command (wrap also takes a server after its options without one). */
  separated: boolean;
  /** The server's own command line: after `--`, or after wrap's options. */
  server: CommandLine;
}

/** What install can do with an entry. */
export type EntryKind =
  | { kind: "remote"; transport: string }
  | {
      kind: "stdio";
      line: CommandLine;
      wrapped: WrappedCommand | null;
      /** The url key (or remote type) the entry has beside its command, when the client's documentation does not say which wins. */
      alsoRemote: string | null;
      /** The words before `wrap` of a line that looks wrapped but whose launcher is no policylayer install (then `wrapped` is null). */
      unknownLauncher: string[] | null;
    }
  | { kind: "unsupported"; reason: string };

const REMOTE_TYPES = new Set(["http", "sse", "streamable-http", "streamableHttp", "ws", "websocket"]);
const URL_KEYS = ["url", "httpUrl", "serverUrl"] as const;

/**
 * How each client picks an entry's transport, as it does itself: Claude Code (its schema: `type`
 * missing or "stdio" is a command), VS Code and Claude Desktop read `type` first, then `command`;
 * Gemini CLI takes httpUrl, then url, then command (mcp-client.ts createTransport); Codex takes an
 * entry with `command` for stdio (and refuses a `url` beside it). Cursor and Windsurf document no
 * order: an entry with both a command and a url is ambiguous there.
 */
type Precedence = "type-then-command" | "url-then-command" | "command" | "unknown";

const PRECEDENCE: Record<ClientName, Precedence> = {
  "claude-code": "type-then-command",
  "claude-desktop": "type-then-command",
  vscode: "type-then-command",
  gemini: "url-then-command",
  codex: "command",
  cursor: "unknown",
  windsurf: "unknown",
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The first url key the entry has, in `keys`' order. */
function urlKeyOf(value: Record<string, unknown>, keys: readonly string[]): string | null {
  return keys.find((key) => typeof value[key] === "string") ?? null;
}

/** The entry's `type` when it names a remote transport. */
function remoteType(value: Record<string, unknown>): string | null {
  return typeof value.type === "string" && REMOTE_TYPES.has(value.type) ? value.type : null;
}

/** The remote transport the client takes the entry for before looking at its command; null when the command decides. */
function remoteFirst(value: Record<string, unknown>, precedence: Precedence): string | null {
  if (precedence === "type-then-command") return remoteType(value);
  if (precedence === "url-then-command") return urlKeyOf(value, ["httpUrl", "url"]);
  return null;
}

/**
 * Classifies a server entry's parsed value as `client` reads it. A line that looks wrapped counts
 * as wrapped only when `isPolicylayer` says its launcher (the words up to `wrap`) is a real install.
 */
export function classifyEntry(
  value: unknown,
  client: ClientName,
  isPolicylayer: (launcher: readonly string[]) => boolean,
): EntryKind {
  if (!isRecord(value)) return { kind: "unsupported", reason: "the entry is not an object" };
  const precedence = PRECEDENCE[client];
  const remote = remoteFirst(value, precedence);
  if (remote !== null) return { kind: "remote", transport: remote };
  const command = value.command;
  if (typeof command !== "string" || command.length === 0) {
    const transport = remoteType(value) ?? urlKeyOf(value, URL_KEYS);
    if (transport !== null) return { kind: "remote", transport };
    return { kind: "unsupported", reason: "it has no command (a string) and no url" };
  }
  if (value.experimental_environment === "remote")
    return {
      kind: "unsupported",
      reason:
        'Codex may start it on a remote executor (experimental_environment = "remote"), where the policylayer of this machine is not; wrap it there by hand',
    };
  const args = value.args ?? [];
  if (!Array.isArray(args) || !args.every((arg): arg is string => typeof arg === "string"))
    return { kind: "unsupported", reason: "its args are not a list of strings" };
  const line = { command, args: [...args] };
  const type = remoteType(value);
  const alsoRemote =
    precedence === "unknown" ? (urlKeyOf(value, URL_KEYS) ?? (type === null ? null : `type ${type}`)) : null;
  const looksWrapped = parseWrapped(line);
  const ours = looksWrapped !== null && isPolicylayer(looksWrapped.launcher);
  return {
    kind: "stdio",
    line,
    wrapped: ours ? looksWrapped : null,
    alsoRemote,
    unknownLauncher: looksWrapped !== null && !ours ? looksWrapped.launcher.slice(0, -1) : null,
  };
}

const CLI_NAME = /^policylayer(\.(js|mjs|cjs|cmd|exe|ps1))?$/i;

/** The index of `wrap` when the line runs policylayer (directly, or as node + the CLI's path), else -1. */
function wrapIndex(words: readonly string[]): number {
  const [first, second, third] = words;
  if (first !== undefined && CLI_NAME.test(basename(first.replaceAll("\\", "/"))) && second === "wrap")
    return 1;
  if (second !== undefined && CLI_NAME.test(basename(second.replaceAll("\\", "/"))) && third === "wrap")
    return 2;
  return -1;
}

/** The value of the last --policy among wrap's options (either spelling), or null. */
function policyOption(options: readonly string[]): string | null {
  let policy: string | null = null;
  for (let i = 0; i < options.length; i++) {
    const option = options[i] ?? "";
    if (option === "--policy") policy = options[i + 1] ?? null;
    else if (option.startsWith("--policy=")) policy = option.slice("--policy=".length);
  }
  return policy;
}

/**
 * The parts of a `policylayer wrap [OPTIONS] [--] SERVER...` line, its options read as wrap reads
 * them (quickWrapArguments: the server starts at `--` or at the first word that is not an option);
 * a line wrap's quick path leaves to commander counts only with `--`. Null for any other line.
 */
export function parseWrapped(line: CommandLine): WrappedCommand | null {
  const words = [line.command, ...line.args];
  const wrap = wrapIndex(words);
  if (wrap === -1) return null;
  const rest = words.slice(wrap + 1);
  const quick = quickWrapArguments(["node", "policylayer", "wrap", ...rest]);
  let serverWords: string[];
  if (quick !== null) serverWords = quick.words;
  else {
    const separator = rest.indexOf("--");
    serverWords = separator === -1 ? [] : rest.slice(separator + 1);
  }
  const [serverCommand, ...serverArgs] = serverWords;
  if (serverCommand === undefined) return null;
  const before = rest.slice(0, rest.length - serverWords.length);
  const separated = before.at(-1) === "--";
  const options = separated ? before.slice(0, -1) : before;
  return {
    launcher: words.slice(0, wrap + 1),
    options,
    policy: policyOption(options),
    separated,
    server: { command: serverCommand, args: serverArgs },
  };
}

/** The line that runs `server` behind policylayer: `LAUNCHER wrap [--policy P] -- SERVER...`. */
export function wrappedLine(
  launcher: readonly string[],
  policy: string | null,
  server: CommandLine,
): CommandLine {
  const [command, ...launcherArgs] = launcher;
  if (command === undefined) throw new Error("the policylayer launcher is empty");
  const policyWords = policy === null ? [] : ["--policy", policy];
  return { command, args: [...launcherArgs, "wrap", ...policyWords, "--", server.command, ...server.args] };
}

/** An already-wrapped line with its policy changed to `policy` and every other word kept. */
export function withPolicy(wrapped: WrappedCommand, policy: string): CommandLine {
  const options: string[] = [];
  let replaced = false;
  for (let i = 0; i < wrapped.options.length; i++) {
    const option = wrapped.options[i] ?? "";
    if (option === "--policy") {
      options.push("--policy", policy);
      replaced = true;
      i++;
    } else if (option.startsWith("--policy=")) {
      options.push(`--policy=${policy}`);
      replaced = true;
    } else {
      options.push(option);
    }
  }
  if (!replaced) options.unshift("--policy", policy);
  return wrappedCommandLine({ ...wrapped, options });
}

/** The command line of a wrapped line's parts. */
export function wrappedCommandLine(wrapped: WrappedCommand): CommandLine {
  const [command, ...launcherArgs] = wrapped.launcher;
  if (command === undefined) throw new Error("the policylayer launcher is empty");
  return {
    command,
    args: [
      ...launcherArgs,
      ...wrapped.options,
      ...(wrapped.separated ? ["--"] : []),
      wrapped.server.command,
      ...wrapped.server.args,
    ],
  };
}

/** Whether two command lines are the same words. */
export function sameLine(a: CommandLine, b: CommandLine): boolean {
  return (
    a.command === b.command && a.args.length === b.args.length && a.args.every((arg, i) => arg === b.args[i])
  );
}

/** The environment a client gives a server: ours with the entry's `env` on top. */
export function entryEnv(value: unknown): NodeJS.ProcessEnv {
  const env = isRecord(value) ? value.env : undefined;
  const extra: NodeJS.ProcessEnv = {};
  if (isRecord(env)) {
    for (const [key, text] of Object.entries(env)) if (typeof text === "string") extra[key] = text;
  }
  return { ...process.env, ...extra };
}

/**
 * What the user must do for a wrapped entry that VS Code runs in its sandbox (`sandboxEnabled`):
 * policylayer writes its audit log and approvals under `stateFolder`. Null for other entries.
 */
export function sandboxNote(value: unknown, stateFolder: string): string | null {
  if (!isRecord(value) || value.sandboxEnabled !== true) return null;
  return `VS Code runs it in its sandbox (sandboxEnabled): add policylayer's state folder ${JSON.stringify(stateFolder)} to sandbox.filesystem.allowWrite, where wrap writes its audit log and approvals`;
}

/** The folder a client starts an entry's server in, when the entry says (`cwd`). */
export function entryCwd(value: unknown): string | undefined {
  const cwd = isRecord(value) ? value.cwd : undefined;
  return typeof cwd === "string" ? cwd : undefined;
}
