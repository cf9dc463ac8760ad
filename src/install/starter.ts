// install --init: a starter policy per server, written by `policylayer init`'s generator from the
// server's live tool list, to policies/CLIENT-SERVER.yaml under policylayer's config folder. A policy
// file already there is kept (it may hold the user's edits) when it validates.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { errorCode } from "../approval/files.js";
import { listToolsOf } from "../cli/common.js";
import { starterPolicy } from "../cli/init.js";
import { warn } from "../cli/policy-choice.js";
import { formatPolicyError, loadPolicyFile, parsePolicy } from "../policy/load.js";
import type { ClientConfig } from "./clients.js";
import type { ConfigEntry } from "./document.js";
import { entryCwd, entryEnv } from "./entry.js";
import type { MachineChecks } from "./machine-checks.js";
import { classifyOnMachine, type PolicyChoice, type Selection } from "./plan.js";
import { entryLabel } from "./targets.js";

/** The starter policies of one install run: the choice per entry, and the files still to write. */
export interface StarterPolicies {
  refused: boolean;
  choiceFor(file: string, entry: ConfigEntry): PolicyChoice;
  pending: { path: string; text: string }[];
}

/** policylayer's config folder: $XDG_CONFIG_HOME/policylayer, else ~/.config/policylayer (on every OS). */
export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CONFIG_HOME || join(homedir(), ".config"), "policylayer");
}

/** policies/CLIENT-SERVER.yaml, with characters a file name should not have replaced by _. */
export function starterPolicyPath(
  client: string,
  server: string,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const safe = server.replace(/[^A-Za-z0-9._-]/g, "_").replace(/^\.+/, "_");
  return join(configDir(env), "policies", `${client}-${safe}.yaml`);
}

/**
 * Finds or generates the starter policy of every chosen stdio entry. With `dryRun` nothing is started
 * or written: the paths are only named. Generated texts are written later by writeStarterPolicies.
 */
export async function prepareStarterPolicies(
  files: { config: ClientConfig; entries: ConfigEntry[] }[],
  selection: Selection,
  checks: MachineChecks,
  dryRun: boolean,
): Promise<StarterPolicies> {
  const choices = new Map<string, PolicyChoice>();
  const pending: { path: string; text: string }[] = [];
  let refused = false;
  for (const { config, entries } of files) {
    for (const entry of entries) {
      if (selection !== "all" && !selection.names.has(entry.name)) continue;
      const kind = classifyOnMachine(entry, config, checks);
      if (kind.kind !== "stdio") continue;
      const server = kind.wrapped?.server ?? kind.line;
      const path = starterPolicyPath(config.client, entry.name);
      const key = `${config.file}\0${entry.key}`;
      const existing = existsSync(path) ? await loadPolicyFile(path) : null;
      if (existing?.ok === true) {
        choices.set(key, { policy: path, given: true });
        continue;
      }
      if (existing !== null && !existing.ok) {
        warn(`the starter policy ${path} for ${entryLabel(entry)} does not validate; fix it or remove it:`);
        for (const error of existing.errors) process.stderr.write(`${formatPolicyError(error)}\n`);
        choices.set(key, { refusal: `its policy ${path} does not validate` });
        refused = true;
        continue;
      }
      if (dryRun || pending.some((file) => file.path === path)) {
        choices.set(key, { policy: path, given: true });
        continue;
      }
      const listed = await listToolsOf([server.command, ...server.args], {
        env: entryEnv(entry.value),
        cwd: entryCwd(entry.value),
      });
      if (listed === null) {
        choices.set(key, { refusal: "its tools could not be listed for a starter policy (see above)" });
        refused = true;
        continue;
      }
      const text = starterPolicy(listed, path);
      const check = parsePolicy(text, path);
      if (!check.ok) {
        choices.set(key, { refusal: "its starter policy does not validate (a bug in policylayer init)" });
        refused = true;
        continue;
      }
      pending.push({ path, text });
      choices.set(key, { policy: path, given: true });
    }
  }
  return {
    refused,
    pending,
    choiceFor: (file, entry) => choices.get(`${file}\0${entry.key}`) ?? { policy: null, given: false },
  };
}

/** Writes the generated starter policies (never over an existing file); false when one could not be written. */
export function writeStarterPolicies(starters: StarterPolicies): boolean {
  let ok = true;
  for (const { path, text } of starters.pending) {
    try {
      mkdirSync(join(path, ".."), { recursive: true });
      writeFileSync(path, text, { flag: "wx" });
      process.stdout.write(`wrote the starter policy ${path}\n`);
    } catch (error) {
      if (errorCode(error) === "EEXIST") continue;
      warn(`cannot write ${path}: ${(error as Error).message}`);
      ok = false;
    }
  }
  return ok;
}
