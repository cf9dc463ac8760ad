import { type AuditLog, type AuditRecord, argsSha256, type CallLineHead } from "../audit/log.js";
import type { Reservation } from "../ratelimit/limiter.js";
import type { RoundTrip } from "../wire/era.js";
import type { ForwardVerdict, ResponseSummary } from "./call-gate.js";
import type { Continuation, ServerContinuations } from "./continuations.js";

/** What a forwarded call needs when it ends: the log, the continuations table, the clock, the open calls. */
export interface CallEnd {
  audit: AuditLog;
  continuations: ServerContinuations;
  now: () => number;
  warn: (message: string) => void;
  open: OpenCalls;
}

/** A forwarded call still open this long after it left gets a `tools/call_forwarded` line then. */
export const OPEN_CALL_LINE_MS = 1000;

/**
 * The forwarded calls that have not ended. A call's line is written when it ends; one that is still
 * open OPEN_CALL_LINE_MS after it left is written then as well (event `tools/call_forwarded`), so
 * that a call which reached the server is in the log even if wrap is killed before it ends. One
 * timer for all, running only while calls are open; a call that ends sooner costs a set entry.
 */
export class OpenCalls {
  private readonly calls = new Set<ForwardedCall>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly now: () => number,
    private readonly afterMs = OPEN_CALL_LINE_MS,
  ) {}

  add(call: ForwardedCall): void {
    this.calls.add(call);
    if (this.timer === null) {
      this.timer = setInterval(() => this.sweep(), this.afterMs / 2);
      this.timer.unref();
    }
  }

  delete(call: ForwardedCall): void {
    this.calls.delete(call);
  }

  private sweep(): void {
    const now = this.now();
    for (const call of this.calls) {
      if (now - call.forwardedMs < this.afterMs) continue;
      this.calls.delete(call);
      call.writeOpenLine();
    }
    if (this.calls.size === 0 && this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }
}

/**
 * Ends that give back what the call reserved of its limits: it never reached the server, or the
 * server refused it with a JSON-RPC error. A result (isError included, input_required too: the
 * logical call goes on) and a server that exited after the call reached it keep the count, as do
 * a call the client cancelled after it was forwarded and one whose answer could not be passed on
 * (reachedServer settles them first).
 */
const RELEASING_ENDS: ReadonlySet<ResponseSummary> = new Set([
  "protocol_error",
  "cancelled",
  "not_forwarded",
]);

/** A call let through to the server; its audit line is written when it ends, once (see OpenCalls for one that takes long). */
export class ForwardedCall implements ForwardVerdict {
  readonly forward = true;
  private finished = false;
  /** When it was let through (after any approval). */
  readonly forwardedMs: number;
  /** The audit line up to how the call ends, once prepared. */
  private head: CallLineHead | null = null;
  /** The arguments to forward, where reading them as the server will changed them. */
  argumentsJson: string | undefined = undefined;

  constructor(
    private readonly record: AuditRecord,
    private readonly startedMs: number,
    private readonly end: CallEnd,
    private readonly approvedBy: string | null,
    readonly roundTrip: RoundTrip | undefined,
    private readonly reservation: Reservation | null,
  ) {
    this.forwardedMs = end.now();
    end.open.add(this);
  }

  /** The call has been open a while: its line so far, as `tools/call_forwarded` (its `tools/call` line follows when it ends). */
  writeOpenLine(): void {
    if (this.finished) return;
    const { record, end } = this;
    argsSha256(record);
    this.written(end.audit.append({ ...record, event: "tools/call_forwarded" }));
  }

  /** Says on stderr when an audit line could not be written (from then on every call is denied). */
  private written(appended: boolean): void {
    if (!appended && this.end.audit.failed)
      this.end.warn(`${this.end.audit.failed}; further calls will be denied`);
  }

  /** Writes the audit line ahead up to how the call ends (the record does not change until then). */
  prepare(): void {
    if (!this.finished && this.head === null) this.head = this.end.audit.callHead(this.record);
  }

  reachedServer(): void {
    this.reservation?.settle();
  }

  finish(summary: ResponseSummary, requestState?: string): void {
    if (this.finished) return;
    this.finished = true;
    const { record, end } = this;
    end.open.delete(this);
    if (this.reservation !== null) {
      if (RELEASING_ENDS.has(summary)) this.reservation.release();
      else this.reservation.settle();
    }
    // The record, not its line, waits for the answer: a few fields rather than a tree of string pieces.
    record.outcome = summary;
    record.duration_ms = end.now() - this.startedMs;
    if (summary === "input_required" && requestState !== undefined) {
      const continuation: Continuation = {
        firstId: record.continues ?? record.id,
        tool: record.tool,
        argsSha256: argsSha256(record),
        approvedBy: this.approvedBy,
      };
      end.continuations.remember(requestState, continuation);
    }
    this.written(end.audit.appendCall(record, this.head ?? undefined));
  }
}
