// The original text of every entry install wrapped, kept in policylayer's state folder (keyed by
// file and entry), so that the entry itself carries no marker and uninstall can restore it exactly.
import { createHash, randomBytes } from "node:crypto";
import { renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ensurePrivateDir, readTrustedText, UntrustedFileError } from "../approval/files.js";
import { stateDir } from "../state/paths.js";
import type { CommandLine } from "./entry.js";

/** What install remembers of one entry it wrapped. */
export interface InstalledEntry {
  name: string;
  /** The entry's text before install, exactly. */
  original: string;
  /** The entry's text as install wrote it. */
  installed: string;
  /** The entry's parsed value as install wrote it (JSON), to tell a hand edit from a reformatting. */
  installedValue: unknown;
  /** The server's command line before install. */
  originalLine: CommandLine;
  installedAt: string;
}

/** Everything install remembers of one config file. */
export interface FileState {
  version: 1;
  file: string;
  entries: Record<string, InstalledEntry>;
}

/** The folder of install's records under the state folder. */
function recordsDir(env: NodeJS.ProcessEnv): string {
  return join(stateDir(env), "install");
}

/** The record file of a config file: named by a hash of its absolute path. */
export function statePath(file: string, env: NodeJS.ProcessEnv = process.env): string {
  const hash = createHash("sha256").update(file).digest("hex").slice(0, 32);
  return join(recordsDir(env), `${hash}.json`);
}

function isInstalledEntry(value: unknown): value is InstalledEntry {
  if (typeof value !== "object" || value === null) return false;
  const entry = value as Record<string, unknown>;
  const line = entry.originalLine as Record<string, unknown> | undefined;
  return (
    typeof entry.name === "string" &&
    typeof entry.original === "string" &&
    typeof entry.installed === "string" &&
    typeof line === "object" &&
    line !== null &&
    typeof line.command === "string" &&
    Array.isArray(line.args) &&
    line.args.every((arg) => typeof arg === "string")
  );
}

/** A record file that cannot be read or does not hold records: names the file and what to do. */
export class UnreadableState extends Error {}

/**
 * The records of a config file (none when install never wrapped anything in it); throws
 * UnreadableState, also for a record that is a link, not yours or writable by others: uninstall
 * writes its original entry back, so whoever could have written it would choose what the client runs.
 */
export function readFileState(file: string, env: NodeJS.ProcessEnv = process.env): FileState {
  const path = statePath(file, env);
  let text: string | null;
  try {
    text = readTrustedText(path);
  } catch (error) {
    if (error instanceof UntrustedFileError)
      throw new UnreadableState(`${error.message}; move it away to continue`);
    throw new UnreadableState(
      `cannot read ${path} (policylayer's record of ${file}): ${(error as Error).message}`,
    );
  }
  if (text === null) return { version: 1, file, entries: {} };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UnreadableState(
      `${path} (policylayer's record of ${file}) is not JSON; move it away to continue`,
    );
  }
  const entries: Record<string, InstalledEntry> = {};
  const raw =
    typeof parsed === "object" && parsed !== null ? (parsed as { entries?: unknown }).entries : undefined;
  if (typeof raw !== "object" || raw === null)
    throw new UnreadableState(
      `${path} (policylayer's record of ${file}) has no entries; move it away to continue`,
    );
  for (const [key, value] of Object.entries(raw)) {
    if (!isInstalledEntry(value))
      throw new UnreadableState(
        `${path}: the record of ${key} is incomplete; move the file away to continue`,
      );
    entries[key] = value;
  }
  return { version: 1, file, entries };
}

/** Writes a config file's records atomically (0600 in a 0700 folder); removes the file when none are left. */
export function writeFileState(state: FileState, env: NodeJS.ProcessEnv = process.env): void {
  const path = statePath(state.file, env);
  if (Object.keys(state.entries).length === 0) {
    rmSync(path, { force: true });
    return;
  }
  ensurePrivateDir(recordsDir(env));
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600, flag: "wx" });
  renameSync(tmp, path);
}
