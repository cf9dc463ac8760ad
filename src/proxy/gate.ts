import { InClientApprovals } from "../approval/in-client.js";
import type { ApprovalAnswer, ApprovalRequest, Approver, AskedApproval } from "../approval/request.js";
import { type AuditLog, type AuditRecord, argumentsHash, isoTime } from "../audit/log.js";
import { profileToolList } from "../classify/index.js";
import type { Classification, ToolProfile } from "../classify/types.js";
import { classifyForPolicy, toolClassForPolicy } from "../policy/classification.js";
import { decideToolCall, hidingRule } from "../policy/decide.js";
import type { CompiledPolicy, Decision, ToolCall } from "../policy/types.js";
import { SlidingWindowLimiter } from "../ratelimit/sliding-window.js";
import { declaresFormElicitation, type RoundTrip } from "../wire/era.js";
import { isJsonObject, type JsonObject, type RequestId } from "../wire/jsonrpc.js";
import type { CallGate, CallRequest, PendingVerdict, ResponseSummary, Verdict } from "./call-gate.js";
import { type Continuation, ServerContinuations } from "./continuations.js";

export interface GateOptions {
  policy: CompiledPolicy;
  audit: AuditLog;
  sessionId: string;
  serverLabel: string;
  /** Milliseconds; injected so tests can drive time. */
  now?: () => number;
  /** Asks a person about require_approval calls; without one, they are denied. */
  approver?: Approver | null;
  /** Our own diagnostics: stderr in wrap. */
  warn: (message: string) => void;
}

/**
 * Below the MCP SDK's default request timeout (60 s), so a client that does not reset its timeout
 * on progress hears our denial rather than giving up on its own first.
 */
export const DEFAULT_APPROVAL_TIMEOUT_SECONDS = 50;
/** Server-issued states remembered at once per session, for counting a multi-round-trip call once. */
const MAX_CONTINUATIONS = 1024;

/**
 * Everything between a parsed tools/call and the proxy's forward-or-deny: classification,
 * the pure policy decision, rate limits, approval and the audit line. Fails closed: any
 * exception here denies the call.
 */
export class Gate implements CallGate {
  private policy: CompiledPolicy;
  /** The profiles of the tools the server listed last, by name: what classifies their calls. */
  private readonly profiles = new Map<string, ToolProfile>();
  private readonly limiter = new SlidingWindowLimiter();
  private readonly now: () => number;
  private readonly approver: Approver | null;
  /** 2026-07-28 approvals asked in the client, with our own signed requestState. */
  private readonly inClient: InClientApprovals;
  /** The server's requestStates of calls that may continue (one logical call, counted once). */
  private readonly continuations: ServerContinuations;

  constructor(private readonly options: GateOptions) {
    this.policy = options.policy;
    this.now = options.now ?? Date.now;
    this.approver = options.approver ?? null;
    this.inClient = new InClientApprovals(options.serverLabel, this.now);
    this.continuations = new ServerContinuations(MAX_CONTINUATIONS, this.now);
  }

  /** The policy in force. */
  get currentPolicy(): CompiledPolicy {
    return this.policy;
  }

  /** Puts a reloaded policy in force from the next call; rate-limit counts of unchanged rules survive. */
  setPolicy(policy: CompiledPolicy): void {
    this.policy = policy;
    this.limiter.retainOnly(
      policy.rules.filter((rule) => rule.rateLimit !== null).map((rule) => rule.fingerprint),
    );
  }

  /** Runs `work` (one chunk of server output) with the audit lines of the calls it finishes written in one write. */
  finishing(work: () => void): void {
    const audit = this.options.audit;
    const healthy = audit.failed === null;
    audit.batch(work);
    if (healthy && audit.failed !== null) this.options.warn(`${audit.failed}; further calls will be denied`);
  }

  /** Learns the profiles of the listed tools (for classifying their calls) and removes the hidden ones from the result. */
  listedTools(result: JsonObject): JsonObject {
    if (!Array.isArray(result.tools)) return result;
    const enforce = this.policy.mode === "enforce";
    // Profiled first, so that a tool listed twice is hidden or shown by its merged (more severe) reading.
    const listed = profileToolList(result);
    for (const [name, profile] of listed) this.profiles.set(name, profile);
    const visible = result.tools.filter((tool) => {
      const profile = isJsonObject(tool) && typeof tool.name === "string" ? listed.get(tool.name) : undefined;
      if (profile === undefined || !enforce) return true;
      return hidingRule(this.policy, profile.name, toolClassForPolicy(this.policy, profile)) === null;
    });
    return { ...result, tools: visible };
  }

  /** Whether the server's list has defined this tool. */
  knowsTool(name: string): boolean {
    return this.profiles.has(name);
  }

  /** Decides one tools/call. Synchronous unless a person must approve it outside the client. */
  decideCall(request: CallRequest): Verdict | PendingVerdict {
    try {
      return this.decideCallUnguarded(request);
    } catch (error) {
      const tool = request.call.name;
      this.options.warn(`internal error while deciding ${tool}: ${(error as Error).stack ?? error}`);
      return {
        forward: false,
        denial: {
          tool,
          reason:
            "policylayer hit an internal error while deciding this call, so it was denied (fail closed)",
          rule: null,
        },
      };
    }
  }

  private decideCallUnguarded(request: CallRequest): Verdict | PendingVerdict {
    const { id: requestId, call, argumentsJson, definitionUnavailable } = request;
    const startedMs = this.now();
    const policy = this.policy;
    // Hiding is about whole tools: a harmless call of a tool hidden by category is still a hidden tool's call.
    const classes = classifyForPolicy(policy, this.profiles.get(call.name), call);
    const classification = classes.call;
    const decision = decideToolCall(policy, call, classification, classes.tool);
    const record = this.baseRecord(
      requestId,
      call,
      classification,
      decision,
      policy,
      argumentsJson,
      startedMs,
    );

    if (this.options.audit.failed !== null) {
      return this.deny(record, {
        reason: `the audit log cannot be written (${this.options.audit.failed}), so calls are denied`,
      });
    }

    // A later round of a 2026-07-28 call: the answer to our approval, or the server's continuation.
    const binding = { session: this.options.sessionId, tool: call.name, argsSha256: record.args_sha256 };
    const inClient = this.inClient.answer(request.roundTrip, binding);
    if (inClient !== null && !inClient.ok) return this.deny(record, { reason: inClient.reason });
    const state = request.roundTrip.requestState;
    const continuation =
      inClient === null && state !== undefined
        ? this.continuations.take(state, call.name, record.args_sha256)
        : null;
    const held = inClient?.held;
    const firstId = held?.firstId ?? continuation?.firstId;
    if (firstId !== undefined) record.continues = firstId;
    // Forwarded after our approval: the round-trip members the call came with before we asked.
    const roundTrip = held?.roundTrip;

    let action = decision.action;
    let retryAfterSeconds: number | undefined;
    let reason = decision.reason;
    if (definitionUnavailable !== undefined) {
      action = "deny";
      reason = `policylayer could not read the definition of ${JSON.stringify(call.name)} from the server's tools/list (${definitionUnavailable}), so the call was denied (fail closed); try again once the server answers tools/list`;
    }
    const limit = decision.rule?.rateLimit;
    // A later round was counted with its first round: one logical call, counted once.
    if (action !== "deny" && limit && decision.rule && firstId === undefined) {
      const windowMs = limit.windowSeconds * 1000;
      const retryAfterMs = this.limiter.take(decision.rule.fingerprint, limit.max, windowMs, startedMs);
      if (retryAfterMs > 0) {
        action = "deny";
        retryAfterSeconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
        reason = `rate limit of rule ${decision.rule.index + 1}: at most ${limit.max} calls in ${limit.windowSeconds} s${
          decision.rule.reason ? ` (${decision.rule.reason})` : ""
        }`;
      }
    }
    record.reason = reason;

    if (policy.mode === "monitor") {
      record.decision = "allow";
      if (action !== "allow")
        record.reason = `monitor mode: would ${action === "deny" ? "deny" : "require approval"}: ${reason}`;
      return this.forward(record, startedMs, roundTrip);
    }
    if (action === "allow") return this.forward(record, startedMs, roundTrip);
    if (action === "deny") {
      return this.deny(record, retryAfterSeconds === undefined ? { reason } : { reason, retryAfterSeconds });
    }
    if (inClient !== null) {
      const channel = "elicitation (in the client)";
      return this.settleApproval({ ...inClient.answer, channel }, record, inClient.held.askedMs, roundTrip);
    }
    if (continuation?.approvedBy) {
      record.reason = `${record.reason} (approved earlier in this call by ${continuation.approvedBy})`;
      return this.forward(record, startedMs, undefined, continuation.approvedBy);
    }
    return this.askForApproval(request, classification, decision, record, startedMs);
  }

  private async approvalVerdict(
    pending: Promise<ApprovalAnswer>,
    record: AuditRecord,
    startedMs: number,
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
    return this.settleApproval(answer, record, startedMs);
  }

  /** The verdict on a person's answer, recorded; `roundTrip` as for forward. */
  private settleApproval(
    answer: ApprovalAnswer,
    record: AuditRecord,
    startedMs: number,
    roundTrip?: RoundTrip,
  ): Verdict {
    const waitedMs = this.now() - startedMs;
    record.approval = {
      channel: answer.channel,
      decided_by: answer.decidedBy,
      waited_ms: waitedMs,
      outcome: answer.approved ? "approved" : "denied",
    };
    if (!answer.approved) return this.deny(record, { reason: answer.reason });
    if (this.options.audit.failed !== null) {
      return this.deny(record, {
        reason: `the audit log cannot be written (${this.options.audit.failed}), so calls are denied`,
      });
    }
    record.reason = `${record.reason} (approved by ${answer.decidedBy} via ${answer.channel})`;
    return this.forward(record, this.now(), roundTrip, answer.decidedBy);
  }

  private askForApproval(
    request: CallRequest,
    classification: Classification,
    decision: Decision,
    record: AuditRecord,
    startedMs: number,
  ): Verdict | PendingVerdict {
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
      this.recordApprovalRequest(record, decision, timeoutSeconds, startedMs);
      const binding = { session: this.options.sessionId, tool: call.name, argsSha256: record.args_sha256 };
      const held = { firstId: requestId, roundTrip: request.roundTrip, askedMs: startedMs };
      return { forward: false, inputRequired: this.inClient.ask(question, binding, held) };
    }
    const asked: AskedApproval | null = this.approver?.(question) ?? null;
    if (asked !== null) this.recordApprovalRequest(record, decision, timeoutSeconds, startedMs);
    if (asked === null) {
      return this.deny(record, {
        reason: `${decision.reason}. This call needs a person's approval, but nobody can be asked: the client did not declare the elicitation capability, and the local approval inbox is turned off (--no-approval-inbox) or unusable. Use a client that supports elicitation, or run wrap without --no-approval-inbox and answer with \`policylayer approvals --web\``,
      });
    }
    return { verdict: this.approvalVerdict(asked.answer, record, startedMs), withdraw: asked.withdraw };
  }

  /** The audit line saying a person is asked about this call. */
  private recordApprovalRequest(
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
      args_sha256: record.args_sha256,
      ...(record.continues === undefined ? {} : { continues: record.continues }),
    });
  }

  private baseRecord(
    requestId: RequestId,
    call: ToolCall,
    classification: Classification,
    decision: Decision,
    policy: CompiledPolicy,
    argumentsJson: string | undefined,
    decidedMs: number,
  ): AuditRecord {
    const record: AuditRecord = {
      time: isoTime(decidedMs),
      session: this.options.sessionId,
      server: this.options.serverLabel,
      event: "tools/call",
      id: requestId,
      tool: call.name,
      decision: "deny",
      policy_action: decision.action,
      mode: policy.mode,
      rule: decision.rule ? { index: decision.rule.index, tool: decision.rule.toolPatterns } : null,
      reason: decision.reason,
      category: classification.category,
      risk: classification.risk,
      args_sha256: argumentsHash(call.arguments, argumentsJson),
    };
    if (policy.audit.includeArguments) record.arguments = call.arguments;
    return record;
  }

  private deny(record: AuditRecord, denial: { reason: string; retryAfterSeconds?: number }): Verdict {
    record.decision = "deny";
    record.reason = denial.reason;
    if (!this.options.audit.appendCall(record) && this.options.audit.failed)
      this.options.warn(this.options.audit.failed);
    return { forward: false, denial: { tool: record.tool, rule: record.rule, ...denial } };
  }

  /**
   * Lets the call through. `roundTrip`: the round-trip members to forward instead of the request's
   * (after our own approval round). `approvedBy`: who approved the logical call, so that a
   * continuation the server asks for is not asked again.
   */
  private forward(
    record: AuditRecord,
    startedMs: number,
    roundTrip?: RoundTrip,
    approvedBy: string | null = null,
  ): Verdict {
    record.decision = "allow";
    const end: CallEnd = {
      audit: this.options.audit,
      continuations: this.continuations,
      now: this.now,
      warn: this.options.warn,
    };
    return new ForwardedCall(record, startedMs, end, approvedBy, roundTrip);
  }
}

/** What a forwarded call needs when it ends: the log, the continuations table, the clock. */
interface CallEnd {
  audit: AuditLog;
  continuations: ServerContinuations;
  now: () => number;
  warn: (message: string) => void;
}

/** A call let through to the server; its audit line is written when it ends, once. */
class ForwardedCall {
  readonly forward = true;
  private finished = false;

  constructor(
    private readonly record: AuditRecord,
    private readonly startedMs: number,
    private readonly end: CallEnd,
    private readonly approvedBy: string | null,
    readonly roundTrip: RoundTrip | undefined,
  ) {}

  finish(summary: ResponseSummary, requestState?: string): void {
    if (this.finished) return;
    this.finished = true;
    const { record, end } = this;
    // The record, not its line, waits for the answer: a few fields rather than a tree of string pieces.
    record.outcome = summary;
    record.duration_ms = end.now() - this.startedMs;
    if (summary === "input_required" && requestState !== undefined) {
      const continuation: Continuation = {
        firstId: record.continues ?? record.id,
        tool: record.tool,
        argsSha256: record.args_sha256,
        approvedBy: this.approvedBy,
      };
      end.continuations.remember(requestState, continuation);
    }
    if (!end.audit.appendCall(record) && end.audit.failed)
      end.warn(`${end.audit.failed}; further calls will be denied`);
  }
}
