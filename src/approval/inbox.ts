import {
  appendFileSync,
  type FSWatcher,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  watch,
  writeFileSync,
} from "node:fs";
import { homedir, hostname, userInfo } from "node:os";
import { join, resolve } from "node:path";
import { argumentsHash } from "../audit/log.js";
import type { ApprovalRequest } from "../proxy/gate.js";
import { stringifyJson } from "../wire/json.js";
import {
  ensurePrivateDir,
  errorCode,
  errorMessage,
  listNames,
  pruneOlderThan,
  readJsonFile,
  writeNewFile,
} from "./files.js";
import {
  type DecisionRecord,
  MAX_STORED_ARGUMENT_CHARS,
  newApprovalId,
  normalizeApprovalId,
  type PendingRecord,
  parseDecisionRecord,
  parsePendingRecord,
  parseRecentDecision,
  type RecentDecision,
} from "./records.js";

export type { PendingRecord, RecentDecision } from "./records.js";

/** Decision files are kept this long after the call, so a second answer hears "already decided". */
const KEEP_DECISIONS_MS = 24 * 60 * 60 * 1000;
/** A pending entry this long past its expiry is stale even when its pid cannot be checked (another host). */
const STALE_AFTER_EXPIRY_MS = 60 * 60 * 1000;
/** The safety net for file systems where fs.watch misses events (network homes); fs.watch is the fast path. */
const DECISION_POLL_MS = 1000;
/** recent.jsonl is trimmed to RECENT_KEEP_LINES once it grows past this. */
const RECENT_MAX_BYTES = 256 * 1024;
const RECENT_KEEP_LINES = 200;
/** A person's reason longer than this is cut: it is a sentence for the agent, not a document. */
const MAX_REASON_CHARS = 2000;

/** Where policylayer keeps per-user state: $POLICYLAYER_STATE_DIR, else $XDG_STATE_HOME/policylayer, else ~/.local/state/policylayer. */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  // Absolute, so that a wrap started elsewhere (Claude Desktop's working directory) and the CLI agree.
  if (env.POLICYLAYER_STATE_DIR) return resolve(env.POLICYLAYER_STATE_DIR);
  const stateHome = env.XDG_STATE_HOME ? env.XDG_STATE_HOME : join(homedir(), ".local", "state");
  return join(stateHome, "policylayer");
}

/** The files of the inbox under a state directory. */
export interface InboxPaths {
  root: string;
  pending: string;
  decisions: string;
  tmp: string;
  recent: string;
}

/** The inbox's folders and files under the state directory `dir`. */
export function inboxPaths(dir: string): InboxPaths {
  const root = join(dir, "approvals");
  return {
    root,
    pending: join(root, "pending"),
    decisions: join(root, "decisions"),
    tmp: join(root, "tmp"),
    recent: join(root, "recent.jsonl"),
  };
}

/** Creates (0700) or checks the inbox's folders; throws an error that names the folder and the fix. */
export function prepareInbox(dir: string): InboxPaths {
  const paths = inboxPaths(dir);
  for (const folder of [paths.root, paths.pending, paths.decisions, paths.tmp]) {
    try {
      ensurePrivateDir(folder);
    } catch (error) {
      throw new Error(
        `approval inbox: cannot use ${folder}: ${errorMessage(error)}; set POLICYLAYER_STATE_DIR to a folder of your own that you can write, or fix this one's owner and permissions`,
      );
    }
  }
  return paths;
}

/** What a wrap process tells the inbox about a call that waits for a person. */
export interface PendingApprovalInput {
  session: string;
  server: string;
  tool: string;
  arguments: Record<string, unknown>;
  classification: { category: string; risk: string };
  reason: string;
  rule: string | null;
  /** The approver times the call out; the inbox only shows the time left. */
  timeoutSeconds: number;
}

/** A person's answer, shaped like the approver's ChannelAnswer. */
export interface InboxDecision {
  approved: boolean;
  /** `cli:<user>` or `web:<user>`. */
  decidedBy: string;
  /** A sentence for the agent: "denied by cli:alice in the approval inbox: too expensive". */
  reason: string;
  /** The person's own words, or null when they gave none. */
  note: string | null;
  decidedAt: number;
}

/** A submitted call: its id, the decision to come, and how to take the question back. */
export interface SubmittedApproval {
  id: string;
  entry: PendingRecord;
  /** Resolves once, with the first decision. Never resolves after withdraw() or close(). */
  decision: Promise<InboxDecision>;
  /** Takes the question back (timeout, cancellation, another channel answered); a later answer has no effect. */
  withdraw(reason: string): void;
}

interface Waiting {
  entry: PendingRecord;
  resolve(decision: InboxDecision): void;
}

/** The inbox entry for an approval request of the gate, with the rule described in words. */
export function pendingInputFor(
  request: ApprovalRequest,
  context: { session: string; server: string },
): PendingApprovalInput {
  const rule = request.decision.rule;
  const patterns = rule?.toolPatterns ? ` (tool: ${rule.toolPatterns.join(", ")})` : "";
  return {
    session: context.session,
    server: context.server,
    tool: request.call.name,
    arguments: request.call.arguments,
    classification: { category: request.classification.category, risk: request.classification.risk },
    reason: request.decision.reason,
    rule: rule ? `rule ${rule.index + 1}${patterns}` : null,
    timeoutSeconds: request.timeoutSeconds,
  };
}

/**
 * The local approval inbox as one wrap process sees it: it writes each waiting call to the shared
 * folder, watches for the one decision a person writes for it, and withdraws what no longer waits.
 */
export class ApprovalInbox {
  private readonly waiting = new Map<string, Waiting>();
  private watcher: FSWatcher | null = null;
  private poll: NodeJS.Timeout | null = null;
  private closed = false;

  private constructor(
    /** The state directory. */
    readonly dir: string,
    private readonly paths: InboxPaths,
    private readonly now: () => number,
  ) {}

  /** Opens the inbox under the state directory (default: stateDir()); throws when its folder is unusable. */
  static open(dir: string = stateDir(), options: { now?: () => number } = {}): ApprovalInbox {
    const paths = prepareInbox(dir);
    const now = options.now ?? Date.now;
    pruneOlderThan(paths.decisions, now() - KEEP_DECISIONS_MS);
    pruneOlderThan(paths.tmp, now() - STALE_AFTER_EXPIRY_MS);
    return new ApprovalInbox(dir, paths, now);
  }

  /** Puts a call in the inbox; throws when the pending file cannot be written (deny the call then). */
  submit(input: PendingApprovalInput): SubmittedApproval {
    if (this.closed) throw new Error("approval inbox: submit() after close()");
    const createdAt = this.now();
    const fullJson = stringifyJson(input.arguments);
    const truncated = fullJson.length > MAX_STORED_ARGUMENT_CHARS;
    const base = {
      session: input.session,
      server: input.server,
      pid: process.pid,
      host: hostname(),
      tool: input.tool,
      argumentsJson: truncated ? fullJson.slice(0, MAX_STORED_ARGUMENT_CHARS) : fullJson,
      argumentsTruncated: truncated,
      argumentsSha256: argumentsHash(input.arguments),
      classification: { category: input.classification.category, risk: input.classification.risk },
      reason: input.reason,
      rule: input.rule,
      createdAt,
      expiresAt: createdAt + input.timeoutSeconds * 1000,
    };
    const entry = this.writePending(base);
    let settleDecision: (decision: InboxDecision) => void = () => {};
    const decision = new Promise<InboxDecision>((settle) => {
      settleDecision = settle;
    });
    this.waiting.set(entry.id, { entry, resolve: settleDecision });
    this.startWatching();
    // A decision written before the watcher started would raise no event: look once now.
    this.checkDecision(entry.id);
    return { id: entry.id, entry, decision, withdraw: (reason) => this.withdraw(entry.id, reason) };
  }

  /** Withdraws every waiting call (the session ends) and stops watching. */
  close(): void {
    for (const id of [...this.waiting.keys()]) this.withdraw(id, "the wrap session ended");
    this.closed = true;
    this.stopWatching();
  }

  private writePending(base: Omit<PendingRecord, "id">): PendingRecord {
    // A fresh id never collides in practice; the loop makes "never reused" a checked fact, not a hope.
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const entry: PendingRecord = { id: newApprovalId(), ...base };
      if (readJsonFile(this.decisionPath(entry.id)) !== null) continue;
      if (writeNewFile(this.pendingPath(entry.id), `${JSON.stringify(entry)}\n`, this.paths.tmp))
        return entry;
    }
    throw new Error(`approval inbox: could not find an unused approval id in ${this.paths.pending}`);
  }

  private withdraw(id: string, reason: string): void {
    const waiting = this.waiting.get(id);
    if (!waiting) return;
    this.waiting.delete(id);
    if (this.waiting.size === 0) this.stopWatching();
    const record: DecisionRecord = {
      id,
      outcome: "withdrawn",
      decidedBy: `wrap:${process.pid}`,
      reason,
      decidedAt: this.now(),
      expiresAt: waiting.entry.expiresAt,
    };
    try {
      // The withdrawal takes the id's one decision slot, so no answer can land after it.
      if (writeNewFile(this.decisionPath(id), `${JSON.stringify(record)}\n`, this.paths.tmp)) {
        appendRecent(this.paths, recentLine(waiting.entry, record));
      }
      rmSync(this.pendingPath(id), { force: true });
    } catch {
      // The folder went away or became unwritable; the entry is stale once this process exits.
    }
  }

  private checkDecision(id: string): void {
    const waiting = this.waiting.get(id);
    if (!waiting) return;
    let raw: unknown;
    try {
      raw = readJsonFile(this.decisionPath(id));
    } catch {
      return;
    }
    if (raw === null) return;
    const record = parseDecisionRecord(raw);
    this.waiting.delete(id);
    if (this.waiting.size === 0) this.stopWatching();
    rmSync(this.pendingPath(id), { force: true });
    // Decision files are written whole (hard link), so one that does not parse was not written by us: fail closed.
    if (record === null || record.id !== id || record.outcome === "withdrawn") {
      waiting.resolve({
        approved: false,
        decidedBy: "policylayer",
        reason: `the approval inbox holds an unreadable answer for ${id} (${this.decisionPath(id)}), so the call was denied`,
        note: null,
        decidedAt: this.now(),
      });
      return;
    }
    const approved = record.outcome === "approved";
    const note = record.reason.length > 0 ? record.reason : null;
    waiting.resolve({
      approved,
      decidedBy: record.decidedBy,
      reason: `${approved ? "approved" : "denied"} by ${record.decidedBy} in the approval inbox${note ? `: ${note}` : ""}`,
      note,
      decidedAt: record.decidedAt,
    });
  }

  private startWatching(): void {
    if (this.watcher === null) {
      try {
        this.watcher = watch(this.paths.decisions, (_event, name) => {
          const id =
            typeof name === "string" && name.endsWith(".json") ? name.slice(0, -".json".length) : null;
          if (id !== null && this.waiting.has(id)) this.checkDecision(id);
          else if (id === null) this.checkAll();
        });
        this.watcher.on("error", () => this.stopWatcherOnly());
        this.watcher.unref();
      } catch {
        this.watcher = null;
      }
    }
    if (this.poll === null) {
      this.poll = setInterval(() => this.checkAll(), DECISION_POLL_MS);
      this.poll.unref();
    }
  }

  private checkAll(): void {
    for (const id of [...this.waiting.keys()]) this.checkDecision(id);
  }

  private stopWatcherOnly(): void {
    this.watcher?.close();
    this.watcher = null;
  }

  private stopWatching(): void {
    this.stopWatcherOnly();
    if (this.poll !== null) clearInterval(this.poll);
    this.poll = null;
  }

  private pendingPath(id: string): string {
    return join(this.paths.pending, `${id}.json`);
  }

  private decisionPath(id: string): string {
    return join(this.paths.decisions, `${id}.json`);
  }
}

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
  const paths = inboxPaths(dir);
  const waiting: PendingApproval[] = [];
  for (const name of listNames(paths.pending)) {
    const id = name.endsWith(".json") ? normalizeApprovalId(name.slice(0, -".json".length)) : null;
    if (id === null) continue;
    const file = join(paths.pending, name);
    const entry = parsePendingRecord(readJsonFile(file));
    if (entry === null || entry.id !== id) continue;
    const stale = writerGone(entry) || now > entry.expiresAt + STALE_AFTER_EXPIRY_MS;
    if (stale) {
      rmSync(file, { force: true });
      continue;
    }
    if (entry.expiresAt <= now || readJsonFile(join(paths.decisions, name)) !== null) continue;
    waiting.push({ ...entry, ageMs: Math.max(0, now - entry.createdAt), timeLeftMs: entry.expiresAt - now });
  }
  return waiting.sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
}

/** The outcome of a person's answer. */
export type DecideResult = "decided" | "unknown" | "already-decided" | "expired";

/** What a person answers about one waiting call. */
export interface DecideInput {
  approved: boolean;
  /** `cli:<user>`, `web:<user>`. */
  decidedBy: string;
  /** Optional words for the agent; cut after 2000 characters. */
  reason?: string;
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
  const paths = inboxPaths(dir);
  const decisionFile = join(paths.decisions, `${id}.json`);
  const pendingFile = join(paths.pending, `${id}.json`);
  const earlier = readJsonFile(decisionFile);
  if (earlier !== null) return answeredAlready(earlier, now);
  const entry = parsePendingRecord(readJsonFile(pendingFile));
  if (entry === null || entry.id !== id) return "unknown";
  if (writerGone(entry)) {
    rmSync(pendingFile, { force: true });
    return "unknown";
  }
  if (entry.expiresAt <= now) return "expired";
  prepareInbox(dir);
  const record: DecisionRecord = {
    id,
    outcome: input.approved ? "approved" : "denied",
    decidedBy: input.decidedBy,
    reason: (input.reason ?? "").slice(0, MAX_REASON_CHARS),
    decidedAt: now,
    expiresAt: entry.expiresAt,
  };
  if (!writeNewFile(decisionFile, `${JSON.stringify(record)}\n`, paths.tmp)) {
    return answeredAlready(readJsonFile(decisionFile), now);
  }
  appendRecent(paths, recentLine(entry, record));
  pruneOlderThan(paths.decisions, now - KEEP_DECISIONS_MS);
  return "decided";
}

/** What a second answer hears: a withdrawn question is unknown, or expired once its time is up. */
function answeredAlready(raw: unknown, now: number): DecideResult {
  const record = parseDecisionRecord(raw);
  if (record === null || record.outcome !== "withdrawn") return "already-decided";
  return record.expiresAt <= now ? "expired" : "unknown";
}

function recentLine(entry: PendingRecord, record: DecisionRecord): RecentDecision {
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

/** Appends to recent.jsonl and trims it once it grows past its bound; the log is for display, so errors are ignored. */
function appendRecent(paths: InboxPaths, line: RecentDecision): void {
  try {
    appendFileSync(paths.recent, `${JSON.stringify(line)}\n`, { mode: 0o600 });
    if (statSync(paths.recent).size <= RECENT_MAX_BYTES) return;
    const kept = readFileSync(paths.recent, "utf8").split("\n").filter(Boolean).slice(-RECENT_KEEP_LINES);
    const tmp = join(paths.tmp, `recent.${process.pid}.jsonl`);
    writeFileSync(tmp, `${kept.join("\n")}\n`, { mode: 0o600 });
    renameSync(tmp, paths.recent);
  } catch {
    // The decision itself is in its decision file; only the page's history misses a line.
  }
}

/** The latest decisions and withdrawals, newest first. */
export function recentDecisions(dir: string = stateDir(), limit = 50): RecentDecision[] {
  let text: string;
  try {
    text = readFileSync(inboxPaths(dir).recent, "utf8");
  } catch (error) {
    if (errorCode(error) === "ENOENT") return [];
    throw error;
  }
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
