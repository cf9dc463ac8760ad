import { type AuditLog, type AuditRecord, argsSha256, type CallLineHead } from "../audit/log.js";
import type { Reservation } from "../ratelimit/limiter.js";
import type { RoundTrip } from "../wire/era.js";
import type { ForwardVerdict, ResponseSummary } from "./call-gate.js";
import type { Continuation, ServerContinuations } from "./continuations.js";

/** What a forwarded call needs when it ends: the log, the continuations table, the clock. */
export interface CallEnd {
  audit: AuditLog;
  continuations: ServerContinuations;
  now: () => number;
  warn: (message: string) => void;
}

/**
 * Ends that give back what the call reserved of its limits: it never reached the server, or the
 * server refused it with a JSON-RPC error. A result (isError included, input_required too: the
 * logical call goes on) and a server that exited after the call reached it keep the count, as does
 * a call the client cancelled after it was forwarded (cancelledByClient settles it first).
 */
const RELEASING_ENDS: ReadonlySet<ResponseSummary> = new Set([
  "protocol_error",
  "cancelled",
  "not_forwarded",
]);

/** A call let through to the server; its audit line is written when it ends, once. */
export class ForwardedCall implements ForwardVerdict {
  readonly forward = true;
  private finished = false;
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
  ) {}

  /** Writes the audit line ahead up to how the call ends (the record does not change until then). */
  prepare(): void {
    if (!this.finished && this.head === null) this.head = this.end.audit.callHead(this.record);
  }

  cancelledByClient(): void {
    this.reservation?.settle();
  }

  finish(summary: ResponseSummary, requestState?: string): void {
    if (this.finished) return;
    this.finished = true;
    const { record, end } = this;
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
    if (!end.audit.appendCall(record, this.head ?? undefined) && end.audit.failed)
      end.warn(`${end.audit.failed}; further calls will be denied`);
  }
}
