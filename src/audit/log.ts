import { hash } from "node:crypto";
import { closeSync, constants, fstatSync, mkdirSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { openTrusted, otherNamesReason } from "../approval/files.js";
import { assertNoOtherWriter } from "../approval/folder-trust.js";
import { terminalSafeJson } from "../display/visible.js";
import { canonicalJson } from "../policy/compile.js";
import { stringifyJson } from "../wire/json.js";

/** One audited tools/call decision, written as one JSON line when the call is finished. */
export interface AuditRecord {
  time: string;
  session: string;
  server: string;
  event: "tools/call";
  id: string | number;
  tool: string;
  /** The final decision: allow (forwarded), deny, or the approval's outcome. */
  decision: "allow" | "deny";
  /** What the policy said before any approval or monitor mode. */
  policy_action: "allow" | "deny" | "require_approval";
  mode: "enforce" | "monitor";
  rule: { index: number; tool: string[] | null } | null;
  reason: string;
  category: string;
  risk: string;
  args_sha256: string;
  arguments?: Record<string, unknown>;
  approval?: { channel: string; decided_by: string; waited_ms: number; outcome: string };
  /** The id of the logical call's first round, on the later rounds of a 2026-07-28 multi-round-trip call. */
  continues?: string | number;
  /** Why a let-through call was not counted against its shared limits (the store could not be reached). */
  uncounted?: string;
  outcome?:
    | "result"
    | "tool_error"
    | "protocol_error"
    | "input_required"
    | "server_exited"
    | "cancelled"
    | "not_forwarded";
  duration_ms?: number;
  /** The arguments whose hash args_sha256 will be, while it is not taken yet (see hashLater). */
  [UNHASHED]?: { args: Record<string, unknown>; json: string | undefined };
}

/** Where a record keeps the arguments it has not hashed yet; a symbol, so no line ever shows it. */
const UNHASHED: unique symbol = Symbol("arguments not hashed yet");

/**
 * Leaves a record's args_sha256 to be taken when it is first needed (argsSha256, or when its line
 * is written), so that hashing is not on the way of a call that is let through. `json` as for argumentsHash.
 */
export function hashLater(record: AuditRecord, args: Record<string, unknown>, json?: string): void {
  record.args_sha256 = "";
  record[UNHASHED] = { args, json };
}

/** The record's args_sha256, taken now if it was left for later. */
export function argsSha256(record: AuditRecord): string {
  const unhashed = record[UNHASHED];
  if (unhashed !== undefined) {
    record.args_sha256 = argumentsHash(unhashed.args, unhashed.json);
    record[UNHASHED] = undefined;
  }
  return record.args_sha256;
}

/**
 * Whether the text is ASCII with no DEL: then its line is written as latin1 and needs no pass of
 * terminalSafeJson (any character past U+007F, a lone surrogate too, takes more than one UTF-8
 * byte; DEL is ASCII, but JSON.stringify leaves it raw, and it would hide itself on a terminal).
 */
function isAscii(text: string): boolean {
  return Buffer.byteLength(text, "utf8") === text.length && !text.includes("\x7f");
}

/** One string field's JSON, remembering the last value (most calls repeat the last time, tool, hash). */
class QuotedField {
  private last = "";
  /** JSON.stringify of the last value, and whether that text is all ASCII. */
  json = '""';
  ascii = true;

  quote(value: string): string {
    if (value !== this.last) {
      this.last = value;
      this.json = JSON.stringify(value);
      this.ascii = isAscii(this.json);
    }
    return this.json;
  }
}

/** The start of a call's line, up to (not including) `outcome`, `duration_ms` and the closing brace. */
export interface CallLineHead {
  text: string;
  /** Whether the whole line will be ASCII (then it is written as latin1: no encoding pass). */
  ascii: boolean;
}

/** The members from decision to args_sha256's name, and the fields they were made of. */
interface DecisionPart {
  key: [string, string, string, AuditRecord["rule"], string, string, string];
  text: string;
  ascii: boolean;
}

/**
 * Writes tools/call records as JSON lines with the same meaning as JSON.stringify(record). Written
 * out by hand because it is on every call's path: fields typed as fixed words are written as they
 * are, strings that repeat from call to call are quoted once (the writer remembers the last of
 * each), everything else goes through JSON.stringify.
 */
export class CallLineWriter {
  private readonly time = new QuotedField();
  private readonly tool = new QuotedField();
  private readonly hash = new QuotedField();
  /** The run of members from session to id's name, for the last session and server seen. */
  private sessionPart: { session: string; server: string; text: string; ascii: boolean } | null = null;
  private decisionPart: DecisionPart | null = null;

  /** The line of a record, terminator included, and whether it is all ASCII. */
  line(record: AuditRecord): { text: string; ascii: boolean } {
    const head = this.head(record);
    return { text: head.text + callRecordTail(record.outcome, record.duration_ms), ascii: head.ascii };
  }

  /** A record's line up to how it ended: what can be written before the answer comes back. */
  head(record: AuditRecord): CallLineHead {
    const id = typeof record.id === "number" ? String(record.id) : JSON.stringify(record.id);
    const time = this.time.quote(record.time);
    const tool = this.tool.quote(record.tool);
    const hash = this.hash.quote(argsSha256(record));
    const session = this.sessionMembers(record);
    const decision = this.decisionMembers(record);
    let text = `{"time":${time}${session.text}${id},"tool":${tool}${decision.text}${hash}`;
    // The tail (outcome, duration) is ASCII by construction; arguments and approval are not checked.
    const ascii =
      (typeof record.id === "number" || isAscii(id)) &&
      this.time.ascii &&
      this.tool.ascii &&
      this.hash.ascii &&
      session.ascii &&
      decision.ascii &&
      record.arguments === undefined &&
      record.approval === undefined &&
      record.continues === undefined &&
      record.uncounted === undefined;
    if (record.arguments !== undefined) text += `,"arguments":${stringifyJson(record.arguments)}`;
    if (record.approval !== undefined) text += `,"approval":${JSON.stringify(record.approval)}`;
    if (record.continues !== undefined) text += `,"continues":${JSON.stringify(record.continues)}`;
    if (record.uncounted !== undefined) text += `,"uncounted":${JSON.stringify(record.uncounted)}`;
    return { text, ascii };
  }

  private sessionMembers(record: AuditRecord): { text: string; ascii: boolean } {
    const part = this.sessionPart;
    if (part !== null && part.session === record.session && part.server === record.server) return part;
    const text = `,"session":${JSON.stringify(record.session)},"server":${JSON.stringify(record.server)},"event":"tools/call","id":`;
    this.sessionPart = { session: record.session, server: record.server, text, ascii: isAscii(text) };
    return this.sessionPart;
  }

  private decisionMembers(record: AuditRecord): DecisionPart {
    const part = this.decisionPart;
    const rule = record.rule;
    if (part !== null) {
      const key = part.key;
      if (
        key[0] === record.decision &&
        key[1] === record.policy_action &&
        key[2] === record.mode &&
        // A rule's pattern list is one array per compiled rule, so identity tells.
        (key[3] === rule ||
          (key[3] !== null && rule !== null && key[3].index === rule.index && key[3].tool === rule.tool)) &&
        key[4] === record.reason &&
        key[5] === record.category &&
        key[6] === record.risk
      )
        return part;
    }
    const text =
      `,"decision":"${record.decision}","policy_action":"${record.policy_action}","mode":"${record.mode}",` +
      `"rule":${JSON.stringify(rule)},"reason":${JSON.stringify(record.reason)},` +
      `"category":${JSON.stringify(record.category)},"risk":${JSON.stringify(record.risk)},"args_sha256":`;
    this.decisionPart = {
      key: [
        record.decision,
        record.policy_action,
        record.mode,
        rule,
        record.reason,
        record.category,
        record.risk,
      ],
      text,
      ascii: isAscii(text),
    };
    return this.decisionPart;
  }
}

/** The end of a call's line after its head: how it ended and how long it took. */
function callRecordTail(outcome: AuditRecord["outcome"], durationMs: number | undefined): string {
  let tail = outcome === undefined ? "" : `,"outcome":"${outcome}"`;
  if (durationMs !== undefined) tail += `,"duration_ms":${JSON.stringify(durationMs)}`;
  return `${tail}}\n`;
}

/** Appends audit lines synchronously, so a failure is known before the next call is let through. */
export class AuditLog {
  private failure: string | null = null;
  /** Lines appended inside batch(), written together when it ends. */
  private held: string | null = null;
  /** Whether every line in `held` is all ASCII. */
  private heldAscii = true;
  private readonly lines = new CallLineWriter();
  private lastTimeMs = Number.NaN;
  private lastTime = "";

  private constructor(
    readonly path: string,
    private fd: number,
  ) {}

  /**
   * Opens the log for appending and writes the session's first line; throws when it cannot, and
   * when the log is a link, a file not yours or writable by others, or in a folder others can write:
   * whoever could write it, or rename it away, could hide or forge lines, or read the arguments.
   */
  static open(path: string, sessionStart: Record<string, unknown>): AuditLog {
    const folder = dirname(path);
    // 0700: a folder made for the log (the state folder among them) lets no one else look in.
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    assertNoOtherWriter(
      folder,
      "the audit log",
      "hide or forge its lines; name a file in a folder of your own",
    );
    // O_APPEND: each line is one write at the end, so the lines of wraps sharing the log never mix.
    const fd = openTrusted(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, true);
    if (fd === null) throw new Error(`${folder} is gone`);
    const log = new AuditLog(path, fd);
    try {
      const names = otherNamesReason(fstatSync(fd));
      if (names !== null) throw new Error(`${path} ${names}`);
      writeWhole(fd, `${terminalSafeJson(JSON.stringify(sessionStart))}\n`, false);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
    return log;
  }

  /** The reason writing failed, or null while the log is healthy. */
  get failed(): string | null {
    return this.failure;
  }

  /** Appends one record; returns false (and remembers why) when the write fails. */
  append(record: AuditRecord | Record<string, unknown>): boolean {
    return this.appendLine(`${JSON.stringify(record)}\n`, false);
  }

  /**
   * Appends one tools/call record (the line of every call). `head`: its start, written ahead by
   * callHead (once the call had left, before its answer came back), when the record has not changed since.
   */
  appendCall(record: AuditRecord, head: CallLineHead = this.callHead(record)): boolean {
    return this.appendLine(head.text + callRecordTail(record.outcome, record.duration_ms), head.ascii);
  }

  /** The ISO time of a millisecond, for a record; calls within the same millisecond share one string. */
  timeOf(ms: number): string {
    if (ms !== this.lastTimeMs) {
      this.lastTimeMs = ms;
      this.lastTime = new Date(ms).toISOString();
    }
    return this.lastTime;
  }

  /** The start of a record's line, for appendCall once the call has ended. */
  callHead(record: AuditRecord): CallLineHead {
    return this.lines.head(record);
  }

  /**
   * `ascii`: the caller knows the line is all ASCII, without DEL. A line that may not be has its C1 controls, bidi
   * and invisible characters written as `\u` escapes (the same JSON value), so that the log shown on
   * a terminal (`tail -f`, `cat`) cannot move, hide or reorder what a person reads there.
   */
  private appendLine(text: string, ascii: boolean): boolean {
    if (this.failure !== null) return false;
    const line = ascii ? text : terminalSafeJson(text);
    if (this.held !== null) {
      this.held += line;
      this.heldAscii &&= ascii;
      return true;
    }
    return this.write(line, ascii);
  }

  /**
   * Runs `work` with the lines it appends written in one write when it ends (one write per chunk
   * of server output rather than one per call); afterwards `failed` tells whether that write failed.
   */
  batch(work: () => void): void {
    if (this.held !== null) {
      work();
      return;
    }
    this.held = "";
    this.heldAscii = true;
    try {
      work();
    } finally {
      const lines = this.held;
      this.held = null;
      if (lines.length > 0 && this.failure === null) this.write(lines, this.heldAscii);
    }
  }

  private write(text: string, ascii: boolean): boolean {
    try {
      writeWhole(this.fd, text, ascii);
      return true;
    } catch (error) {
      this.failure = `cannot write the audit log ${this.path}: ${(error as Error).message}`;
      return false;
    }
  }

  /** Closes the file. */
  close(): void {
    try {
      closeSync(this.fd);
    } catch {
      // Already closed.
    }
  }
}

/**
 * Writes `text` in one write, and throws when only part of it was written (a full disk, a file
 * size limit): the rest is not written after it, where another wrap's line may already follow.
 */
function writeWhole(fd: number, text: string, ascii: boolean): void {
  // ASCII's UTF-8 bytes are its latin1 bytes, which are copied rather than encoded.
  const written = writeSync(fd, text, null, ascii ? "latin1" : "utf8");
  const length = ascii ? text.length : Buffer.byteLength(text, "utf8");
  if (written < length)
    throw new Error(`only ${written} of ${length} bytes were written (is the disk full?)`);
}

/**
 * SHA-256 of the arguments in canonical JSON (keys sorted at every level), so equal calls hash equally.
 * `serialized` is JSON.stringify(args) where the caller has it already.
 */
export function argumentsHash(args: Record<string, unknown>, serialized?: string): string {
  return hash("sha256", canonicalJson(args, serialized), "hex");
}
