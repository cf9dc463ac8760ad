import { type FSWatcher, rmSync, watch } from "node:fs";
import { hostname } from "node:os";
import { argumentsHash } from "../audit/log.js";
import { describeRule } from "../policy/describe.js";
import { type InboxPaths, stateDir } from "../state/paths.js";
import { stringifyJson } from "../wire/json.js";
import { pruneOlderThan, readJsonFile, UntrustedFileError, writeNewFile } from "./files.js";
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
  MAX_STORED_ARGUMENT_CHARS,
  MAX_STORED_LATER_KEY_CHARS,
  newApprovalId,
  type PendingRecord,
  parseDecisionRecord,
} from "./records.js";
import type { ApprovalRequest } from "./request.js";

// The waiting side of the approval inbox: a wrap process puts its calls there and waits for a person's answer.

/** The safety net for file systems where fs.watch misses events (network homes); fs.watch is the fast path. */
const DECISION_POLL_MS = 1000;
/** How often a long-running wrap clears spent decisions and withdrawals while it submits calls. */
const PRUNE_EVERY_MS = 60_000;

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
  /**
   * Takes the question back (timeout, cancellation, another channel answered); a later answer has
   * no effect. Returns the answer a person wrote before the withdrawal (not read yet), or null.
   */
  withdraw(reason: string): InboxDecision | null;
}

interface Waiting {
  entry: PendingRecord;
  resolve(decision: InboxDecision): void;
}

/**
 * The keys (as JSON strings) of the members that start past the first MAX_STORED_ARGUMENT_CHARS
 * of the arguments' JSON, up to MAX_STORED_LATER_KEY_CHARS of them and then a count of the rest.
 */
function keysAfterCut(args: Record<string, unknown>): string[] {
  const later: string[] = [];
  let offset = 1;
  let keptChars = 0;
  let omitted = 0;
  for (const [key, value] of Object.entries(args)) {
    const keyJson = JSON.stringify(key);
    if (offset >= MAX_STORED_ARGUMENT_CHARS) {
      if (keptChars + keyJson.length <= MAX_STORED_LATER_KEY_CHARS) {
        later.push(keyJson);
        keptChars += keyJson.length;
      } else omitted += 1;
    }
    offset += keyJson.length + 1 + stringifyJson(value).length + 1;
  }
  if (omitted > 0) later.push(`…⟨${omitted} more keys⟩`);
  return later;
}

/** The inbox entry for an approval request of the gate, with the rule described in words. */
export function pendingInputFor(
  request: ApprovalRequest,
  context: { session: string; server: string },
): PendingApprovalInput {
  const rule = request.decision.rule;
  return {
    session: context.session,
    server: context.server,
    tool: request.call.name,
    arguments: request.call.arguments,
    classification: { category: request.classification.category, risk: request.classification.risk },
    reason: request.decision.reason,
    rule: rule ? describeRule(rule) : null,
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
  private prunedAt: number;

  private constructor(
    /** The state directory. */
    readonly dir: string,
    private readonly paths: InboxPaths,
    private readonly now: () => number,
  ) {
    this.prunedAt = now();
  }

  /** Opens the inbox under the state directory (default: stateDir()); throws when its folder is unusable. */
  static open(dir: string = stateDir(), options: { now?: () => number } = {}): ApprovalInbox {
    const paths = prepareInbox(dir);
    const now = options.now ?? Date.now;
    pruneDecisions(paths, now());
    pruneOlderThan(paths.tmp, now() - STALE_AFTER_EXPIRY_MS);
    return new ApprovalInbox(dir, paths, now);
  }

  /** Puts a call in the inbox; throws when the pending file cannot be written (deny the call then). */
  submit(input: PendingApprovalInput): SubmittedApproval {
    if (this.closed) throw new Error("approval inbox: submit() after close()");
    // Checked again for every call: a folder that became writable by others since open is refused.
    prepareInbox(this.dir);
    const createdAt = this.now();
    if (createdAt - this.prunedAt >= PRUNE_EVERY_MS) {
      this.prunedAt = createdAt;
      pruneDecisions(this.paths, createdAt);
    }
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
      keysAfterCut: truncated ? keysAfterCut(input.arguments) : [],
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
      if (this.slotTaken(entry.id)) continue;
      if (writeNewFile(this.pendingPath(entry.id), `${JSON.stringify(entry)}\n`, this.paths.tmp))
        return entry;
    }
    throw new Error(`approval inbox: could not find an unused approval id in ${this.paths.pending}`);
  }

  /** Whether approval `id`'s decision slot holds anything (a file that cannot be trusted counts). */
  private slotTaken(id: string): boolean {
    try {
      return readJsonFile(this.decisionPath(id)) !== null;
    } catch {
      return true;
    }
  }

  private withdraw(id: string, reason: string): InboxDecision | null {
    const waiting = this.waiting.get(id);
    if (!waiting) return null;
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
      const withdrawn = writeNewFile(this.decisionPath(id), `${JSON.stringify(record)}\n`, this.paths.tmp);
      if (withdrawn) appendRecent(this.paths, recentLine(waiting.entry, record));
      rmSync(this.pendingPath(id), { force: true });
      // The slot was taken: a person answered first (in time: an answer after expiry is refused).
      return withdrawn ? null : this.answerIn(id);
    } catch {
      // The folder went away or became unwritable; the entry is stale once this process exits.
      return null;
    }
  }

  private checkDecision(id: string): void {
    const waiting = this.waiting.get(id);
    if (!waiting) return;
    const answer = this.answerIn(id);
    if (answer === null) return;
    this.waiting.delete(id);
    if (this.waiting.size === 0) this.stopWatching();
    rmSync(this.pendingPath(id), { force: true });
    waiting.resolve(answer);
  }

  /** The answer in approval `id`'s decision slot; null when the slot is empty or cannot be read now. */
  private answerIn(id: string): InboxDecision | null {
    let raw: unknown;
    let untrusted: string | null = null;
    try {
      raw = readJsonFile(this.decisionPath(id));
    } catch (error) {
      // A passing read error (the folder busy, a network home) is retried at the next poll.
      if (!(error instanceof UntrustedFileError)) return null;
      untrusted = error.message;
    }
    if (raw === null && untrusted === null) return null;
    const record = untrusted === null ? parseDecisionRecord(raw) : null;
    // Decision files are written whole (hard link), so one that does not parse was not written by us: fail closed.
    if (record === null || record.id !== id || record.outcome === "withdrawn") {
      return {
        approved: false,
        decidedBy: "policylayer",
        reason:
          untrusted === null
            ? `the approval inbox holds an unreadable answer for ${id} (${this.decisionPath(id)}), so the call was denied`
            : `the approval inbox's answer for ${id} cannot be trusted (${untrusted}), so the call was denied`,
        note: null,
        decidedAt: this.now(),
      };
    }
    const approved = record.outcome === "approved";
    const note = record.reason.length > 0 ? record.reason : null;
    return {
      approved,
      decidedBy: record.decidedBy,
      reason: `${approved ? "approved" : "denied"} by ${record.decidedBy} in the approval inbox${note ? `: ${note}` : ""}`,
      note,
      decidedAt: record.decidedAt,
    };
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
    return pendingFile(this.paths, id);
  }

  private decisionPath(id: string): string {
    return decisionFile(this.paths, id);
  }
}
