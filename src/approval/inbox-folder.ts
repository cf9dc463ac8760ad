import { randomBytes } from "node:crypto";
import { lstatSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type InboxPaths, inboxPaths } from "../state/paths.js";
import {
  appendTrusted,
  ensurePrivateDir,
  errorMessage,
  listNames,
  readJsonFile,
  readTrustedText,
  UntrustedFileError,
} from "./files.js";
import { assertNoOtherWriter } from "./folder-trust.js";
import {
  type DecisionRecord,
  type PendingRecord,
  parseDecisionRecord,
  type RecentDecision,
} from "./records.js";

// The approval inbox's shared folder: what both sides (the waiting wrap, the answering CLI and page) need.

/** Decision files are kept this long after the call, so a second answer hears "already decided". */
export const KEEP_DECISIONS_MS = 24 * 60 * 60 * 1000;
/**
 * A withdrawal is kept this long past its call's expiry: until then a late answer hears "expired";
 * after it the id is unknown, and no pending entry is left to answer. Not a day: an agent that
 * asks and cancels at once would otherwise leave a file per question.
 */
export const KEEP_WITHDRAWN_AFTER_EXPIRY_MS = 5 * 60 * 1000;
/** A pending entry this long past its expiry is stale even when its pid cannot be checked (another host). */
export const STALE_AFTER_EXPIRY_MS = 60 * 60 * 1000;
/** recent.jsonl is trimmed to RECENT_KEEP_LINES once it grows past this. */
const RECENT_MAX_BYTES = 256 * 1024;
const RECENT_KEEP_LINES = 200;

/**
 * Creates (0700) or checks the inbox's folders, and checks that no other user can write the state
 * directory or a folder above it; throws an error that names the folder and the fix.
 */
export function prepareInbox(dir: string): InboxPaths {
  const paths = inboxPaths(dir);
  for (const folder of [paths.root, paths.pending, paths.decisions, paths.tmp]) {
    try {
      ensurePrivateDir(folder);
    } catch (error) {
      throw unusable(folder, error);
    }
  }
  try {
    assertNoOtherWriter(dir);
  } catch (error) {
    throw unusable(dir, error);
  }
  return paths;
}

function unusable(folder: string, error: unknown): Error {
  return new Error(
    `approval inbox: cannot use ${folder}: ${errorMessage(error)}; set POLICYLAYER_STATE_DIR to a folder of your own that you can write, or fix this one's owner and permissions`,
  );
}

/** Removes decisions older than a day and withdrawals past their expiry and margin; errors are ignored (another process may prune too). */
export function pruneDecisions(paths: InboxPaths, now: number): void {
  for (const name of listNames(paths.decisions)) {
    const file = join(paths.decisions, name);
    try {
      const old = lstatSync(file).mtimeMs < now - KEEP_DECISIONS_MS;
      const record = old ? null : parseDecisionRecord(readJsonFile(file));
      const spent =
        record?.outcome === "withdrawn" && record.expiresAt + KEEP_WITHDRAWN_AFTER_EXPIRY_MS < now;
      if (old || spent) rmSync(file, { force: true });
    } catch {
      // Gone already, or not ours to read: either way nothing to do.
    }
  }
}

/** The pending file of approval `id`. */
export function pendingFile(paths: InboxPaths, id: string): string {
  return join(paths.pending, `${id}.json`);
}

/** The decision file of approval `id` (its one decision slot). */
export function decisionFile(paths: InboxPaths, id: string): string {
  return join(paths.decisions, `${id}.json`);
}

/** The line recent.jsonl keeps for a decision (or a withdrawal) of a pending entry. */
export function recentLine(entry: PendingRecord, record: DecisionRecord): RecentDecision {
  return {
    id: entry.id,
    server: entry.server,
    tool: entry.tool,
    classification: entry.classification,
    outcome: record.outcome,
    decidedBy: record.decidedBy,
    reason: record.reason,
    decidedAt: record.decidedAt,
    waitedMs: Math.max(0, record.decidedAt - entry.createdAt),
  };
}

/**
 * Appends to recent.jsonl and trims it once it grows past its bound; the log is for display, so
 * errors are ignored. A name there that is not a file of ours (a link planted while the folder
 * was open to others would carry the line into any file of yours) is removed, never written through.
 */
export function appendRecent(paths: InboxPaths, line: RecentDecision): void {
  const text = `${JSON.stringify(line)}\n`;
  try {
    try {
      appendTrusted(paths.recent, text);
    } catch (error) {
      if (!(error instanceof UntrustedFileError)) throw error;
      rmSync(paths.recent, { force: true });
      appendTrusted(paths.recent, text);
    }
    if (statSync(paths.recent).size <= RECENT_MAX_BYTES) return;
    const kept = (readTrustedText(paths.recent) ?? "").split("\n").filter(Boolean).slice(-RECENT_KEEP_LINES);
    const tmp = join(paths.tmp, `recent.${process.pid}.${randomBytes(6).toString("hex")}.jsonl`);
    writeFileSync(tmp, `${kept.join("\n")}\n`, { mode: 0o600, flag: "wx" });
    renameSync(tmp, paths.recent);
  } catch {
    // The decision itself is in its decision file; only the page's history misses a line.
  }
}
