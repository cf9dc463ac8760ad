import type { ApprovalAnswer, Approver, AskedApproval } from "../approval/request.js";
import { type AuditLog, type AuditRecord, argumentsHash, isoTime } from "../audit/log.js";
import { classifyCall, listedTwice, profileListedTool } from "../classify/index.js";
import type { Classification, ToolProfile } from "../classify/types.js";
import { decideToolCall, hidingRule } from "../policy/decide.js";
import type { CompiledPolicy, Decision, ToolCall } from "../policy/types.js";
import { SlidingWindowLimiter } from "../ratelimit/sliding-window.js";
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
  private readonly limiter = new SlidingWindowLimiter();
  private readonly now: () => number;
  private readonly approver: Approver | null;

  constructor(private readonly options: GateOptions) {
    this.policy = options.policy;
    this.now = options.now ?? Date.now;
    this.approver = options.approver ?? null;
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

  /** Whether the server's list has defined this tool. */
  knowsTool(name: string): boolean {
    return this.profiles.has(name);
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
    definitionUnavailable?: string,
  ): Verdict | PendingVerdict {
    try {
      return this.decideCallUnguarded(requestId, call, progressToken, argumentsJson, definitionUnavailable);
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
    definitionUnavailable: string | undefined,
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

    let action = decision.action;
    let retryAfterSeconds: number | undefined;
    let reason = decision.reason;
    if (definitionUnavailable !== undefined) {
      action = "deny";
      reason = `policylayer could not read the definition of ${JSON.stringify(call.name)} from the server's tools/list (${definitionUnavailable}), so the call was denied (fail closed); try again once the server answers tools/list`;
    }
    const limit = decision.rule?.rateLimit;
    if (action !== "deny" && limit && decision.rule) {
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
      return this.forward(record, startedMs);
    }
    if (action === "allow") return this.forward(record, startedMs);
    if (action === "deny") {
      return this.deny(record, retryAfterSeconds === undefined ? { reason } : { reason, retryAfterSeconds });
    }
    return this.askForApproval(requestId, call, classification, decision, record, startedMs, progressToken);
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
    return this.forward(record, this.now());
  }

  private askForApproval(
    requestId: RequestId,
    call: ToolCall,
    classification: Classification,
    decision: Decision,
    record: AuditRecord,
    startedMs: number,
    progressToken: string | number | null,
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
    return { verdict: this.approvalVerdict(asked.answer, record, startedMs), withdraw: asked.withdraw };
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

  private forward(record: AuditRecord, startedMs: number): Verdict {
    record.decision = "allow";
    return new ForwardedCall(record, startedMs, this.options.audit, this.now, this.options.warn);
  }

  private toolClassification(profile: ToolProfile): Classification {
    const override = this.policy.categoryOverrides.get(profile.name);
    return override ? classifyCall(profile, profile.name, {}, override) : profile.classification;
  }
}

/** A call let through to the server; its audit line is written when it ends, once. */
class ForwardedCall {
  readonly forward = true;
  private finished = false;

  constructor(
    private readonly record: AuditRecord,
    private readonly startedMs: number,
    private readonly audit: AuditLog,
    private readonly now: () => number,
    private readonly warn: (message: string) => void,
  ) {}

  finish(summary: ResponseSummary): void {
    if (this.finished) return;
    this.finished = true;
    // The record, not its line, waits for the answer: a few fields rather than a tree of string pieces.
    this.record.outcome = summary;
    this.record.duration_ms = this.now() - this.startedMs;
    if (!this.audit.appendCall(this.record) && this.audit.failed)
      this.warn(`${this.audit.failed}; further calls will be denied`);
  }
}
