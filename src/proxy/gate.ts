import { type InClientAnswer, InClientApprovals } from "../approval/in-client.js";
import type { Approver } from "../approval/request.js";
import { type AuditLog, type AuditRecord, argsSha256, hashLater } from "../audit/log.js";
import { noLongerListed, profileToolList } from "../classify/index.js";
import type { Classification, ToolProfile } from "../classify/types.js";
import { visibleToolName } from "../display/visible.js";
import {
  classifyForPolicy,
  readForPolicy,
  toolClassForPolicy,
  withRefusal,
} from "../policy/classification.js";
import { decideToolCall, hidingRule } from "../policy/decide.js";
import type { CompiledPolicy, Decision, ToolCall } from "../policy/types.js";
import { Limiter, type LimitVerdict, type Reservation } from "../ratelimit/limiter.js";
import type { RoundTrip } from "../wire/era.js";
import { isJsonObject, type JsonObject, type RequestId } from "../wire/jsonrpc.js";
import { serializeParsed } from "../wire/serialize.js";
import { ApprovalStage, type ApprovedLimits, type CallContext } from "./approval-stage.js";
import type { CallGate, CallRequest, PendingVerdict, Verdict } from "./call-gate.js";
import { type Continuation, ServerContinuations } from "./continuations.js";
import { INTERNAL_ERROR_REASON } from "./denial.js";
import { type CallEnd, ForwardedCall, OpenCalls } from "./forwarded-call.js";

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

/** Server-issued states remembered at once per session, for counting a multi-round-trip call once. */
const MAX_CONTINUATIONS = 1024;

/** Whether `policy` hides the tool (by name, category or risk, `classify:` overrides counted). */
function hides(policy: CompiledPolicy, profile: ToolProfile): boolean {
  return hidingRule(policy, profile.name, toolClassForPolicy(policy, profile)) !== null;
}

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
  /** 2026-07-28 approvals asked in the client, with our own signed requestState. */
  private readonly inClient: InClientApprovals;
  /** Asking a person about require_approval calls. */
  private readonly approvals: ApprovalStage;
  /** The server's requestStates of calls that may continue (one logical call, counted once). */
  private readonly continuations: ServerContinuations;
  /** What every forwarded call needs when it ends. */
  private readonly callEnd: CallEnd;
  /** Calls let through whose audit lines are not written ahead yet (see afterForwarding). */
  private leaving: ForwardedCall[] = [];

  constructor(private readonly options: GateOptions) {
    this.policy = options.policy;
    this.now = options.now ?? Date.now;
    this.limiter =
      options.limiter ??
      new Limiter({
        serverLabel: options.serverLabel,
        sharedStore: () => ({ store: null, unavailableBecause: "no shared limit store was opened" }),
        now: this.now,
      });
    this.inClient = new InClientApprovals(options.serverLabel, this.now);
    this.approvals = new ApprovalStage({
      audit: options.audit,
      sessionId: options.sessionId,
      now: this.now,
      approver: options.approver ?? null,
      inClient: this.inClient,
      limiter: this.limiter,
      currentPolicy: () => this.policy,
      decideNow: (call) => {
        const classes = classifyForPolicy(this.policy, this.profiles.get(call.name), call);
        return decideToolCall(this.policy, call, classes.call, classes.tool);
      },
      deny: (record, denial) => this.deny(record, denial),
      forward: (record, startedMs, roundTrip, approvedBy, reservation) =>
        this.forward(record, startedMs, roundTrip, approvedBy, reservation),
    });
    this.continuations = new ServerContinuations(MAX_CONTINUATIONS, this.now);
    this.callEnd = {
      audit: options.audit,
      continuations: this.continuations,
      now: this.now,
      warn: options.warn,
      open: new OpenCalls(this.now),
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
      return !hides(this.policy, profile);
    });
    return { ...result, tools: visible };
  }

  /** The tools the server has listed that `policy` hides; null while no list has been seen. */
  hiddenToolNames(policy: CompiledPolicy): ReadonlySet<string> | null {
    if (this.profiles.size === 0) return null;
    const hidden = new Set<string>();
    if (policy.mode !== "enforce") return hidden;
    for (const profile of this.profiles.values()) if (hides(policy, profile)) hidden.add(profile.name);
    return hidden;
  }

  /**
   * The whole current list names these tools: one listed before and missing now keeps only its last
   * definition's most severe reading, with no schema, and each call also gets the unlisted reading.
   */
  wholeListNames(names: ReadonlySet<string>): void {
    for (const [name, profile] of this.profiles)
      if (!names.has(name)) this.profiles.set(name, noLongerListed(profile));
  }

  /** Decides one tools/call. Synchronous unless a person must approve it outside the client. */
  decideCall(request: CallRequest): Verdict | PendingVerdict {
    try {
      return this.decideCallUnguarded(request);
    } catch (error) {
      const tool = request.call.name;
      this.options.warn(
        `internal error while deciding ${visibleToolName(tool, 200)}: ${(error as Error).stack ?? error}`,
      );
      const reason = INTERNAL_ERROR_REASON;
      this.auditInternalError(request, reason);
      return { forward: false, denial: { tool, reason, rule: null } };
    }
  }

  /** Every decision is audited, one that failed too: classified as the call would be, else at its most severe. */
  private auditInternalError(request: CallRequest, reason: string): void {
    const { id, call, argumentsJson } = request;
    const policy = this.policy;
    let classification: Classification;
    try {
      classification = classifyForPolicy(policy, this.profiles.get(call.name), call).call;
    } catch {
      classification = { category: "destructive", risk: "critical", signals: [] };
    }
    const decision: Decision = { action: "deny", rule: null, reason, hidden: false };
    try {
      const record = this.baseRecord(id, call, classification, decision, policy, argumentsJson, this.now());
      if (!this.options.audit.appendCall(record) && this.options.audit.failed)
        this.options.warn(this.options.audit.failed);
    } catch (error) {
      this.options.warn(`the audit line of that denial could not be written: ${(error as Error).message}`);
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
      policy,
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
      // A check counts nothing: an approved call's line says what its own reservation met.
      if (count && verdict.uncounted !== null) record.uncounted = verdict.uncounted;
      const limits = count ? verdict.reservation : { policy, rule };
      return this.act(context, limits);
    };
    if (!(limited instanceof Promise)) return next(limited);
    // Withdrawn while the store was asked (the client cancelled, the server exited): a call that
    // would wait for a person asks nobody; it holds nothing (a counted one ends as cancelled).
    return pendingOn(limited, (verdict, withdrawn) =>
      withdrawn !== null && !count ? this.deny(record, { reason: withdrawn }) : next(verdict),
    );
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
    // The policy the call was decided by: a reload while the store answered applies from the next call.
    if (context.policy.mode === "monitor") {
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
      const settled = this.approvals.settle(
        answer,
        record,
        inClient.held.askedMs,
        roundTrip,
        onApproved,
        context,
      );
      return settled instanceof Promise ? pendingOn(settled, (verdict) => verdict) : settled;
    }
    if (context.approvedEarlierBy !== null) {
      record.reason = `${record.reason} (approved earlier in this call by ${context.approvedEarlierBy})`;
      return this.forward(record, startedMs, undefined, context.approvedEarlierBy, reservation);
    }
    return this.approvals.ask(context, onApproved);
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

/**
 * A verdict the proxy waits for (the limit store answers over the network): `then` makes it from
 * the store's answer, told why the call was withdrawn meanwhile (null: it was not); a person's
 * question it asks can be withdrawn after.
 */
function pendingOn<T>(
  waited: Promise<T>,
  then: (value: T, withdrawn: string | null) => Verdict | PendingVerdict,
): PendingVerdict {
  let withdrawn: string | null = null;
  let withdrawStage: ((reason: string) => void) | null = null;
  const settled = waited.then((value) => {
    const outcome = then(value, withdrawn);
    if ("forward" in outcome) return outcome;
    withdrawStage = outcome.withdraw;
    return outcome.verdict;
  });
  return {
    verdict: settled,
    withdraw: (reason) => {
      withdrawn ??= reason;
      withdrawStage?.(reason);
    },
  };
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
