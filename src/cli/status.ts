// `policylayer status`: for each client config, each server: wrapped or not, with which policy and
// whether it validates, whether its command is found, and which entries are remote.
import { resolve } from "node:path";
import { terminalSafeJson, visibleText } from "../display/visible.js";
import { thisMachine } from "../install/clients.js";
import { readConfig, UnreadableConfig } from "../install/config-file.js";
import { ConfigParseError } from "../install/document.js";
import { parseDocument } from "../install/formats.js";
import { type MachineChecks, machineChecks } from "../install/machine-checks.js";
import { classifyOnMachine } from "../install/plan.js";
import { readFileState, UnreadableState } from "../install/state.js";
import { chooseConfigs, entryLabel, UsageError } from "../install/targets.js";
import { loadPolicyFile } from "../policy/load.js";
import { warn } from "./policy-choice.js";

/** One server's row of `status --json`. */
export interface ServerStatus {
  name: string;
  scope: string | null;
  wrapped: boolean;
  remote: boolean;
  /** The policy file, "built-in default" when wrapped without one, null when not wrapped. */
  policy: string | null;
  policy_valid: boolean | null;
  /** Whether the server's own command is found on this machine (null for remote entries). */
  command_found: boolean | null;
  /** Whether the command that runs policylayer is found (null when not wrapped). */
  launcher_found: boolean | null;
  /** Whether policylayer keeps the entry's original text for uninstall. */
  original_kept: boolean;
  transport: string;
  note: string | null;
}

export interface ConfigStatus {
  client: string;
  file: string;
  error: string | null;
  servers: ServerStatus[];
}

const DEFAULT_POLICY = "built-in default";

async function policyValid(path: string, cwd: string): Promise<boolean> {
  const loaded = await loadPolicyFile(resolve(cwd, path));
  return loaded.ok;
}

async function statusOf(
  config: ReturnType<typeof chooseConfigs>[number],
  cwd: string,
  checks: MachineChecks,
): Promise<ConfigStatus> {
  const out: ConfigStatus = { client: config.client, file: config.file, error: null, servers: [] };
  let entries: ReturnType<ReturnType<typeof parseDocument>["entries"]>;
  let state: ReturnType<typeof readFileState>;
  try {
    const read = readConfig(config.file);
    entries = parseDocument(config, read.text).entries(config.containers);
    state = readFileState(config.file);
  } catch (error) {
    if (
      !(
        error instanceof ConfigParseError ||
        error instanceof UnreadableConfig ||
        error instanceof UnreadableState
      )
    )
      throw error;
    out.error = error.message;
    return out;
  }
  for (const entry of entries) {
    const kind = classifyOnMachine(entry, config, checks);
    const row: ServerStatus = {
      name: entry.name,
      scope: entry.scope,
      wrapped: false,
      remote: kind.kind === "remote",
      policy: null,
      policy_valid: null,
      command_found: null,
      launcher_found: null,
      original_kept: state.entries[entry.key] !== undefined,
      transport: kind.kind === "remote" ? kind.transport : "stdio",
      note: kind.kind === "unsupported" ? kind.reason : null,
    };
    if (kind.kind === "stdio") {
      const wrapped = kind.wrapped;
      const server = wrapped?.server ?? kind.line;
      row.command_found = checks.commandFound(entry, server);
      if (wrapped !== null) {
        row.wrapped = true;
        row.policy = wrapped.policy ?? DEFAULT_POLICY;
        row.policy_valid = wrapped.policy === null ? true : await policyValid(wrapped.policy, cwd);
        row.launcher_found = true;
      } else if (kind.unknownLauncher !== null) {
        // `... wrap` run by something that is no policylayer install: not protected.
        row.launcher_found = false;
        row.note = `it runs ${kind.unknownLauncher.join(" ")} wrap, which is not a policylayer install: not protected; policylayer install wraps it`;
      }
    }
    out.servers.push(row);
  }
  return out;
}

function yesNo(value: boolean | null, yes: string, no: string): string {
  return value === null ? "" : value ? yes : no;
}

function printHuman(configs: ConfigStatus[]): void {
  for (const config of configs) {
    process.stdout.write(`${visibleText(config.file)} (${config.client}):\n`);
    if (config.error !== null) {
      process.stdout.write(`  cannot read it: ${visibleText(config.error)}\n`);
      continue;
    }
    if (config.servers.length === 0) process.stdout.write("  no servers\n");
    for (const server of config.servers) {
      const parts: string[] = [];
      if (server.remote) parts.push(`remote (${visibleText(server.transport)}): not wrapped`);
      else if (server.launcher_found === false) parts.push(`not wrapped: ${visibleText(server.note ?? "")}`);
      else if (server.note !== null)
        parts.push(`not a stdio entry install can wrap: ${visibleText(server.note)}`);
      else if (server.wrapped) {
        parts.push(
          `wrapped, policy ${visibleText(server.policy ?? "")}${yesNo(server.policy_valid, "", " (does not validate!)")}`,
        );
      } else parts.push("not wrapped");
      if (server.command_found === false) parts.push("command not found on PATH");
      process.stdout.write(`  ${entryLabel(server)}: ${parts.join("; ")}\n`);
    }
  }
}

/** `policylayer status`: prints each config's servers; exits 1 when a config cannot be read or parsed. */
export async function statusCommand(flags: {
  client?: string;
  config?: string;
  json?: boolean;
}): Promise<number> {
  const machine = thisMachine();
  let configs: ReturnType<typeof chooseConfigs>;
  try {
    configs = chooseConfigs(flags, machine);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    warn(error.message);
    return 2;
  }
  const statuses: ConfigStatus[] = [];
  const checks = machineChecks(machine);
  for (const config of configs) statuses.push(await statusOf(config, machine.cwd, checks));
  if (flags.json === true)
    process.stdout.write(`${terminalSafeJson(JSON.stringify({ configs: statuses }, null, 2))}\n`);
  else if (statuses.length === 0)
    process.stdout.write("no MCP client config file found; name one with --client NAME --config FILE\n");
  else printHuman(statuses);
  return statuses.some((status) => status.error !== null) ? 1 : 0;
}
