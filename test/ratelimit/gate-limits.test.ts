import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { ApprovalAnswer, Approver } from "../../src/approval/request.js";
import { AuditLog } from "../../src/audit/log.js";
import { parsePolicy } from "../../src/policy/load.js";
import type { CompiledPolicy } from "../../src/policy/types.js";
import type { PendingVerdict, Verdict } from "../../src/proxy/call-gate.js";
import { Gate } from "../../src/proxy/gate.js";
import { Limiter } from "../../src/ratelimit/limiter.js";
import { LocalLimitStore } from "../../src/ratelimit/local-store.js";
import type { SharedLimitStore, StoreAnswer } from "../../src/ratelimit/store.js";
import { requestEraOf } from "../../src/wire/era.js";
import { ExactNumber } from "../../src/wire/exact-number.js";
import { stringifyJson } from "../../src/wire/json.js";
import { tempDir } from "../helpers/tmp.js";

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function policyFrom(yaml: string): CompiledPolicy {
  const parsed = parsePolicy(yaml, "test.yaml");
  if (!parsed.ok) throw new Error(`test policy does not validate: ${parsed.errors[0]?.message}`);
  return parsed.policy;
}

/** A folder with one local store file that several gates ("wraps") share. */
function machine(): string {
  const dir = tempDir();
  cleanups.push(dir.cleanup);
  return dir.path;
}

/** A gate as one wrap runs it, counting shared limits in the machine's local store. */
function gateOn(dir: string, policy: CompiledPolicy, approver: Approver | null = null): Gate {
  const store = LocalLimitStore.open(join(dir, "limits.db"));
  cleanups.push(() => store.close());
  const audit = AuditLog.open(join(dir, `audit-${cleanups.length}.jsonl`), { event: "session_start" });
  cleanups.push(() => audit.close());
  const limiter = new Limiter({
    serverLabel: "test-server",
    sharedStore: () => ({ store, unavailableBecause: "" }),
  });
  return new Gate({
    policy,
    audit,
    sessionId: "s",
    serverLabel: "test-server",
    approver,
    limiter,
    warn: () => {},
  });
}

let nextId = 1;
function decide(gate: Gate, name: string, args: Record<string, unknown> = {}): Verdict | PendingVerdict {
  return gate.decideCall({
    id: nextId++,
    call: { name, arguments: args },
    progressToken: null,
    argumentsJson: stringifyJson(args),
    era: requestEraOf(undefined),
    roundTrip: {},
  });
}

/** The verdict of a call decided synchronously (the local store answers in-process). */
function decideNow(gate: Gate, name: string, args: Record<string, unknown> = {}): Verdict {
  const verdict = decide(gate, name, args);
  if (!("forward" in verdict)) throw new Error(`expected a verdict at once for ${name}, got a pending one`);
  return verdict;
}

function reasonOf(verdict: Verdict): string {
  return verdict.forward ? "forwarded" : "denial" in verdict ? verdict.denial.reason : "input required";
}

const oneGlobalCall = policyFrom(`version: 1
default: deny
rules:
  - tool: act
    action: allow
    rate_limit: { max: 1, window: 600, scope: global }
`);

describe("reserve, then settle", () => {
  it("gives the unit back when the server answers the call with a JSON-RPC error", () => {
    const gate = gateOn(machine(), oneGlobalCall);
    const first = decideNow(gate, "act");
    expect(first.forward).toBe(true);
    if (first.forward) first.finish("protocol_error");
    expect(decideNow(gate, "act").forward).toBe(true);
  });

  it("keeps the unit of a call whose result has isError: true (the server acted)", () => {
    const gate = gateOn(machine(), oneGlobalCall);
    const first = decideNow(gate, "act");
    if (first.forward) first.finish("tool_error");
    expect(reasonOf(decideNow(gate, "act"))).toContain("rate limit of rule 1 (global scope)");
  });

  it("gives the unit back when the client cancelled the call before it was forwarded", () => {
    const gate = gateOn(machine(), oneGlobalCall);
    const first = decideNow(gate, "act");
    if (first.forward) first.finish("cancelled");
    expect(decideNow(gate, "act").forward).toBe(true);
  });

  it("keeps the unit of a call the client cancelled after it was forwarded, whatever the server answers then", () => {
    const gate = gateOn(machine(), oneGlobalCall);
    const first = decideNow(gate, "act");
    if (first.forward) {
      first.reachedServer();
      first.finish("protocol_error");
    }
    expect(reasonOf(decideNow(gate, "act"))).toContain("rate limit of rule 1 (global scope)");
  });

  it("keeps the unit of a call the server received before it exited, and gives back one it never received", () => {
    const dir = machine();
    const gate = gateOn(dir, oneGlobalCall);
    const reached = decideNow(gate, "act");
    if (reached.forward) reached.finish("server_exited");
    expect(decideNow(gate, "act").forward).toBe(false);
    const other = gateOn(machine(), oneGlobalCall);
    const never = decideNow(other, "act");
    if (never.forward) never.finish("not_forwarded");
    expect(decideNow(other, "act").forward).toBe(true);
  });

  it("counts a call once however often its end is reported", () => {
    const gate = gateOn(machine(), oneGlobalCall);
    const first = decideNow(gate, "act");
    if (first.forward) {
      first.finish("result");
      first.finish("protocol_error");
    }
    expect(decideNow(gate, "act").forward).toBe(false);
  });
});

describe("the shared store across reloads", () => {
  it("opens the store again when a reload changes key_prefix, so no key is written under the old one", () => {
    const dir = machine();
    const opened: string[] = [];
    const limiter = new Limiter({
      serverLabel: "test-server",
      sharedStore: (policy) => {
        opened.push(policy.state.keyPrefix);
        const store = LocalLimitStore.open(join(dir, "limits.db"));
        cleanups.push(() => store.close());
        return { store, unavailableBecause: "" };
      },
    });
    const withPrefix = (prefix: string) =>
      policyFrom(`version: 1
default: deny
state: { key_prefix: "${prefix}" }
rules:
  - { id: acts, tool: act, action: allow, rate_limit: { max: 5, window: 60, scope: global } }
`);
    const call = { name: "act", arguments: {} };
    for (const policy of [withPrefix("old:"), withPrefix("old:"), withPrefix("teamb:")]) {
      const verdict = limiter.reserve(policy, policy.rules[0] as CompiledPolicy["rules"][number], call, true);
      expect("pass" in verdict && verdict.pass).toBe(true);
    }
    expect(opened).toEqual(["old:", "teamb:"]);
  });
});

describe("a shared store that could not be opened", () => {
  it("is tried again on a limited call 5 s later, and counting resumes without a restart", () => {
    const dir = machine();
    const clock = { ms: 1_000_000 };
    let usable = false;
    let opened = 0;
    const limiter = new Limiter({
      serverLabel: "test-server",
      now: () => clock.ms,
      sharedStore: () => {
        opened++;
        if (!usable) return { store: null, unavailableBecause: "the state folder cannot be written" };
        const store = LocalLimitStore.open(join(dir, "limits.db"));
        cleanups.push(() => store.close());
        return { store, unavailableBecause: "" };
      },
    });
    const policy = oneGlobalCall;
    const rule = policy.rules[0] as CompiledPolicy["rules"][number];
    const call = { name: "act", arguments: {} };
    const passes = () => {
      const verdict = limiter.reserve(policy, rule, call, true);
      if (verdict instanceof Promise) throw new Error("the local store answers at once");
      return verdict.pass;
    };
    expect(passes()).toBe(false);
    usable = true;
    clock.ms += 4_999;
    expect(passes()).toBe(false);
    expect(opened).toBe(1);
    clock.ms += 1;
    expect(passes()).toBe(true);
    expect(opened).toBe(2);
  });

  it("is tried again 5 s later though the clock stepped back after it failed", () => {
    const dir = machine();
    const clock = { ms: 10_000_000 };
    let usable = false;
    const limiter = new Limiter({
      serverLabel: "test-server",
      now: () => clock.ms,
      sharedStore: () => {
        if (!usable) return { store: null, unavailableBecause: "the state folder cannot be written" };
        const store = LocalLimitStore.open(join(dir, "limits.db"), () => clock.ms);
        cleanups.push(() => store.close());
        return { store, unavailableBecause: "" };
      },
    });
    const rule = oneGlobalCall.rules[0] as CompiledPolicy["rules"][number];
    const passes = () => {
      const verdict = limiter.reserve(oneGlobalCall, rule, { name: "act", arguments: {} }, true);
      if (verdict instanceof Promise) throw new Error("the local store answers at once");
      return verdict.pass;
    };
    expect(passes()).toBe(false);
    usable = true;
    clock.ms -= 3_600_000;
    clock.ms += 5_000;
    expect(passes()).toBe(true);
  });
});

describe("budget amounts a JavaScript number would change", () => {
  const budget = policyFrom(`version: 1
default: deny
rules:
  - tool: transfer
    action: allow
    budget: { sum: args.amount, max: 115.5, window: 86400, scope: global }
`);

  it("counts 100.0, 5.50 and 1e1 as the numbers they are, and refuses one below zero however little", () => {
    const gate = gateOn(machine(), budget);
    for (const text of ["100.0", "5.50", "1e1", "-0", "0.0"]) {
      const verdict = decideNow(gate, "transfer", { amount: new ExactNumber(text) });
      expect([text, verdict.forward]).toEqual([text, true]);
      if (verdict.forward) verdict.finish("result");
    }
    const over = decideNow(gate, "transfer", { amount: new ExactNumber("0.5000000000000000000001") });
    expect(over.forward).toBe(false);
    expect(reasonOf(over)).toContain("may add up to at most 115.5 in 86400 s; 0 is left");
    const negative = decideNow(gate, "transfer", { amount: new ExactNumber("-1e-400") });
    expect(reasonOf(negative)).toContain("must be a number from 0 to 1e15");
    expect(reasonOf(negative)).toContain("got -1e-400");
    const huge = decideNow(gate, "transfer", { amount: new ExactNumber("12345678901234567890") });
    expect(reasonOf(huge)).toContain("got 12345678901234567890");
  });
});

describe("a budget's amount under an integer key", () => {
  const budget = policyFrom(`version: 1
default: deny
rules:
  - tool: set_limits
    action: allow
    budget: { sum: args.limits.1, max: 100, window: 86400, scope: global }
`);

  it("refuses a call that gives it under several keys a dict[int, ...] field reads as one, and counts it given once", () => {
    const gate = gateOn(machine(), budget);
    // A server on the Python SDK reads "1" and "01" both as the key 1, and keeps the last: 5000.
    const twice = decideNow(gate, "set_limits", { limits: { "1": 1, "01": 5000 } });
    expect(twice.forward).toBe(false);
    expect(reasonOf(twice)).toContain(
      'args.limits.1 is given under several keys that a server reads as one ("1", "01")',
    );
    const once = decideNow(gate, "set_limits", { limits: { "1": 60, "2": 5000 } });
    expect(once.forward).toBe(true);
    if (once.forward) once.finish("result");
    const over = decideNow(gate, "set_limits", { limits: { "1": 41 } });
    expect(over.forward).toBe(false);
    expect(reasonOf(over)).toContain("40 is left");
  });
});

describe("limits and approvals", () => {
  const approvalBudget = policyFrom(`version: 1
default: deny
rules:
  - id: transfers
    tool: transfer
    action: require_approval
    budget: { sum: args.amount, max: 500, window: 86400, scope: global }
`);

  /** An approver whose answers the test gives, one per question, in order. */
  function manualApprover() {
    const asked: { tool: string; answer: (approved: boolean) => void }[] = [];
    const approver: Approver = (question) => {
      let resolve: (answer: ApprovalAnswer) => void = () => {};
      const answer = new Promise<ApprovalAnswer>((done) => {
        resolve = done;
      });
      asked.push({
        tool: question.call.name,
        answer: (approved) =>
          resolve({ approved, channel: "test", decidedBy: "tester", reason: approved ? "" : "no" }),
      });
      return {
        answer,
        withdraw: () => resolve({ approved: false, channel: "test", decidedBy: "x", reason: "withdrawn" }),
      };
    };
    return { approver, asked };
  }

  it("denies at once, without asking anyone, a call that could not pass its budget anyway", () => {
    const { approver, asked } = manualApprover();
    const gate = gateOn(machine(), approvalBudget, approver);
    const verdict = decideNow(gate, "transfer", { amount: 501 });
    expect(reasonOf(verdict)).toContain("this amount alone is over the budget");
    expect(asked).toHaveLength(0);
  });

  it("reserves nothing while a call waits, and checks the budget again when it is approved", async () => {
    const dir = machine();
    const { approver, asked } = manualApprover();
    const [laptop, desktop] = [gateOn(dir, approvalBudget, approver), gateOn(dir, approvalBudget, approver)];
    const waiting = decide(laptop, "transfer", { amount: 300 });
    const alsoWaiting = decide(desktop, "transfer", { amount: 300 });
    expect("verdict" in waiting && "verdict" in alsoWaiting).toBe(true);
    expect(asked).toHaveLength(2);
    asked[1]?.answer(true);
    const second = await (alsoWaiting as PendingVerdict).verdict;
    expect(second.forward).toBe(true);
    asked[0]?.answer(true);
    const first = await (waiting as PendingVerdict).verdict;
    expect(reasonOf(first)).toContain("approved, but meanwhile the limit was reached");
    expect(reasonOf(first)).toContain("200 is left");
  });

  it("audits an approved call as counted when the store it could not reach while the call was asked about counts it at approval", async () => {
    const dir = machine();
    const clock = { ms: 1_000_000 };
    let reachable = false;
    const limiter = new Limiter({
      serverLabel: "test-server",
      now: () => clock.ms,
      sharedStore: () => {
        if (!reachable) return { store: null, unavailableBecause: "the state folder cannot be written" };
        const store = LocalLimitStore.open(join(dir, "limits.db"), () => clock.ms);
        cleanups.push(() => store.close());
        return { store, unavailableBecause: "" };
      },
    });
    const auditPath = join(dir, "audit.jsonl");
    const audit = AuditLog.open(auditPath, { event: "session_start" });
    cleanups.push(() => audit.close());
    const { approver, asked } = manualApprover();
    const allowWhenDown = policyFrom(`version: 1
default: deny
state: { on_unavailable: allow }
rules:
  - { id: transfers, tool: transfer, action: require_approval, budget: { sum: args.amount, max: 500, window: 86400, scope: global } }
`);
    const gate = new Gate({
      policy: allowWhenDown,
      audit,
      sessionId: "s",
      serverLabel: "test-server",
      approver,
      limiter,
      warn: () => {},
    });
    const waiting = decide(gate, "transfer", { amount: 300 });
    expect(asked).toHaveLength(1);
    // The store can be used again by the time the person approves: the approved call is counted.
    reachable = true;
    clock.ms += 5_000;
    asked[0]?.answer(true);
    const verdict = await (waiting as PendingVerdict).verdict;
    expect(verdict.forward).toBe(true);
    if (verdict.forward) verdict.finish("result");
    const rule = allowWhenDown.rules[0] as CompiledPolicy["rules"][number];
    const next = limiter.reserve(
      allowWhenDown,
      rule,
      { name: "transfer", arguments: { amount: 201 } },
      false,
    );
    expect(next instanceof Promise ? null : next.pass).toBe(false);
    const line = readFileSync(auditPath, "utf8")
      .trim()
      .split("\n")
      .map((text) => JSON.parse(text) as Record<string, unknown>)
      .find((entry) => entry.event === "tools/call");
    expect(line?.decision).toBe("allow");
    expect(line?.uncounted).toBeUndefined();
  });
});

describe("an approval across a reload", () => {
  const budgetOf = (max: number, tool = "transfer") =>
    policyFrom(`version: 1
default: deny
rules:
  - id: transfers
    tool: ${tool}
    action: require_approval
    budget: { sum: args.amount, max: ${max}, window: 86400, scope: global }
`);

  /** An approver that approves when the test says so. */
  function laterApprover() {
    let approve: () => void = () => {};
    const approver: Approver = () => ({
      answer: new Promise<ApprovalAnswer>((resolve) => {
        approve = () => resolve({ approved: true, channel: "test", decidedBy: "tester", reason: "" });
      }),
      withdraw: () => {},
    });
    return { approver, approve: () => approve() };
  }

  it("checks an approved call against the limits of its rule in the policy in force when it is approved", async () => {
    const { approver, approve } = laterApprover();
    const gate = gateOn(machine(), budgetOf(10), approver);
    const waiting = decide(gate, "transfer", { amount: 6 });
    expect("verdict" in waiting).toBe(true);
    gate.setPolicy(budgetOf(5));
    approve();
    const verdict = await (waiting as PendingVerdict).verdict;
    expect(verdict.forward).toBe(false);
    expect(reasonOf(verdict)).toContain("approved, but meanwhile the limit was reached");
    expect(reasonOf(verdict)).toContain("at most 5");
  });

  /** Asks about `args` under `before`, reloads `after` while the person decides, approves: the verdict. */
  async function approvedAcross(
    before: CompiledPolicy,
    after: CompiledPolicy,
    args: Record<string, unknown>,
  ) {
    const { approver, approve } = laterApprover();
    const gate = gateOn(machine(), before, approver);
    const waiting = decide(gate, "transfer", args);
    expect("verdict" in waiting).toBe(true);
    gate.setPolicy(after);
    approve();
    return (waiting as PendingVerdict).verdict;
  }

  it("denies an approved call that the reloaded policy denies: rule taken out, or turned to deny", async () => {
    for (const after of [
      policyFrom("version: 1\ndefault: deny\nrules: []\n"),
      policyFrom("version: 1\ndefault: allow\nrules:\n  - { id: transfers, tool: transfer, action: deny }\n"),
    ]) {
      const verdict = await approvedAcross(budgetOf(10), after, { amount: 6 });
      expect(verdict.forward).toBe(false);
      expect(reasonOf(verdict)).toContain(
        "approved, but meanwhile the policy was reloaded, and it denies this call",
      );
    }
  });

  it("counts an approved call against the limits of the rule that decides it now, a budget added meanwhile too", async () => {
    const noLimit = policyFrom(
      "version: 1\ndefault: deny\nrules:\n  - { tool: transfer, action: require_approval }\n",
    );
    const over = await approvedAcross(noLimit, budgetOf(5), { amount: 6 });
    expect(over.forward).toBe(false);
    expect(reasonOf(over)).toContain("approved, but meanwhile the limit was reached");
    // A rule without an id whose max changed is another rule by identity, and still the one that decides.
    const unnamed = (max: number) =>
      policyFrom(`version: 1
default: deny
rules:
  - tool: transfer
    action: require_approval
    budget: { sum: args.amount, max: ${max}, window: 86400, scope: global }
`);
    const fits = await approvedAcross(unnamed(10), unnamed(8), { amount: 6 });
    expect(fits.forward).toBe(true);
    if (fits.forward) fits.finish("result");
    // The reloaded policy allows it outright: approved, it goes.
    const allowed = await approvedAcross(
      budgetOf(10),
      policyFrom("version: 1\ndefault: allow\nrules: []\n"),
      {
        amount: 6,
      },
    );
    expect(allowed.forward).toBe(true);
    if (allowed.forward) allowed.finish("result");
  });
});

describe("rule identity across reloads", () => {
  const withId = (max: number) =>
    policyFrom(`version: 1
default: deny
rules:
  - id: writes
    tool: act
    action: allow
    reason: version ${max}
    rate_limit: { max: ${max}, window: 600 }
`);

  it("keeps the counts of a rule with an explicit id when max is edited, and applies the new max", () => {
    const gate = gateOn(machine(), withId(3));
    expect(decideNow(gate, "act").forward).toBe(true);
    expect(decideNow(gate, "act").forward).toBe(true);
    gate.setPolicy(withId(2));
    expect(reasonOf(decideNow(gate, "act"))).toContain("at most 2 calls in 600 s");
    gate.setPolicy(withId(4));
    expect(decideNow(gate, "act").forward).toBe(true);
    expect(decideNow(gate, "act").forward).toBe(true);
    expect(reasonOf(decideNow(gate, "act"))).toContain("at most 4 calls in 600 s");
  });

  it("identifies a rule without an id by what it matches and its limits, not by its reason or position", () => {
    const rule = (reason: string) =>
      `  - tool: act\n    action: allow\n    reason: ${reason}\n    rate_limit: { max: 1, window: 60 }\n`;
    const before = policyFrom(`version: 1\ndefault: deny\nrules:\n${rule("first")}`);
    const after = policyFrom(
      `version: 1\ndefault: deny\nrules:\n  - { tool: other, action: allow }\n${rule("second wording")}`,
    );
    const editedMax = policyFrom(
      "version: 1\ndefault: deny\nrules:\n  - { tool: act, action: allow, rate_limit: { max: 2, window: 60 } }\n",
    );
    expect(after.rules[1]?.id).toBe(before.rules[0]?.id);
    expect(editedMax.rules[0]?.id).not.toBe(before.rules[0]?.id);
  });

  it("refuses two rules with the same id", () => {
    const parsed = parsePolicy(
      "version: 1\ndefault: deny\nrules:\n  - { id: a, tool: x, action: allow }\n  - { id: a, tool: y, action: allow }\n",
      "p.yaml",
    );
    expect(parsed.ok ? [] : parsed.errors.map((error) => error.message)).toEqual([
      'rules[1].id "a" is already the id of rules[0]; give each rule its own id',
    ]);
  });
});

describe("a reload while the store answers", () => {
  const approvalIn = (mode: string) =>
    policyFrom(`version: 1
mode: ${mode}
default: deny
rules:
  - { id: deploys, tool: deploy, action: require_approval, rate_limit: { max: 5, window: 60, scope: global } }
`);

  it("decides the call by the policy it came under: a reload to monitor mode meanwhile does not let it past the person", async () => {
    const dir = machine();
    const local = LocalLimitStore.open(join(dir, "limits.db"));
    cleanups.push(() => local.close());
    // A store that answers when the test says so, as Redis answers after a round trip.
    let answer: () => void = () => {};
    const store: SharedLimitStore = {
      name: "later",
      reserve: (requests) => local.reserve(requests),
      check: (requests) =>
        new Promise<StoreAnswer>((resolve) => {
          answer = () => resolve(local.check(requests) as StoreAnswer);
        }),
      release: (entries) => local.release(entries),
      usage: (prefix) => local.usage(prefix),
      reset: (prefix, start) => local.reset(prefix, start),
      close: async () => {},
    };
    const asked: string[] = [];
    const approver: Approver = (request) => {
      asked.push(request.call.name);
      return {
        answer: Promise.resolve({ approved: false, channel: "test", decidedBy: "tester", reason: "no" }),
        withdraw: () => {},
      };
    };
    const audit = AuditLog.open(join(dir, "audit.jsonl"), { event: "session_start" });
    cleanups.push(() => audit.close());
    const gate = new Gate({
      policy: approvalIn("enforce"),
      audit,
      sessionId: "s",
      serverLabel: "test-server",
      approver,
      limiter: new Limiter({
        serverLabel: "test-server",
        sharedStore: () => ({ store, unavailableBecause: "" }),
      }),
      warn: () => {},
    });
    const waiting = decide(gate, "deploy");
    expect("verdict" in waiting).toBe(true);
    gate.setPolicy(approvalIn("monitor"));
    answer();
    const verdict = await (waiting as PendingVerdict).verdict;
    expect(asked).toEqual(["deploy"]);
    expect(verdict.forward).toBe(false);
    const line = JSON.parse(readFileSync(join(dir, "audit.jsonl"), "utf8").trim().split("\n").at(-1) ?? "{}");
    expect([line.mode, line.decision]).toEqual(["enforce", "deny"]);
  });
});
