// What install and status ask of this machine about an entry, where its client starts it: whether
// its command is found, and whether the launcher of a line that says `wrap` is a real policylayer.
import { resolve } from "node:path";
import type { Machine } from "./clients.js";
import { commandFound } from "./command-lookup.js";
import type { ConfigEntry } from "./document.js";
import { type CommandLine, entryCwd, entryEnv } from "./entry.js";
import { isPolicylayerLauncher, type StartPlace, selfLauncher } from "./launcher.js";

/** The machine's answers about an entry, passed to the plans so that tests can choose. */
export interface MachineChecks {
  /** Whether the server's command is found where the client starts it. */
  commandFound(entry: ConfigEntry, line: CommandLine): boolean;
  /** Whether the words up to `wrap` in the entry start a real policylayer install. */
  isPolicylayer(entry: ConfigEntry, launcher: readonly string[]): boolean;
}

/** Where the client starts the entry's server: its `cwd` (relative to ours), with its `env` over ours. */
function startPlace(entry: ConfigEntry, machine: Machine): StartPlace {
  return {
    cwd: resolve(machine.cwd, entryCwd(entry.value) ?? "."),
    env: entryEnv(entry.value),
    home: machine.home,
  };
}

/** The checks made on this machine. */
export function machineChecks(machine: Machine): MachineChecks {
  const self = selfLauncher();
  return {
    commandFound: (entry, line) => commandFound(line.command, startPlace(entry, machine).cwd),
    isPolicylayer: (entry, launcher) => isPolicylayerLauncher(launcher, startPlace(entry, machine), self),
  };
}
