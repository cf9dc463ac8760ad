import { randomBytes } from "node:crypto";
import { isJsonObject } from "../wire/jsonrpc.js";

/** Lower-case Crockford base32: no i, l, o or u, so an id read aloud or retyped stays unambiguous. */
const ID_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
/** 10 characters of 5 bits: 50 random bits, unguessable for the minutes an approval waits, short enough to type. */
const ID_LENGTH = 10;
const ID_PATTERN = /^[0-9a-hjkmnp-tv-z]{10}$/;

/** A fresh random approval id. */
export function newApprovalId(): string {
  let id = "";
  for (const byte of randomBytes(ID_LENGTH)) id += ID_ALPHABET[byte & 31];
  return id;
}

/** The id as stored (trimmed, lower case), or null when it cannot be an approval id (so it never names a path). */
export function normalizeApprovalId(text: string): string | null {
  const id = text.trim().toLowerCase();
  return ID_PATTERN.test(id) ? id : null;
}

/** A call waiting in the inbox, as its wrap process wrote it to `pending/<id>.json`. */
export interface PendingRecord {
  id: string;
  session: string;
  server: string;
  /** The wrap process holding the call, and its host: a pending file outlives a crashed wrap. */
  pid: number;
  host: string;
  tool: string;
  /** Compact JSON of the arguments, cut after MAX_STORED_ARGUMENT_CHARS (then argumentsTruncated). */
  argumentsJson: string;
  argumentsTruncated: boolean;
  /** The keys (as JSON strings) of the members wholly past the cut, so every key is shown; [] when none. */
  keysAfterCut: string[];
  argumentsSha256: string;
  classification: { category: string; risk: string };
  reason: string;
  /** The rule that asked for approval, in words ("rule 3 (tool: deploy_*)"), or null for the policy default. */
  rule: string | null;
  createdAt: number;
  expiresAt: number;
}

/** What `decisions/<id>.json` says: a person's answer, or the wrap's withdrawal of the question. */
export interface DecisionRecord {
  id: string;
  outcome: "approved" | "denied" | "withdrawn";
  /** `cli:<user>`, `web:<user>`; for a withdrawal, the wrap process (`wrap:<pid>`). */
  decidedBy: string;
  /** The person's words (empty when they gave none), or why the question was withdrawn. */
  reason: string;
  decidedAt: number;
  /** Copied from the pending entry, so a late answer can tell "expired" from "withdrawn". */
  expiresAt: number;
}

/** One line of `recent.jsonl`: what the web page shows under "Recent decisions". */
export interface RecentDecision {
  id: string;
  server: string;
  tool: string;
  classification: { category: string; risk: string };
  outcome: DecisionRecord["outcome"];
  decidedBy: string;
  reason: string;
  decidedAt: number;
  waitedMs: number;
}

/** Longest arguments JSON kept in a pending file; the wrap process keeps the whole call. */
export const MAX_STORED_ARGUMENT_CHARS = 64 * 1024;
/** Most characters of keys past the cut kept in a pending file (their values are not kept). */
export const MAX_STORED_LATER_KEY_CHARS = 16 * 1024;

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === "string");
}

function outcomeOf(value: unknown): DecisionRecord["outcome"] | null {
  return value === "approved" || value === "denied" || value === "withdrawn" ? value : null;
}

function isClassification(value: unknown): value is { category: string; risk: string } {
  return isJsonObject(value) && typeof value.category === "string" && typeof value.risk === "string";
}

function isTime(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

/** A pending file's content, checked field by field; null when it is not one. */
export function parsePendingRecord(value: unknown): PendingRecord | null {
  if (!isJsonObject(value)) return null;
  const { id, session, server, pid, host, tool, argumentsJson, argumentsTruncated, argumentsSha256 } = value;
  const { classification, reason, rule, createdAt, expiresAt } = value;
  // Absent in files of earlier versions: no keys past the cut were kept then.
  const keysAfterCut = value.keysAfterCut ?? [];
  if (
    typeof id !== "string" ||
    normalizeApprovalId(id) !== id ||
    typeof session !== "string" ||
    typeof server !== "string" ||
    typeof pid !== "number" ||
    !Number.isSafeInteger(pid) ||
    pid <= 0 ||
    typeof host !== "string" ||
    typeof tool !== "string" ||
    typeof argumentsJson !== "string" ||
    typeof argumentsTruncated !== "boolean" ||
    !isStringList(keysAfterCut) ||
    typeof argumentsSha256 !== "string" ||
    !isClassification(classification) ||
    typeof reason !== "string" ||
    (rule !== null && typeof rule !== "string") ||
    !isTime(createdAt) ||
    !isTime(expiresAt)
  ) {
    return null;
  }
  return {
    id,
    session,
    server,
    pid,
    host,
    tool,
    argumentsJson,
    argumentsTruncated,
    keysAfterCut,
    argumentsSha256,
    classification: { category: classification.category, risk: classification.risk },
    reason,
    rule,
    createdAt,
    expiresAt,
  };
}

/** A decision file's content, checked field by field; null when it is not one. */
export function parseDecisionRecord(value: unknown): DecisionRecord | null {
  if (!isJsonObject(value)) return null;
  const { id, decidedBy, reason, decidedAt, expiresAt } = value;
  const outcome = outcomeOf(value.outcome);
  if (
    typeof id !== "string" ||
    outcome === null ||
    typeof decidedBy !== "string" ||
    typeof reason !== "string" ||
    !isTime(decidedAt) ||
    !isTime(expiresAt)
  ) {
    return null;
  }
  return { id, outcome, decidedBy, reason, decidedAt, expiresAt };
}

/** A line of the recent-decisions log, checked field by field; null when it is not one. */
export function parseRecentDecision(value: unknown): RecentDecision | null {
  if (!isJsonObject(value)) return null;
  const { id, server, tool, classification, decidedBy, reason, decidedAt, waitedMs } = value;
  const outcome = outcomeOf(value.outcome);
  if (
    typeof id !== "string" ||
    typeof server !== "string" ||
    typeof tool !== "string" ||
    !isClassification(classification) ||
    outcome === null ||
    typeof decidedBy !== "string" ||
    typeof reason !== "string" ||
    !isTime(decidedAt) ||
    !isTime(waitedMs)
  ) {
    return null;
  }
  return {
    id,
    server,
    tool,
    classification: { category: classification.category, risk: classification.risk },
    outcome,
    decidedBy,
    reason,
    decidedAt,
    waitedMs,
  };
}
