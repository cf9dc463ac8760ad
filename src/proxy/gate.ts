import { type InClientAnswer, InClientApprovals } from "../approval/in-client.js";
import type { ApprovalAnswer, ApprovalRequest, Approver, AskedApproval } from "../approval/request.js";
import { type AuditLog, type AuditRecord, argsSha256, type CallLineHead, hashLater } from "../audit/log.js";
import { noLongerListed, profileToolList } from "../classify/index.js";
import type { Classification, ToolProfile } from "../classify/types.js";
import { asSentence } from "../display/sentence.js";
import {
  classifyForPolicy,
  readForPolicy,
  toolClassForPolicy,
  withRefusal,
} from "../policy/classification.js";
import { decideToolCall, hidingRule } from "../policy/decide.js";
import type { CompiledPolicy, CompiledRule, Decision, ToolCall } from "../policy/types.js";
import { Limiter, type LimitVerdict, type Reservation } from "../ratelimit/limiter.js";
import { declaresFormElicitation, type RoundTrip } from "../wire/era.js";
import { isJsonObject, type JsonObject, type RequestId } from "../wire/jsonrpc.js";
import { serializeParsed } from "../wire/serialize.js";
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
  private readonly limiter: Limiter;
  private readonly now: () => number;
  private readonly approver: Approver | null;
  /** 2026-07-28 approvals asked in the client, with our own signed requestState. */
  private readonly inClient: InClientApprovals;
  /** The server's requestStates of calls that may continue (one logical call, counted once). */
  private readonly continuations: ServerContinuations;
  /** What every forwarded call needs when it ends. */
  private readonly callEnd: CallEnd;
  /** Calls let through whose audit lines are not written ahead yet (see afterForwarding). */
  private leaving: ForwardedCall[] = [];

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
    this.inClient = new InClientApprovals(options.serverLabel, this.now);
    this.continuations = new ServerContinuations(MAX_CONTINUATIONS, this.now);
    this.callEnd = {
      audit: options.audit,
      continuations: this.continuations,
      now: this.now,
      warn: options.warn,
    };
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
    const listed = profileToolList(result);
    for (const [name, profile] of listed) this.profiles.set(name, profile);
    const visible = result.tools.filter((tool) => {
      const profile = isJsonObject(tool) && typeof tool.name === "string" ? listed.get(tool.name) : undefined;
      if (profile === undefined || !enforce) return true;
      return hidingRule(this.policy, profile.name, toolClassForPolicy(this.policy, profile)) === null;
    });
    return { ...result, tools: visible };
  }

  /**
   * The whole current list names these tools: one listed before and missing now keeps only its last
   * definition's most severe reading, with no schema, and each call also gets the unlisted reading.
   */
  wholeListNames(names: ReadonlySet<string>): void {
    for (const [name, profile] of this.profiles)
      if (!names.has(name)) this.profiles.set(name, noLongerListed(profile));
  }

  /** Whether the server's current list has defined this tool (one it no longer lists is not defined). */
  knowsTool(name: string): boolean {
    const profile = this.profiles.get(name);
    return profile !== undefined && profile.noLongerListed !== true;
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

  /**
   * Reads the call's arguments as the server will (against the tool's inputSchema): that reading is
   * classified, decided, audited, shown for approval and forwarded. Arguments that cannot be read so
   * are denied, naming the argument and what its schema wants.
   */
  private decideCallUnguarded(request: CallRequest): Verdict | PendingVerdict {
    const unavailable = request.definitionUnavailable;
    if (unavailable !== undefined) {
      const refusal = `policylayer could not read the definition of ${JSON.stringify(request.call.name)} from the server's tools/list (${unavailable}), so the call was denied (fail closed); try again once the server answers tools/list`;
      return this.decideRead(request, refusal);
    }
    const reading = readForPolicy(this.policy, this.profiles.get(request.call.name), request.call);
    if (!reading.changed) return this.decideRead(request, reading.refusal);
    const argumentsJson = serializeParsed(reading.call.arguments, "escaped");
    const verdict = this.decideRead({ ...request, call: reading.call, argumentsJson }, null);
    return withForwardedArguments(verdict, argumentsJson);
  }

  /** Decides a call whose arguments were read; `refusal`: why they could not be (the call is denied). */
  private decideRead(request: CallRequest, refusal: string | null): Verdict | PendingVerdict {
    const { id: requestId, call, argumentsJson } = request;
    const startedMs = this.now();
    const policy = this.policy;
    // Hiding is about whole tools: a harmless call of a tool hidden by category is still a hidden tool's call.
    const classes = classifyForPolicy(policy, this.profiles.get(call.name), call);
    const classification = classes.call;
    const decision = withRefusal(decideToolCall(policy, call, classification, classes.tool), refusal);
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
    const state = request.roundTrip.requestState;
    let inClient: Extract<InClientAnswer, { ok: true }> | null = null;
    let continuation: Continuation | null = null;
    if (state !== undefined) {
      const argsHash = argsSha256(record);
      const binding = { session: this.options.sessionId, tool: call.name, argsSha256: argsHash };
      const answer = this.inClient.answer(request.roundTrip, binding);
      if (answer !== null && !answer.ok) return this.deny(record, { reason: answer.reason });
      inClient = answer;
      if (answer === null) continuation = this.continuations.take(state, call.name, argsHash);
    }
    const firstId = inClient?.held.firstId ?? continuation?.firstId;
    if (firstId !== undefined) record.continues = firstId;
    const context: CallContext = {
      request,
      classification,
      decision,
      record,
      startedMs,
      inClient,
      approvedEarlierBy: continuation?.approvedBy ?? null,
    };

    const rule = decision.rule;
    // Calls of rules without limits pay nothing here; a server's continuation was counted with its first round.
    if (decision.action === "deny" || rule === null || rule.limits.length === 0 || continuation !== null) {
      return this.act(context, null);
    }
    const count = policy.mode === "monitor" || decision.action === "allow";
    // The answer to our own in-client approval: nothing was reserved while it was asked; on approval it is.
    if (inClient !== null && !count) {
      return this.act(context, { policy, rule });
    }
    // A call that waits for approval only checks now; it reserves once approved.
    const limited = this.limiter.reserve(policy, rule, call, count);
    const next = (verdict: LimitVerdict): Verdict | PendingVerdict => {
      if (!verdict.pass) return this.limitRefused(policy, record, startedMs, verdict);
      if (verdict.uncounted !== null) record.uncounted = verdict.uncounted;
      const limits = count ? verdict.reservation : { policy, rule };
      return this.act(context, limits);
    };
    if (!(limited instanceof Promise)) return next(limited);
    return pendingOn(limited.then(next));
  }

  /**
   * What the policy's action does once the call's limits let it pass: forward it (with its
   * reservation), deny it, or ask a person (then `limits` names the rule whose limits are reserved
   * on approval).
   */
  private act(context: CallContext, limits: Reservation | ApprovedLimits | null): Verdict | PendingVerdict {
    const { record, startedMs, inClient } = context;
    const action = context.decision.action;
    const reservation = limits !== null && "settle" in limits ? limits : null;
    const onApproved = limits !== null && "rule" in limits ? limits : null;
    // Forwarded after our approval: the round-trip members the call came with before we asked.
    const roundTrip = inClient?.held.roundTrip;
    if (this.policy.mode === "monitor") {
      record.decision = "allow";
      if (action !== "allow")
        record.reason = `monitor mode: would ${action === "deny" ? "deny" : "require approval"}: ${record.reason}`;
      return this.forward(record, startedMs, roundTrip, null, reservation);
    }
    if (action === "allow") return this.forward(record, startedMs, roundTrip, null, reservation);
    if (action === "deny") return this.deny(record, { reason: record.reason });
    if (inClient !== null) {
      const channel = "elicitation (in the client)";
      const answer = { ...inClient.answer, channel };
      const settled = this.settleApproval(
        answer,
        record,
        inClient.held.askedMs,
        roundTrip,
        onApproved,
        context,
      );
      return settled instanceof Promise ? pendingOn(settled) : settled;
    }
    if (context.approvedEarlierBy !== null) {
      record.reason = `${record.reason} (approved earlier in this call by ${context.approvedEarlierBy})`;
      return this.forward(record, startedMs, undefined, context.approvedEarlierBy, reservation);
    }
    return this.askForApproval(context, onApproved);
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
      return this.forward(record, startedMs, undefined, null, null);
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
    limits: ApprovedLimits,
    call: ToolCall,
    record: AuditRecord,
    forward: (reservation: Reservation) => Verdict,
  ): Verdict | Promise<Verdict> {
    const settle = (verdict: LimitVerdict): Verdict => {
      if (!verdict.pass) {
        return this.deny(record, {
          reason: `approved, but meanwhile the limit was reached: ${verdict.reason}`,
          ...(verdict.retryAfterSeconds === undefined
            ? {}
            : { retryAfterSeconds: verdict.retryAfterSeconds }),
        });
      }
      if (verdict.uncounted !== null) record.uncounted = verdict.uncounted;
      return forward(verdict.reservation);
    };
    const limited = this.limiter.reserve(limits.policy, limits.rule, call, true);
    return limited instanceof Promise ? limited.then(settle) : settle(limited);
  }

  private async approvalVerdict(
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
    return this.settleApproval(answer, context.record, context.startedMs, undefined, onApproved, context);
  }

  /**
   * The verdict on a person's answer, recorded; `roundTrip` as for forward. With `limits`, an
   * approved call reserves them now (asynchronously when the store answers over the network).
   */
  private settleApproval(
    answer: ApprovalAnswer,
    record: AuditRecord,
    startedMs: number,
    roundTrip: RoundTrip | undefined,
    limits: ApprovedLimits | null,
    context: CallContext,
  ): Verdict | Promise<Verdict> {
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
    const forward = (reservation: Reservation | null) =>
      this.forward(record, approvedMs, roundTrip, answer.decidedBy, reservation);
    return limits === null
      ? forward(null)
      : this.reserveApproved(limits, context.request.call, record, forward);
  }

  private askForApproval(context: CallContext, onApproved: ApprovedLimits | null): Verdict | PendingVerdict {
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
      this.recordApprovalRequest(record, decision, timeoutSeconds, startedMs);
      const binding = { session: this.options.sessionId, tool: call.name, argsSha256: argsSha256(record) };
      const held = { firstId: requestId, roundTrip: request.roundTrip, askedMs: startedMs };
      return { forward: false, inputRequired: this.inClient.ask(question, binding, held) };
    }
    const asked: AskedApproval | null = this.approver?.(question) ?? null;
    if (asked !== null) this.recordApprovalRequest(record, decision, timeoutSeconds, startedMs);
    if (asked === null) {
      return this.deny(record, {
        reason: `${asSentence(decision.reason)} This call needs a person's approval, but nobody can be asked: the client did not declare the elicitation capability, and the local approval inbox is turned off (--no-approval-inbox) or unusable. Use a client that supports elicitation, or run wrap without --no-approval-inbox and answer with \`policylayer approvals --web\``,
      });
    }
    return { verdict: this.approvalVerdict(asked.answer, context, onApproved), withdraw: asked.withdraw };
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
      args_sha256: argsSha256(record),
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
      time: this.options.audit.timeOf(decidedMs),
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
      args_sha256: "",
    };
    // Taken when first needed: for a call let through, once it has left (afterForwarding).
    hashLater(record, call.arguments, argumentsJson);
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
    roundTrip: RoundTrip | undefined,
    approvedBy: string | null,
    reservation: Reservation | null,
  ): Verdict {
    record.decision = "allow";
    const call = new ForwardedCall(record, startedMs, this.callEnd, approvedBy, roundTrip, reservation);
    this.leaving.push(call);
    return call;
  }

  /**
   * The calls let through since the last time have left (the proxy wrote them to the server): their
   * audit lines are written up to how they end now, while the server works, rather than when the
   * answer is on its way back.
   */
  afterForwarding(): void {
    const leaving = this.leaving;
    if (leaving.length === 0) return;
    this.leaving = [];
    for (const call of leaving) call.prepare();
  }
}

/** What a forwarded call needs when it ends: the log, the continuations table, the clock. */
interface CallEnd {
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

/** The rule whose limits an approved call reserves at the moment it is approved. */
interface ApprovedLimits {
  policy: CompiledPolicy;
  rule: CompiledRule;
}

/** One call on its way through the gate: what the later steps (limits, approval, forwarding) need of it. */
interface CallContext {
  request: CallRequest;
  classification: Classification;
  decision: Decision;
  record: AuditRecord;
  startedMs: number;
  /** On the retry that answers our own in-client approval: the answer and the held first round. */
  inClient: Extract<InClientAnswer, { ok: true }> | null;
  /** Who approved the logical call in an earlier round (a server's continuation), else null. */
  approvedEarlierBy: string | null;
}

/** A verdict the proxy waits for (the limit store answers over the network); nothing to withdraw meanwhile. */
function pendingOn(verdict: Promise<Verdict | PendingVerdict>): PendingVerdict {
  let withdrawStage: ((reason: string) => void) | null = null;
  const settled = verdict.then((outcome) => {
    if ("forward" in outcome) return outcome;
    withdrawStage = outcome.withdraw;
    return outcome.verdict;
  });
  return { verdict: settled, withdraw: (reason) => withdrawStage?.(reason) };
}

/** A verdict (now or after approval) that forwards the read arguments, `argumentsJson`, if it forwards. */
function withForwardedArguments(
  verdict: Verdict | PendingVerdict,
  argumentsJson: string,
): Verdict | PendingVerdict {
  if ("forward" in verdict) return forwardingArguments(verdict, argumentsJson);
  return {
    ...verdict,
    verdict: verdict.verdict.then((settled) => forwardingArguments(settled, argumentsJson)),
  };
}

function forwardingArguments(verdict: Verdict, argumentsJson: string): Verdict {
  if (verdict.forward) verdict.argumentsJson = argumentsJson;
  return verdict;
}

/** A call let through to the server; its audit line is written when it ends, once. */
class ForwardedCall {
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
