import { rmSync } from "node:fs";
import { hostname, userInfo } from "node:os";
import { join } from "node:path";
import { inboxPaths, stateDir } from "../state/paths.js";
import {
  errorCode,
  listNames,
  readJsonFile,
  readTrustedText,
  UntrustedFileError,
  writeNewFile,
} from "./files.js";
import {
  appendRecent,
  decisionFile,
  pendingFile,
  prepareInbox,
  pruneDecisions,
  recentLine,
  STALE_AFTER_EXPIRY_MS,
} from "./inbox-folder.js";
import {
  type DecisionRecord,
  normalizeApprovalId,
  type PendingRecord,
  parseDecisionRecord,
  parsePendingRecord,
  parseRecentDecision,
  type RecentDecision,
} from "./records.js";

export type { PendingRecord, RecentDecision } from "./records.js";

// The answering side of the approval inbox: what the CLI and the web page list, and how a person answers.

/** A person's reason longer than this is cut: it is a sentence for the agent, not a document. */
const MAX_REASON_CHARS = 2000;

/** A waiting call as the CLI and the web page list it. */
export interface PendingApproval extends PendingRecord {
  ageMs: number;
  timeLeftMs: number;
}

/** Whether the process that wrote a file has exited: known only on its own host (EPERM: it runs, as someone else). */
export function writerGone(writer: { host: string; pid: number }): boolean {
  if (writer.host !== hostname()) return false;
  try {
    process.kill(writer.pid, 0);
    return false;
  } catch (error) {
    return errorCode(error) !== "EPERM";
  }
}

/**
 * The calls waiting for a person, oldest first: skips decided and expired ones, and removes the
 * entries of wrap processes that are gone.
 */
export function listPending(dir: string = stateDir(), now: number = Date.now()): PendingApproval[] {
  // A folder others can write could hold their entries: refused before anything is shown.
  const paths = prepareInbox(dir);
  const waiting: PendingApproval[] = [];
  for (const name of listNames(paths.pending)) {
    const id = name.endsWith(".json") ? normalizeApprovalId(name.slice(0, -".json".length)) : null;
    if (id === null) continue;
    const file = join(paths.pending, name);
    const entry = parsePendingRecord(readTrustedOrNull(file));
    if (entry === null || entry.id !== id) continue;
    const stale = writerGone(entry) || now > entry.expiresAt + STALE_AFTER_EXPIRY_MS;
    if (stale) {
      rmSync(file, { force: true });
      continue;
    }
    // A decision slot that holds a file not ours counts as decided: the wrap denies the call.
    if (entry.expiresAt <= now || readTrustedOrNull(join(paths.decisions, name), true) !== null) continue;
    waiting.push({ ...entry, ageMs: Math.max(0, now - entry.createdAt), timeLeftMs: entry.expiresAt - now });
  }
  return waiting.sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
}

/** A file's JSON; a file that cannot be trusted reads as `untrusted` (null: skipped; true: taken). */
function readTrustedOrNull(path: string, untrusted: true | null = null): unknown {
  try {
    return readJsonFile(path);
  } catch (error) {
    if (error instanceof UntrustedFileError) return untrusted;
    throw error;
  }
}

/** The outcome of a person's answer. */
/** `not-shown`: the call waits, but the answer was to be given only to a call the person was shown. */
export type DecideResult = "decided" | "unknown" | "already-decided" | "expired" | "not-shown";

/** What a person answers about one waiting call. */
export interface DecideInput {
  approved: boolean;
  /** `cli:<user>`, `web:<user>`. */
  decidedBy: string;
  /** Optional words for the agent; cut after 2000 characters. */
  reason?: string;
  /**
   * The person was shown no call for this id (its entry could not be listed): tell why it is not
   * waiting, but never answer it (`not-shown`), since they would answer a call they have not seen.
   */
  unseen?: boolean;
}

/**
 * Answers one waiting call, at most once per id ever: "unknown" for an id that is not waiting
 * (never was, withdrawn, or its wrap is gone), "expired" once its time is up.
 */
export function decide(
  dir: string,
  idText: string,
  input: DecideInput,
  now: number = Date.now(),
): DecideResult {
  const id = normalizeApprovalId(idText);
  if (id === null) return "unknown";
  // Before anything is read: an answer written into a folder others can write could be swapped.
  const paths = prepareInbox(dir);
  const decisionPath = decisionFile(paths, id);
  const pendingPath = pendingFile(paths, id);
  const earlier = readJsonFile(decisionPath);
  if (earlier !== null) return answeredAlready(earlier, now);
  const entry = parsePendingRecord(readJsonFile(pendingPath));
  if (entry === null || entry.id !== id) {
    // The waiting wrap removes the pending file once it has read a decision: a decision written
    // between the two reads above makes this a second answer, not an unknown id.
    const later = readJsonFile(decisionPath);
    return later === null ? "unknown" : answeredAlready(later, now);
  }
  if (writerGone(entry)) {
    rmSync(pendingPath, { force: true });
    return "unknown";
  }
  if (entry.expiresAt <= now) return "expired";
  if (input.unseen === true) return "not-shown";
  const record: DecisionRecord = {
    id,
    outcome: input.approved ? "approved" : "denied",
    decidedBy: input.decidedBy,
    reason: (input.reason ?? "").slice(0, MAX_REASON_CHARS),
    decidedAt: now,
    expiresAt: entry.expiresAt,
  };
  if (!writeNewFile(decisionPath, `${JSON.stringify(record)}\n`, paths.tmp)) {
    return answeredAlready(readJsonFile(decisionPath), now);
  }
  appendRecent(paths, recentLine(entry, record));
  pruneDecisions(paths, now);
  return "decided";
}

/** What a second answer hears: a withdrawn question is unknown, or expired once its time is up. */
function answeredAlready(raw: unknown, now: number): DecideResult {
  const record = parseDecisionRecord(raw);
  if (record === null || record.outcome !== "withdrawn") return "already-decided";
  return record.expiresAt <= now ? "expired" : "unknown";
}

/** The latest decisions and withdrawals, newest first. */
export function recentDecisions(dir: string = stateDir(), limit = 50): RecentDecision[] {
  let text: string | null;
  try {
    text = readTrustedText(inboxPaths(dir).recent);
  } catch (error) {
    // A history someone else could have written (or a FIFO that would stall the page) is not shown.
    if (error instanceof UntrustedFileError) return [];
    throw error;
  }
  if (text === null) return [];
  const decisions: RecentDecision[] = [];
  for (const line of text.split("\n")) {
    if (line.length === 0) continue;
    try {
      const parsed = parseRecentDecision(JSON.parse(line));
      if (parsed) decisions.push(parsed);
    } catch {
      // A line cut by a crash mid-write: skip it.
    }
  }
  return decisions.slice(-limit).reverse();
}

/** The person at this keyboard, for `decidedBy`: the OS user name, else $USER, else the uid. */
export function localUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? process.env.USERNAME ?? `uid-${process.getuid?.() ?? "unknown"}`;
  }
}
