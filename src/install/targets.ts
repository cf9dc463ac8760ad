// Which config files a command works on, from --client and --config; and how entries are named to a person.
import { existsSync } from "node:fs";
import { visibleText } from "../display/visible.js";
import {
  CLIENT_NAMES,
  type ClientConfig,
  configAt,
  existingConfigs,
  type Machine,
  parseClientName,
} from "./clients.js";
import type { ConfigEntry } from "./document.js";

/** A usage error: the command line asks for something that cannot be; exit code 2. */
export class UsageError extends Error {}

/** The config files named by --client and --config, or every existing client config. */
export function chooseConfigs(flags: { client?: string; config?: string }, machine: Machine): ClientConfig[] {
  const client = flags.client === undefined ? null : parseClientName(flags.client);
  if (flags.client !== undefined && client === null)
    throw new UsageError(
      `--client must be one of ${CLIENT_NAMES.join(", ")}; got ${JSON.stringify(flags.client)}`,
    );
  if (flags.config !== undefined) {
    if (client === null)
      throw new UsageError(
        `--config needs --client to say the file's format (one of ${CLIENT_NAMES.join(", ")})`,
      );
    const config = configAt(client, flags.config, machine);
    if (!existsSync(config.file)) throw new UsageError(`--config: ${config.file} does not exist`);
    return [config];
  }
  return existingConfigs(client, machine);
}

/** An entry's name for output, with its scope when it has one, made visible (display's visibleText). */
export function entryLabel(entry: { name: string; scope: string | null }): string {
  return entry.scope === null
    ? visibleText(entry.name)
    : `${visibleText(entry.name)} (${visibleText(entry.scope)})`;
}

/**
 * The entries a --server list names, checked: every name must be in at least one of the files.
 * `elsewhere`: entries of those files this run does not consider (another project's local scope),
 * so that a name found only there is said to be there, with the folder to run in, not to be missing.
 */
export function checkServerNames(
  names: readonly string[],
  entries: readonly ConfigEntry[],
  files: readonly string[],
  elsewhere: ReadonlyArray<{ project: string; entry: ConfigEntry }> = [],
): void {
  const known = new Set(entries.map((entry) => entry.name));
  const missing = names.filter((name) => !known.has(name));
  if (missing.length === 0) return;
  const said = missing.map((name) => {
    const projects = [
      ...new Set(elsewhere.filter((other) => other.entry.name === name).map((other) => other.project)),
    ];
    const quoted = JSON.stringify(visibleText(name));
    if (projects.length === 0)
      return `no server named ${quoted} in ${files.join(", ") || "any client config"}`;
    return `the server ${quoted} is only in the local scope of the project${projects.length === 1 ? "" : "s"} ${projects.map((project) => visibleText(project)).join(", ")}; run this in that folder`;
  });
  throw new UsageError(said.join("; "));
}
