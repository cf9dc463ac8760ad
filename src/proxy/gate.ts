import type { ApprovalAnswer, Approver, AskedApproval } from "../approval/request.js";
import { type AuditLog, type AuditRecord, argumentsHash, isoTime } from "../audit/log.js";
import { classifyCall, listedTwice, profileListedTool } from "../classify/index.js";
import type { Classification, ToolProfile } from "../classify/types.js";
import { decideToolCall, hidingRule } from "../policy/decide.js";
import type { CompiledPolicy, CompiledRule, Decision, ToolCall } from "../policy/types.js";
import { Limiter, type LimitVerdict, type Reservation } from "../ratelimit/limiter.js";
import type { JsonObject, RequestId } from "../wire/jsonrpc.js";
import type { CallGate, PendingVerdict, ResponseSummary, Verdict } from "./call-gate.js";

export interface GateOptions {
  policy: CompiledPolicy;
  audit: AuditLog;
  sessionId: string;
  serverLabel: string;
  /** Milliseconds; injected so tests can drive time. */
  now?: () => number;
  /** Asks a person about require_approval calls; without one, they are denied. */
  approver?: Approver | null;
  /** Counts rate limits and budgets; by default one that counts session scope only (no shared store). */
  limiter?: Limiter;
  /** Our own diagnostics: stderr in wrap. */
  warn: (message: string) => void;
}

/**
 * Below the MCP SDK's default request timeout (60 s), so a client that does not reset its timeout
 * on progress hears our denial rather than giving up on its own first.
 */
export const DEFAULT_APPROVAL_TIMEOUT_SECONDS = 50;

/**
 * Everything between a parsed tools/call and the proxy's forward-or-deny: classification,
 * the pure policy decision, rate limits, approval and the audit line. Fails closed: any
 * exception here denies the call.
 */
export class Gate implements CallGate {
  private policy: CompiledPolicy;
  /** The profiles of the tools the server listed last, by name: what classifies their calls. */
  private readonly profiles = new Map<string, ToolProfile>();
  private readonly limiter: Limiter;
  private readonly now: () => number;
  private readonly approver: Approver | null;

  constructor(private readonly options: GateOptions) {
    this.policy = options.policy;
    this.now = options.now ?? Date.now;
    this.approver = options.approver ?? null;
    this.limiter =
      options.limiter ??
      new Limiter({
        serverLabel: options.serverLabel,
        sharedStore: () => ({ store: null, unavailableBecause: "no shared limit store was opened" }),
        now: this.now,
      });
  }

  /** The policy in force. */
  get currentPolicy(): CompiledPolicy {
    return this.policy;
  }

  /** Puts a reloaded policy in force from the next call; the counts of rules whose identity is unchanged survive. */
  setPolicy(policy: CompiledPolicy): void {
    this.policy = policy;
    this.limiter.retainOnly(policy);
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
    const listed = new Map<string, ToolProfile>();
    const names = result.tools.map((tool) => {
      const profile = profileListedTool(tool);
      if (profile === null) return null;
      const earlier = listed.get(profile.name);
      listed.set(profile.name, earlier === undefined ? profile : listedTwice(earlier, profile));
      return profile.name;
    });
    for (const [name, profile] of listed) this.profiles.set(name, profile);
    const visible = result.tools.filter((_tool, index) => {
      const name = names[index];
      const profile = name === null || name === undefined ? undefined : listed.get(name);
      if (profile === undefined || !enforce) return true;
      return hidingRule(this.policy, profile.name, this.toolClassification(profile)) === null;
    });
    return { ...result, tools: visible };
  }

  /**
   * Decides one tools/call. Synchronous unless a person must approve it. `argumentsJson` is
   * JSON.stringify(call.arguments) where the caller has it (the proxy forwards that same text).
   */
  decideCall(
    requestId: RequestId,
    call: ToolCall,
    progressToken: string | number | null,
    argumentsJson?: string,
  ): Verdict | PendingVerdict {
    try {
      return this.decideCallUnguarded(requestId, call, progressToken, argumentsJson);
    } catch (error) {
      this.options.warn(`internal error while deciding ${call.name}: ${(error as Error).stack ?? error}`);
      return {
        forward: false,
        denial: {
          tool: call.name,
          reason:
            "policylayer hit an internal error while deciding this call, so it was denied (fail closed)",
          rule: null,
        },
      };
    }
  }

  private decideCallUnguarded(
    requestId: RequestId,
    call: ToolCall,
    progressToken: string | number | null,
    argumentsJson: string | undefined,
  ): Verdict | PendingVerdict {
    const startedMs = this.now();
    const policy = this.policy;
    const profile = this.profiles.get(call.name);
    const classification = classifyCall(
      profile,
      call.name,
      call.arguments,
      policy.categoryOverrides.get(call.name),
    );
    // Hiding is about whole tools: a harmless call of a tool hidden by category is still a hidden tool's call.
    const toolClassification = profile ? this.toolClassification(profile) : classification;
    const decision = decideToolCall(policy, call, classification, toolClassification);
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

    const rule = decision.rule;
    // Calls of rules without limits pay nothing here.
    if (decision.action === "deny" || rule === null || rule.limits.length === 0) {
      return this.act(
        decision.action,
        null,
        requestId,
        call,
        classification,
        decision,
        record,
        startedMs,
        progressToken,
      );
    }
    // A call that waits for approval only checks now; it reserves once approved.
    const count = policy.mode === "monitor" || decision.action === "allow";
    const limited = this.limiter.reserve(policy, rule, call, count);
    const next = (verdict: LimitVerdict): Verdict | PendingVerdict => {
      if (!verdict.pass) return this.limitRefused(policy, record, startedMs, verdict);
      if (verdict.uncounted !== null) record.uncounted = verdict.uncounted;
      return this.act(
        decision.action,
        count ? verdict.reservation : { policy, rule },
        requestId,
        call,
        classification,
        decision,
        record,
        startedMs,
        progressToken,
      );
    };
    if (!(limited instanceof Promise)) return next(limited);
    // The shared store answers over the network: the call waits like one waiting for a person.
    let withdrawStage: ((reason: string) => void) | null = null;
    const verdict = limited.then((settled) => {
      const outcome = next(settled);
      if ("forward" in outcome) return outcome;
      withdrawStage = outcome.withdraw;
      return outcome.verdict;
    });
    return { verdict, withdraw: (reason) => withdrawStage?.(reason) };
  }

  /**
   * What the policy's action does once the limits let the call pass: forward (with the call's
   * reservation), deny, or ask a person (`limits` then names the rule whose limits are reserved on approval).
   */
  private act(
    action: Decision["action"],
    limits: Reservation | { policy: CompiledPolicy; rule: CompiledRule } | null,
    requestId: RequestId,
    call: ToolCall,
    classification: Classification,
    decision: Decision,
    record: AuditRecord,
    startedMs: number,
    progressToken: string | number | null,
  ): Verdict | PendingVerdict {
    const reservation = limits !== null && "settle" in limits ? limits : null;
    if (this.policy.mode === "monitor") {
      record.decision = "allow";
      if (action !== "allow")
        record.reason = `monitor mode: would ${action === "deny" ? "deny" : "require approval"}: ${record.reason}`;
      return this.forward(record, startedMs, reservation);
    }
    if (action === "allow") return this.forward(record, startedMs, reservation);
    if (action === "deny") return this.deny(record, { reason: record.reason });
    const onApproved =
      limits !== null && !("settle" in limits)
        ? (approvedMs: number) => this.reserveApproved(limits.policy, limits.rule, call, record, approvedMs)
        : null;
    return this.askForApproval(
      requestId,
      call,
      classification,
      decision,
      record,
      startedMs,
      progressToken,
      onApproved,
    );
  }

  /** A call over its limit (or whose limit store is down): denied, or in monitor mode let through with what it would meet. */
  private limitRefused(
    policy: CompiledPolicy,
    record: AuditRecord,
    startedMs: number,
    verdict: Extract<LimitVerdict, { pass: false }>,
  ): Verdict {
    if (policy.mode === "monitor") {
      record.decision = "allow";
      record.reason = `monitor mode: would deny: ${verdict.reason}`;
      return this.forward(record, startedMs, null);
    }
    return this.deny(
      record,
      verdict.retryAfterSeconds === undefined
        ? { reason: verdict.reason }
        : { reason: verdict.reason, retryAfterSeconds: verdict.retryAfterSeconds },
    );
  }

  /** An approved call reserves its limits now: the limit is checked again at this moment. */
  private reserveApproved(
    policy: CompiledPolicy,
    rule: CompiledRule,
    call: ToolCall,
    record: AuditRecord,
    approvedMs: number,
  ): Verdict | Promise<Verdict> {
    const settle = (verdict: LimitVerdict): Verdict => {
      if (!verdict.pass) {
        return this.deny(record, {
          reason: `approved, but meanwhile ${verdict.reason}`,
          ...(verdict.retryAfterSeconds === undefined
            ? {}
            : { retryAfterSeconds: verdict.retryAfterSeconds }),
        });
      }
      if (verdict.uncounted !== null) record.uncounted = verdict.uncounted;
      return this.forward(record, approvedMs, verdict.reservation);
    };
    const limited = this.limiter.reserve(policy, rule, call, true);
    return limited instanceof Promise ? limited.then(settle) : settle(limited);
  }

  private async approvalVerdict(
    pending: Promise<ApprovalAnswer>,
    record: AuditRecord,
    startedMs: number,
    onApproved: ((approvedMs: number) => Verdict | Promise<Verdict>) | null,
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
    const approvedMs = this.now();
    return onApproved === null ? this.forward(record, approvedMs, null) : onApproved(approvedMs);
  }

  private askForApproval(
    requestId: RequestId,
    call: ToolCall,
    classification: Classification,
    decision: Decision,
    record: AuditRecord,
    startedMs: number,
    progressToken: string | number | null,
    onApproved: ((approvedMs: number) => Verdict | Promise<Verdict>) | null,
  ): Verdict | PendingVerdict {
    const timeoutSeconds = decision.rule?.approval?.timeoutSeconds ?? DEFAULT_APPROVAL_TIMEOUT_SECONDS;
    const asked: AskedApproval | null =
      this.approver?.({ requestId, call, classification, decision, timeoutSeconds, progressToken }) ?? null;
    if (asked !== null) {
      this.options.audit.append({
        time: new Date(startedMs).toISOString(),
        event: "approval_request",
        session: this.options.sessionId,
        id: requestId,
        tool: call.name,
        rule: record.rule,
        reason: decision.reason,
        timeout_seconds: timeoutSeconds,
        args_sha256: record.args_sha256,
      });
    }
    if (asked === null) {
      return this.deny(record, {
        reason: `${decision.reason}. This call needs a person's approval, but nobody can be asked: the client did not declare the elicitation capability, and the local approval inbox is turned off (--no-approval-inbox) or unusable. Use a client that supports elicitation, or run wrap without --no-approval-inbox and answer with \`policylayer approvals --web\``,
      });
    }
    return {
      verdict: this.approvalVerdict(asked.answer, record, startedMs, onApproved),
      withdraw: asked.withdraw,
    };
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

  private forward(record: AuditRecord, startedMs: number, reservation: Reservation | null): Verdict {
    record.decision = "allow";
    return new ForwardedCall(record, startedMs, reservation, this.options.audit, this.now, this.options.warn);
  }

  private toolClassification(profile: ToolProfile): Classification {
    const override = this.policy.categoryOverrides.get(profile.name);
    return override ? classifyCall(profile, profile.name, {}, override) : profile.classification;
  }
}

/**
 * Ends that give back what the call reserved of its limits: it never reached the server, or the
 * server refused it with a JSON-RPC error. A result (isError included) and a server that exited
 * after the call reached it keep the count: the server may have acted.
 */
const RELEASING_ENDS: ReadonlySet<ResponseSummary> = new Set([
  "protocol_error",
  "cancelled",
  "not_forwarded",
]);

/** A call let through to the server; its audit line is written when it ends, once. */
class ForwardedCall {
  readonly forward = true;
  private finished = false;

  constructor(
    private readonly record: AuditRecord,
    private readonly startedMs: number,
    private readonly reservation: Reservation | null,
    private readonly audit: AuditLog,
    private readonly now: () => number,
    private readonly warn: (message: string) => void,
  ) {}

  finish(summary: ResponseSummary): void {
    if (this.finished) return;
    this.finished = true;
    if (this.reservation !== null) {
      if (RELEASING_ENDS.has(summary)) this.reservation.release();
      else this.reservation.settle();
    }
    // The record, not its line, waits for the answer: a few fields rather than a tree of string pieces.
    this.record.outcome = summary;
    this.record.duration_ms = this.now() - this.startedMs;
    if (!this.audit.appendCall(this.record) && this.audit.failed)
      this.warn(`${this.audit.failed}; further calls will be denied`);
  }
}
