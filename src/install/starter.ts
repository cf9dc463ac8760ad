// install --init: a starter policy per server, written by `policylayer init`'s generator from the
// server's live tool list, to policies/CLIENT-SERVER.yaml under policylayer's config folder. A policy
// file already there is kept (it may hold the user's edits) when it validates. Planning starts
// nothing: the servers are started only by generateStarterPolicies, after the user confirmed.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { errorCode } from "../approval/files.js";
import { listToolsOf } from "../cli/common.js";
import { starterPolicy } from "../cli/init.js";
import { warn } from "../cli/policy-choice.js";
import { terminalLine, visibleText } from "../display/visible.js";
import { formatPolicyError, loadPolicyFile, parsePolicy } from "../policy/load.js";
import type { ClientConfig } from "./clients.js";
import type { ConfigEntry } from "./document.js";
import { type CommandLine, entryCwd, entryEnv, sameLine } from "./entry.js";
import type { MachineChecks } from "./machine-checks.js";
import { classifyOnMachine, type PolicyChoice, type Selection } from "./plan.js";
import { entryLabel } from "./targets.js";

/** A starter policy still to generate: the server started to read its tools, and where the policy goes. */
export interface StarterToGenerate {
  path: string;
  server: CommandLine;
  env: NodeJS.ProcessEnv;
  cwd: string | undefined;
  /** The entries (`file\0key`) that get this policy. */
  keys: string[];
}

/** The starter policies of one install run: the choice per entry, the servers to start, the files to write. */
export interface StarterPolicies {
  refused: boolean;
  choiceFor(file: string, entry: ConfigEntry): PolicyChoice;
  toGenerate: StarterToGenerate[];
  pending: { path: string; text: string }[];
}

/** policylayer's config folder: $XDG_CONFIG_HOME/policylayer, else ~/.config/policylayer (on every OS). */
export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CONFIG_HOME || join(homedir(), ".config"), "policylayer");
}

/**
 * policies/CLIENT-SERVER.yaml, with characters a file name should not have replaced by _; with
 * `distinct` (a config file and entry key), CLIENT-SERVER-HASH.yaml, for a second server whose
 * name comes out the same.
 */
export function starterPolicyPath(
  client: string,
  server: string,
  env: NodeJS.ProcessEnv = process.env,
  distinct: string | null = null,
): string {
  const safe = server.replace(/[^A-Za-z0-9._-]/g, "_").replace(/^\.+/, "_");
  const suffix =
    distinct === null ? "" : `-${createHash("sha256").update(distinct).digest("hex").slice(0, 8)}`;
  return join(configDir(env), "policies", `${client}-${safe}${suffix}.yaml`);
}

/**
 * Finds the starter policy of every chosen stdio entry, or names the one to generate, starting
 * nothing. Two entries whose paths come out the same (one name in the user's and the project's
 * file, or names that differ only in characters replaced by _) share the file only when they run
 * the same command line; otherwise the later one gets a path of its own.
 */
export async function planStarterPolicies(
  files: { config: ClientConfig; entries: ConfigEntry[] }[],
  selection: Selection,
  checks: MachineChecks,
): Promise<StarterPolicies> {
  const choices = new Map<string, PolicyChoice>();
  const toGenerate: StarterToGenerate[] = [];
  const claimed = new Map<string, CommandLine>();
  let refused = false;
  for (const { config, entries } of files) {
    for (const entry of entries) {
      const kind = classifyOnMachine(entry, config, checks);
      if (kind.kind !== "stdio") continue;
      const server = kind.wrapped?.server ?? kind.line;
      const key = `${config.file}\0${entry.key}`;
      let path = starterPolicyPath(config.client, entry.name);
      const owner = claimed.get(path);
      if (owner !== undefined && !sameLine(owner, server))
        path = starterPolicyPath(config.client, entry.name, process.env, key);
      if (!claimed.has(path)) claimed.set(path, server);
      // Paths are claimed by every entry, chosen or not, so that --server never changes which file is whose.
      if (selection !== "all" && !selection.names.has(entry.name)) continue;
      const existing = existsSync(path) ? await loadPolicyFile(path) : null;
      if (existing !== null && !existing.ok) {
        warn(`the starter policy ${path} for ${entryLabel(entry)} does not validate; fix it or remove it:`);
        for (const error of existing.errors)
          process.stderr.write(`${terminalLine(formatPolicyError(error))}\n`);
        choices.set(key, { refusal: `its policy ${path} does not validate` });
        refused = true;
        continue;
      }
      choices.set(key, { policy: path, given: true });
      if (existing !== null) continue;
      const shared = toGenerate.find((item) => item.path === path);
      if (shared !== undefined) shared.keys.push(key);
      else
        toGenerate.push({
          path,
          server,
          env: entryEnv(entry.value),
          cwd: entryCwd(entry.value),
          keys: [key],
        });
    }
  }
  return {
    refused,
    toGenerate,
    pending: [],
    choiceFor: (file, entry) => choices.get(`${file}\0${entry.key}`) ?? { policy: null, given: false },
  };
}

/**
 * Starts each server still without a starter policy, reads its tools and generates the policy
 * text; an entry whose server could not be listed is refused. Returns the updated starters.
 */
export async function generateStarterPolicies(starters: StarterPolicies): Promise<StarterPolicies> {
  const refusals = new Map<string, PolicyChoice>();
  const pending: { path: string; text: string }[] = [];
  let refused = starters.refused;
  for (const item of starters.toGenerate) {
    const listed = await listToolsOf([item.server.command, ...item.server.args], {
      env: item.env,
      cwd: item.cwd,
    });
    let refusal: string | null = null;
    if (listed === null) refusal = "its tools could not be listed for a starter policy (see above)";
    else {
      const text = starterPolicy(listed, item.path);
      if (parsePolicy(text, item.path).ok) pending.push({ path: item.path, text });
      else refusal = "its starter policy does not validate (a bug in policylayer init)";
    }
    if (refusal === null) continue;
    refused = true;
    for (const key of item.keys) refusals.set(key, { refusal });
  }
  return {
    refused,
    toGenerate: [],
    pending,
    choiceFor: (file, entry) => refusals.get(`${file}\0${entry.key}`) ?? starters.choiceFor(file, entry),
  };
}

/** Writes the generated starter policies (never over an existing file); false when one could not be written. */
export function writeStarterPolicies(starters: StarterPolicies): boolean {
  let ok = true;
  for (const { path, text } of starters.pending) {
    try {
      mkdirSync(join(path, ".."), { recursive: true });
      writeFileSync(path, text, { flag: "wx" });
      process.stdout.write(`wrote the starter policy ${visibleText(path)}\n`);
    } catch (error) {
      if (errorCode(error) === "EEXIST") continue;
      warn(`cannot write ${path}: ${(error as Error).message}`);
      ok = false;
    }
  }
  return ok;
}
