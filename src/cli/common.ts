// What the tools, init and check commands share: choosing the policy, and listing the server's tools.
import { profileToolList } from "../classify/profile.js";
import type { ToolProfile } from "../classify/types.js";
import { visibleField, visibleText } from "../display/visible.js";
import type { CompiledPolicy } from "../policy/types.js";
import { type ListedServer, ListToolsError, listServerTools } from "../upstream/list-tools.js";
import type { SpawnPlace } from "../upstream/server-process.js";
import type { JsonObject } from "../wire/jsonrpc.js";
import { chosenPolicyPath, loadChosenPolicy, warn } from "./policy-choice.js";

export { warn };

/** How long a server may take to start and list its tools; uvx downloads on its first run. */
const LIST_TIMEOUT_MS = 120_000;

/** Longest text from the server (an error it answered with) quoted in a message before it is cut with a marker. */
const SERVER_TEXT_CHARS = 500;

/**
 * The policy a command decides with: --policy, else $POLICYLAYER_POLICY, else the built-in default.
 * Null when the file does not validate; its errors have been printed (FILE:LINE:COL) to stderr.
 */
export function choosePolicy(flag: string | undefined): Promise<CompiledPolicy | null> {
  return loadChosenPolicy(chosenPolicyPath(flag));
}

/** A tools/list as the commands use it: the server's raw tools in order, and their profiles by name. */
export interface ServerTools extends ListedServer {
  profiles: Map<string, ToolProfile>;
  /** The command as the user typed it, for headers and messages. */
  commandLine: string;
}

/** Starts the server, lists its tools and stops it; null after printing why it failed to stderr. */
export async function listToolsOf(
  serverCommand: readonly [string, ...string[]],
  place: SpawnPlace = {},
): Promise<ServerTools | null> {
  const [command, ...args] = serverCommand;
  const commandLine = serverCommand.map(shellWord).join(" ");
  try {
    const listed = await listServerTools(command, args, { timeoutMs: LIST_TIMEOUT_MS, ...place });
    return { ...listed, profiles: profileToolList({ tools: listed.tools }), commandLine };
  } catch (error) {
    if (!(error instanceof ListToolsError)) throw error;
    // The message may quote the server (its error's code and text, a cursor): one field, cut.
    warn(
      `cannot list the tools of ${visibleText(commandLine)}: ${visibleField(error.message, SERVER_TEXT_CHARS)}`,
    );
    return null;
  }
}

/** The server's command words, or null after telling the user how to give them. */
export function requireServerCommand(
  serverCommand: string[] | null,
  example: string,
): [string, ...string[]] | null {
  const [command, ...args] = serverCommand ?? [];
  if (command === undefined || command.length === 0) {
    warn(`this command needs the server's command after --, e.g. ${example}`);
    return null;
  }
  return [command, ...args];
}

/** `name version` from an initialize result's serverInfo, or null. */
export function serverLabel(serverInfo: JsonObject | null): string | null {
  if (serverInfo === null || typeof serverInfo.name !== "string") return null;
  const version = typeof serverInfo.version === "string" ? serverInfo.version.trim() : "";
  return version === "" ? serverInfo.name : `${serverInfo.name} ${version}`;
}

/** One word of a command line, quoted for a POSIX shell where it needs to be. */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
