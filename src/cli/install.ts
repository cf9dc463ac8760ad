// `policylayer install` and `uninstall`: put a client's stdio servers behind policylayer by editing its
// config file, and take them out again exactly. The plan is shown first; a terminal user confirms it,
// and without a terminal nothing is written unless --yes is given.
import { resolve } from "node:path";
import { terminalLine, visibleText } from "../display/visible.js";
import { thisMachine } from "../install/clients.js";
import {
  ConcurrentChange,
  type ReadConfig,
  readConfig,
  replaceConfig,
  UnreadableConfig,
} from "../install/config-file.js";
import { type ConfigDocument, type ConfigEntry, ConfigParseError, EditRefused } from "../install/document.js";
import { parseDocument } from "../install/formats.js";
import { selfLauncher } from "../install/launcher.js";
import { type MachineChecks, machineChecks } from "../install/machine-checks.js";
import {
  changesFile,
  type FilePlan,
  otherProjectEntries,
  planInstall,
  planUninstall,
  type Selection,
} from "../install/plan.js";
import {
  generateStarterPolicies,
  planStarterPolicies,
  type StarterPolicies,
  writeStarterPolicies,
} from "../install/starter.js";
import { type FileState, readFileState, UnreadableState, writeFileState } from "../install/state.js";
import { checkServerNames, chooseConfigs, entryLabel, UsageError } from "../install/targets.js";
import { formatPolicyError, loadPolicyFile } from "../policy/load.js";
import { shellWord } from "./common.js";
import { confirmOnTerminal } from "./confirm.js";
import { warn } from "./policy-choice.js";

export interface InstallFlags {
  client?: string;
  config?: string;
  server?: string[];
  all?: boolean;
  policy?: string;
  init?: boolean;
  dryRun?: boolean;
  yes?: boolean;
}

type Mode = "install" | "uninstall";

/** A config file read and parsed, with policylayer's records of it. */
interface Loaded {
  read: ReadConfig;
  document: ConfigDocument;
  state: FileState;
  entries: ConfigEntry[];
  plan: FilePlan | null;
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function checkFlags(mode: Mode, flags: InstallFlags): void {
  if (flags.all === true && flags.server !== undefined)
    throw new UsageError("give either --server NAME... or --all, not both");
  if (mode === "install" && flags.init === true && flags.policy !== undefined)
    throw new UsageError("give either --policy FILE or --init, not both");
}

/** Reads and parses every chosen file; a file that cannot be read or parsed is reported and left out. */
function loadConfigs(configs: ReturnType<typeof chooseConfigs>): {
  loaded: Map<string, Loaded>;
  refused: boolean;
} {
  const loaded = new Map<string, Loaded>();
  let refused = false;
  for (const config of configs) {
    try {
      const read = readConfig(config.file);
      const document = parseDocument(config, read.text);
      const entries = document.entries(config.containers);
      loaded.set(config.file, { read, document, state: readFileState(config.file), entries, plan: null });
    } catch (error) {
      if (
        !(
          error instanceof ConfigParseError ||
          error instanceof UnreadableConfig ||
          error instanceof UnreadableState
        )
      )
        throw error;
      warn(`${error.message}; this file is left as it is`);
      refused = true;
    }
  }
  return { loaded, refused };
}

function printPlan(plan: FilePlan): void {
  say(`${visibleText(plan.config.file)} (${plan.config.client}):`);
  if (plan.reports.length === 0) say("  no servers");
  for (const report of plan.reports) {
    say(`  ${entryLabel(report)}: ${visibleText(report.detail)}`);
    if (report.warning !== null)
      warn(`${visibleText(plan.config.file)}: ${entryLabel(report)}: ${visibleText(report.warning)}`);
  }
}

/** Writes one file's plan: records before the file on install (so a wrapped entry always has its original kept), after it on uninstall. */
function applyPlan(mode: Mode, loaded: Loaded, plan: FilePlan): string {
  if (mode === "install") {
    writeFileState(plan.state);
    try {
      return replaceConfig(loaded.read, plan.newText);
    } catch (error) {
      writeFileState(loaded.state);
      throw error;
    }
  }
  const backup = replaceConfig(loaded.read, plan.newText);
  try {
    writeFileState(plan.state);
  } catch (error) {
    // The file is restored: the records left of its entries are taken for hand edits by the next install or uninstall.
    warn(
      `${visibleText(loaded.read.path)} was restored, but policylayer's record of it could not be updated: ${visibleText((error as Error).message)}`,
    );
  }
  return backup;
}

/** A unified diff made safe for a terminal: every line through visibleText, its line breaks (a CR before one too) and tabs kept. */
function visibleDiff(patch: string): string {
  return patch
    .split("\n")
    .map((line) => {
      const lineEnd = line.endsWith("\r") ? "\r" : "";
      const body = lineEnd === "" ? line : line.slice(0, -1);
      return body.split("\t").map(visibleText).join("\t") + lineEnd;
    })
    .join("\n");
}

async function printDiffs(plans: FilePlan[]): Promise<void> {
  const { createTwoFilesPatch } = await import("diff");
  for (const plan of plans) {
    const patch = createTwoFilesPatch(
      plan.config.file,
      plan.config.file,
      plan.oldText,
      plan.newText,
      "",
      "",
      {
        context: 3,
      },
    );
    process.stdout.write(visibleDiff(patch));
  }
}

/** The policy every chosen entry gets with --policy: its absolute path, after checking that it validates. */
async function checkedPolicy(flag: string): Promise<string | null> {
  const path = resolve(flag);
  const loaded = await loadPolicyFile(path);
  if (loaded.ok) return path;
  warn(`the policy ${path} does not validate, so no server is wrapped with it:`);
  for (const error of loaded.errors) process.stderr.write(`${terminalLine(formatPolicyError(error))}\n`);
  return null;
}

/** What every file's plan is made from. */
interface Planning {
  mode: Mode;
  flags: InstallFlags;
  configs: ReturnType<typeof chooseConfigs>;
  selection: Selection;
  policy: string | null;
  checks: MachineChecks;
  now: Date;
}

/** Plans every loaded file and prints each plan; false when one was refused. */
function planFiles(
  planning: Planning,
  loaded: Map<string, Loaded>,
  starters: StarterPolicies | null,
): boolean {
  const { mode, flags, selection, policy, checks, now } = planning;
  const launcher = selfLauncher();
  let ok = true;
  for (const [file, entry] of loaded) {
    const config = configOf(planning.configs, entry);
    entry.plan = null;
    try {
      entry.plan =
        mode === "install"
          ? planInstall(
              config,
              entry.document,
              entry.state,
              selection,
              launcher,
              (server) => starters?.choiceFor(file, server) ?? { policy, given: policy !== null },
              checks,
              now,
            )
          : planUninstall(config, entry.document, entry.state, selection);
    } catch (error) {
      if (!(error instanceof EditRefused || error instanceof ConfigParseError)) throw error;
      warn(`${error.message}`);
      ok = false;
      continue;
    }
    printPlan(entry.plan);
    // A server asked for by name that cannot be changed (or, for install, wrapped: a remote one) is a refusal.
    const refusals = mode === "install" ? ["unsupported", "remote"] : ["unsupported"];
    if (flags.server !== undefined && entry.plan.reports.some((report) => refusals.includes(report.outcome)))
      ok = false;
  }
  return ok;
}

/** The loaded files whose plan changes them. */
function changingFiles(loaded: Map<string, Loaded>): (Loaded & { plan: FilePlan })[] {
  return [...loaded.values()].filter(
    (entry): entry is Loaded & { plan: FilePlan } => entry.plan !== null && changesFile(entry.plan),
  );
}

async function run(mode: Mode, flags: InstallFlags): Promise<number> {
  checkFlags(mode, flags);
  const machine = thisMachine();
  const configs = chooseConfigs(flags, machine);
  if (configs.length === 0) {
    say("no MCP client config file found; name one with --client NAME --config FILE");
    return 0;
  }
  if (flags.config === undefined) {
    say(`considering ${configs.length} config file${configs.length === 1 ? "" : "s"}:`);
    for (const config of configs) say(`  ${config.client.padEnd(14)} ${visibleText(config.file)}`);
  }
  let policy: string | null = null;
  if (mode === "install" && flags.policy !== undefined) {
    policy = await checkedPolicy(flags.policy);
    if (policy === null) return 1;
  }
  const { loaded, refused: unreadable } = loadConfigs(configs);
  let refused = unreadable;
  const selection: Selection = flags.server === undefined ? "all" : { names: new Set(flags.server) };
  if (flags.server !== undefined)
    checkServerNames(
      flags.server,
      [...loaded.values()].flatMap((file) => file.entries),
      configs.map((config) => config.file),
      configs.flatMap((config) => {
        const file = loaded.get(config.file);
        return file === undefined ? [] : otherProjectEntries(config, file.document);
      }),
    );
  const checks = machineChecks(machine);
  let starters: StarterPolicies | null = null;
  if (mode === "install" && flags.init === true) {
    // Only the paths: no server is started before the plan is shown and confirmed.
    starters = await planStarterPolicies(
      [...loaded.values()].map((file) => ({ config: configOf(configs, file), entries: file.entries })),
      selection,
      checks,
    );
    if (starters.refused) refused = true;
  }
  const planning: Planning = { mode, flags, configs, selection, policy, checks, now: new Date() };
  if (!planFiles(planning, loaded, starters)) refused = true;
  let changing = changingFiles(loaded);
  if (changing.length === 0) {
    say("nothing to change");
    return refused ? 1 : 0;
  }
  const toStart = starters?.toGenerate ?? [];
  if (toStart.length > 0) {
    say("to write the starter policies, --init starts these servers once to read their tools:");
    for (const item of toStart)
      say(
        `  ${visibleText([item.server.command, ...item.server.args].map(shellWord).join(" "))} (for ${visibleText(item.path)})`,
      );
  }
  if (flags.dryRun === true) {
    await printDiffs(changing.map((entry) => entry.plan));
    say(`dry run: nothing was written${toStart.length > 0 ? " and no server was started" : ""}`);
    return refused ? 1 : 0;
  }
  if (flags.yes !== true) {
    if (!(process.stdin.isTTY && process.stdout.isTTY)) {
      warn(
        `no terminal to confirm on, so nothing was ${toStart.length > 0 ? "started or " : ""}written; pass --yes to ${mode} without asking, or --dry-run to see the changes`,
      );
      return 2;
    }
    const files = changing.length === 1 ? "this file" : `these ${changing.length} files`;
    const servers = toStart.length === 1 ? "the server" : `the ${toStart.length} servers`;
    const verb =
      mode === "uninstall"
        ? "Restore"
        : toStart.length > 0
          ? `Start ${servers} named above, then wrap`
          : "Wrap";
    if (!(await confirmOnTerminal(`${verb} the servers above and write ${files}? [y/N] `, process.stdout))) {
      say(`nothing was ${toStart.length > 0 ? "started or " : ""}written`);
      return refused ? 1 : 0;
    }
  }
  if (starters !== null && toStart.length > 0) {
    starters = await generateStarterPolicies(starters);
    if (starters.refused) {
      refused = true;
      // An entry whose server could not be listed is not wrapped: plan again with it refused.
      say("not every starter policy could be made; the plan is now:");
      if (!planFiles(planning, loaded, starters)) refused = true;
      changing = changingFiles(loaded);
    }
  }
  if (starters !== null && !writeStarterPolicies(starters)) refused = true;
  let written = 0;
  for (const entry of changing) {
    try {
      const backup = applyPlan(mode, entry, entry.plan);
      say(`wrote ${visibleText(entry.plan.config.file)} (the previous version is in ${visibleText(backup)})`);
      written++;
    } catch (error) {
      // A concurrent change, a full disk, a state folder we may not write: this file stays as it was.
      warn(
        error instanceof ConcurrentChange
          ? error.message
          : `cannot write ${visibleText(entry.plan.config.file)}: ${visibleText((error as Error).message)}; it is left as it was`,
      );
      refused = true;
    }
  }
  const clients = [...new Set(changing.map((entry) => entry.plan.config.client))];
  if (written > 0) say(`restart ${clients.join(", ")} to use the changed servers`);
  return refused ? 1 : 0;
}

function configOf(
  configs: ReturnType<typeof chooseConfigs>,
  loaded: Loaded,
): ReturnType<typeof chooseConfigs>[number] {
  const config = configs.find((candidate) => candidate.file === loaded.read.path);
  if (config === undefined) throw new Error(`no config for ${loaded.read.path}`);
  return config;
}

async function guarded(mode: Mode, flags: InstallFlags): Promise<number> {
  try {
    return await run(mode, flags);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    warn(error.message);
    return 2;
  }
}

/** `policylayer install`: wraps the chosen servers of the chosen client configs. */
export function installCommand(flags: InstallFlags): Promise<number> {
  return guarded("install", flags);
}

/** `policylayer uninstall`: restores the chosen wrapped servers exactly as they were. */
export function uninstallCommand(flags: InstallFlags): Promise<number> {
  return guarded("uninstall", flags);
}
