import type { InClientAnswer, InClientApprovals } from "../approval/in-client.js";
import type { ApprovalAnswer, ApprovalRequest, Approver, AskedApproval } from "../approval/request.js";
import { type AuditLog, type AuditRecord, argsSha256 } from "../audit/log.js";
import type { Classification } from "../classify/types.js";
import { asSentence } from "../display/sentence.js";
import type { CompiledPolicy, CompiledRule, Decision } from "../policy/types.js";
import type { Limiter, LimitVerdict, Reservation } from "../ratelimit/limiter.js";
import { declaresFormElicitation, type RoundTrip } from "../wire/era.js";
import type { CallRequest, PendingVerdict, Verdict } from "./call-gate.js";

/**
 * Below the MCP SDK's default request timeout (60 s), so a client that does not reset its timeout
 * on progress hears our denial rather than giving up on its own first.
 */
const DEFAULT_APPROVAL_TIMEOUT_SECONDS = 50;

/** The rule whose limits an approved call reserves at the moment it is approved. */
export interface ApprovedLimits {
  policy: CompiledPolicy;
  rule: CompiledRule;
}

/** One call on its way through the gate: what the later steps (limits, approval, forwarding) need of it. */
export interface CallContext {
  request: CallRequest;
  classification: Classification;
  decision: Decision;
  record: AuditRecord;
  startedMs: number;
  /** On the retry that answers our own in-client approval: the answer and the held first round. */
  inClient: Extract<InClientAnswer, { ok: true }> | null;
  /** Who approved the logical call in an earlier round (a server's continuation), else null. */
  approvedEarlierBy: string | null;
  /** The policy the call was decided by (a reload while it waits for a person puts another in force). */
  policy: CompiledPolicy;
}

/** What the approval stage needs of the gate: its parts, and how the gate denies or lets a call through. */
export interface ApprovalStageOptions {
  audit: AuditLog;
  sessionId: string;
  now: () => number;
  /** Asks a person outside the client; null: nobody can be asked that way. */
  approver: Approver | null;
  inClient: InClientApprovals;
  limiter: Limiter;
  /** The policy in force now, and its decision on a call (after a reload, an approved call is decided again). */
  currentPolicy(): CompiledPolicy;
  decideNow(call: CallContext["request"]["call"]): Decision;
  deny(record: AuditRecord, denial: { reason: string; retryAfterSeconds?: number }): Verdict;
  /** `approvedBy`: who approved the logical call, so that a continuation the server asks for is not asked again. */
  forward(
    record: AuditRecord,
    startedMs: number,
    roundTrip: RoundTrip | undefined,
    approvedBy: string | null,
    reservation: Reservation | null,
  ): Verdict;
}

/**
 * A require_approval call: a person is asked (in the client with 2026-07-28 elicitation, else
 * through the approver), the request and the answer are audited, and an approved call reserves its
 * limits at the moment it is approved.
 */
export class ApprovalStage {
  constructor(private readonly options: ApprovalStageOptions) {}

  /** Asks about the call; `onApproved`: the limits it reserves once approved. */
  ask(context: CallContext, onApproved: ApprovedLimits | null): Verdict | PendingVerdict {
    const { request, classification, decision, record, startedMs } = context;
    const { id: requestId, call, progressToken, era } = request;
    const timeoutSeconds = decision.rule?.approval?.timeoutSeconds ?? DEFAULT_APPROVAL_TIMEOUT_SECONDS;
    const question: ApprovalRequest = {
      requestId,
      call,
      classification,
      decision,
      timeoutSeconds,
      progressToken,
      era: era.era,
    };
    if (era.era === "modern" && declaresFormElicitation(era.clientCapabilities)) {
      // Asked in the client: the call is answered with our input_required; the retry brings the answer.
      this.recordRequest(record, decision, timeoutSeconds, startedMs);
      const binding = { session: this.options.sessionId, tool: call.name, argsSha256: argsSha256(record) };
      const held = { firstId: requestId, roundTrip: request.roundTrip, askedMs: startedMs };
      return { forward: false, inputRequired: this.options.inClient.ask(question, binding, held) };
    }
    const asked: AskedApproval | null = this.options.approver?.(question) ?? null;
    if (asked === null) {
      return this.options.deny(record, {
        reason: `${asSentence(decision.reason)} This call needs a person's approval, but nobody can be asked: the client did not declare the elicitation capability, and the local approval inbox is turned off (--no-approval-inbox) or unusable. Use a client that supports elicitation, or run wrap without --no-approval-inbox and answer with \`policylayer approvals --web\``,
      });
    }
    this.recordRequest(record, decision, timeoutSeconds, startedMs);
    return { verdict: this.answered(asked.answer, context, onApproved), withdraw: asked.withdraw };
  }

  /**
   * The verdict on a person's answer, recorded; `roundTrip`: the round-trip members to forward
   * instead of the request's. With `limits`, an approved call reserves them now (asynchronously
   * when the store answers over the network).
   */
  settle(
    answer: ApprovalAnswer,
    record: AuditRecord,
    startedMs: number,
    roundTrip: RoundTrip | undefined,
    limits: ApprovedLimits | null,
    context: CallContext,
  ): Verdict | Promise<Verdict> {
    const { audit, now, deny } = this.options;
    const waitedMs = now() - startedMs;
    record.approval = {
      channel: answer.channel,
      decided_by: answer.decidedBy,
      waited_ms: waitedMs,
      outcome: answer.approved ? "approved" : "denied",
    };
    if (!answer.approved) return deny(record, { reason: answer.reason });
    if (audit.failed !== null) {
      return deny(record, {
        reason: `the audit log cannot be written (${audit.failed}), so calls are denied`,
      });
    }
    record.reason = `${record.reason} (approved by ${answer.decidedBy} via ${answer.channel})`;
    const approvedMs = now();
    const forward = (reservation: Reservation | null) =>
      this.options.forward(record, approvedMs, roundTrip, answer.decidedBy, reservation);
    const policy = this.options.currentPolicy();
    if (policy === context.policy)
      return limits === null ? forward(null) : this.reserveApproved(limits, context, forward);
    // Reloaded while the call waited: the person approved this call, and the policy in force now
    // decides it too. It is denied if that policy denies it; else it counts against the limits of
    // the rule that decides it now (a new max, a budget added meanwhile).
    const decidedNow = this.options.decideNow(context.request.call);
    if (decidedNow.action === "deny" && policy.mode !== "monitor") {
      return deny(record, {
        reason: `approved, but meanwhile the policy was reloaded, and it denies this call: ${decidedNow.reason}`,
      });
    }
    const rule = decidedNow.rule;
    return rule === null || rule.limits.length === 0
      ? forward(null)
      : this.reserveApproved({ policy, rule }, context, forward);
  }

  private async answered(
    pending: Promise<ApprovalAnswer>,
    context: CallContext,
    onApproved: ApprovedLimits | null,
  ): Promise<Verdict> {
    let answer: ApprovalAnswer;
    try {
      answer = await pending;
    } catch (error) {
      answer = {
        approved: false,
        channel: "none",
        decidedBy: "policylayer",
        reason: `approval failed: ${(error as Error).message}`,
      };
    }
    return this.settle(answer, context.record, context.startedMs, undefined, onApproved, context);
  }

  /** An approved call reserves its limits now: the limit is checked again at this moment. */
  private reserveApproved(
    limits: ApprovedLimits,
    context: CallContext,
    forward: (reservation: Reservation) => Verdict,
  ): Verdict | Promise<Verdict> {
    const { record } = context;
    const settle = (verdict: LimitVerdict): Verdict => {
      if (!verdict.pass) {
        return this.options.deny(record, {
          reason: `approved, but meanwhile the limit was reached: ${verdict.reason}`,
          ...(verdict.retryAfterSeconds === undefined
            ? {}
            : { retryAfterSeconds: verdict.retryAfterSeconds }),
        });
      }
      if (verdict.uncounted !== null) record.uncounted = verdict.uncounted;
      return forward(verdict.reservation);
    };
    const { policy, rule } = limits;
    const limited = this.options.limiter.reserve(policy, rule, context.request.call, true);
    return limited instanceof Promise ? limited.then(settle) : settle(limited);
  }

  /** The audit line saying a person is asked about this call. */
  private recordRequest(
    record: AuditRecord,
    decision: Decision,
    timeoutSeconds: number,
    startedMs: number,
  ): void {
    this.options.audit.append({
      time: new Date(startedMs).toISOString(),
      event: "approval_request",
      session: this.options.sessionId,
      id: record.id,
      tool: record.tool,
      rule: record.rule,
      reason: decision.reason,
      timeout_seconds: timeoutSeconds,
      args_sha256: argsSha256(record),
      ...(record.continues === undefined ? {} : { continues: record.continues }),
    });
  }
}
