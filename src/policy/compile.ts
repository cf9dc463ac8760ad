import { createHash } from "node:crypto";
import { stringForms } from "../arguments/string-forms.js";
import { approximateNumber, compareNumbers, ExactNumber, isJsonNumber } from "../wire/exact-number.js";
import { stringifyJson } from "../wire/json.js";
import { ABSENT, compilePathCondition, INTEGER_SEGMENT, keysReadAsInteger } from "./condition.js";
import { globMatcher, isGlob } from "./glob.js";
import { compileLinearRegex, isRegexProblem } from "./linear-regex.js";
import { machinePathContext, type PathContext, pathRulePredicate } from "./path-rules.js";
import { limitScopes, type PolicyPlace, policyHeader } from "./settings.js";
import type {
  Category,
  CompiledCondition,
  CompiledLimit,
  CompiledPolicy,
  CompiledRule,
  ConditionDocument,
  PolicyDocument,
  RuleAction,
  RuleDocument,
  ToolCall,
} from "./types.js";

/** Equality of two JSON values, deep for lists and mappings. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  // 5000.0 is 5000, and 12345678901234567890 is not 12345678901234567000: numbers compare exactly.
  if (a instanceof ExactNumber || b instanceof ExactNumber)
    return isJsonNumber(a) && isJsonNumber(b) && compareNumbers(a, b) === 0;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => jsonEqual(item, b[i]));
  }
  const aKeys = Object.keys(a);
  if (aKeys.length !== Object.keys(b).length) return false;
  return aKeys.every((key) => Object.hasOwn(b, key) && jsonEqual(Reflect.get(a, key), Reflect.get(b, key)));
}

/**
 * JSON with mapping keys sorted, so equal content always gives the same text. `serialized`, when the
 * caller already has JSON.stringify(value), is reused where it is canonical already.
 */
export function canonicalJson(value: unknown, serialized?: string): string {
  // Most arguments already list their keys in order: then V8's native serializer gives the same text, fast.
  return keysInOrder(value) ? (serialized ?? stringifyJson(value)) : sortedJson(value);
}

/** True when every object in a JSON value enumerates its keys in sorted order (what JSON.stringify follows). */
function keysInOrder(value: unknown): boolean {
  if (typeof value !== "object" || value === null || value instanceof ExactNumber) return true;
  if (Array.isArray(value)) return value.every(keysInOrder);
  let previous: string | null = null;
  for (const key of Object.keys(value)) {
    if (previous !== null && key < previous) return false;
    if (!keysInOrder(Reflect.get(value, key))) return false;
    previous = key;
  }
  return true;
}

function sortedJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(sortedJson).join(",")}]`;
  if (typeof value === "object" && value !== null && !(value instanceof ExactNumber)) {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${sortedJson(Reflect.get(value, key))}`);
    return `{${entries.join(",")}}`;
  }
  return stringifyJson(value);
}

/** The fingerprint of a rule as written: unchanged content keeps its rate-limit state across reloads. */
export function ruleFingerprint(rule: RuleDocument): string {
  return createHash("sha256").update(canonicalJson(rule)).digest("hex").slice(0, 16);
}

/** The largest amount a budget counts (and the largest budget max): sums of doubles stay exact in whole units below it. */
export const MAX_AMOUNT = 1e15;

/** The identity that keys a rule's counts: its `id`, else a hash of what it matches and its limit blocks (scopes spelled out). */
export function ruleIdentity(rule: RuleDocument): string {
  if (rule.id !== undefined) return rule.id;
  const { tool, category, risk, when, rate_limit, budget } = rule;
  const scopes = limitScopes(rule);
  const limits = {
    rate_limit: rate_limit && { ...rate_limit, scope: scopes.rateLimit },
    budget: budget && { ...budget, scope: scopes.budget },
  };
  const hash = createHash("sha256").update(canonicalJson({ tool, category, risk, when, ...limits }));
  return `auto-${hash.digest("hex").slice(0, 12)}`;
}

/** Values that `===` compares as deep equality would, the fast path for most conditions. */
function isPrimitive(value: unknown): boolean {
  return value === null || typeof value !== "object";
}

/** A comparison with a number: `holds` reads compareNumbers(actual, expected), exact for an ExactNumber too. */
function numberPredicate(expected: unknown, holds: (order: number) => boolean): (actual: unknown) => boolean {
  if (typeof expected !== "number") return () => false;
  return (actual) =>
    typeof actual === "number"
      ? holds(actual < expected ? -1 : actual > expected ? 1 : 0)
      : actual instanceof ExactNumber && holds(compareNumbers(actual, expected));
}

/**
 * Whether a value equals one of `options`; a string option also matches its other spellings (a URL
 * as a server serializes it, a UUID's canonical form), so that `eq: https://example.com` is the
 * same as the `https://example.com/` a server makes of it.
 */
function inPredicate(options: readonly unknown[]): (actual: unknown) => boolean {
  const spelled = options.flatMap((option) => (typeof option === "string" ? stringForms(option) : []));
  const all = [...options, ...spelled];
  return (actual) => all.some((option) => jsonEqual(actual, option));
}

/** The predicate on a present value for one operator; the schema has checked `value`'s type. */
function valuePredicate(
  condition: ConditionDocument,
  origin: PolicyOrigin,
  action: RuleAction,
): (actual: unknown) => boolean {
  const expected = condition.value;
  switch (condition.op) {
    case "path_within":
    case "path_outside": {
      const folders = Array.isArray(expected) ? expected.map(String) : [String(expected)];
      const context = origin.paths ?? machinePathContext();
      return pathRulePredicate(condition.op, folders, origin.baseDir, context, action !== "allow");
    }
    case "eq":
    case "neq": {
      const equals =
        typeof expected === "string" && stringForms(expected).length > 0
          ? inPredicate([expected])
          : isPrimitive(expected)
            ? (actual: unknown) =>
                actual === expected || (actual instanceof ExactNumber && jsonEqual(actual, expected))
            : (actual: unknown) => jsonEqual(actual, expected);
      return condition.op === "eq" ? equals : (actual) => !equals(actual);
    }
    case "in":
    case "not_in": {
      const within = inPredicate(Array.isArray(expected) ? expected : []);
      return condition.op === "in" ? within : (actual) => !within(actual);
    }
    case "lt":
      return numberPredicate(expected, (order) => order < 0);
    case "lte":
      return numberPredicate(expected, (order) => order <= 0);
    case "gt":
      return numberPredicate(expected, (order) => order > 0);
    case "gte":
      return numberPredicate(expected, (order) => order >= 0);
    case "regex": {
      const pattern = compileLinearRegex(String(expected));
      // validate refused such a pattern already; a policy compiled without it still fails closed.
      if (isRegexProblem(pattern)) throw new Error(`regex ${JSON.stringify(expected)}: ${pattern.message}`);
      return (actual) => typeof actual === "string" && pattern.test(actual);
    }
    case "glob": {
      const matches = globMatcher(String(expected));
      return (actual) => typeof actual === "string" && matches(actual);
    }
    case "contains":
      return (actual) =>
        (typeof actual === "string" && typeof expected === "string" && actual.includes(expected)) ||
        (Array.isArray(actual) && actual.some((item) => jsonEqual(item, expected)));
    case "starts_with":
      return (actual) => typeof actual === "string" && actual.startsWith(String(expected));
    case "exists":
      return () => true;
  }
}

/** A condition as a predicate over the call, for a rule of `action`; an absent path matches only `exists: false`. */
function compileCondition(
  condition: ConditionDocument,
  action: RuleAction,
  origin: PolicyOrigin,
): CompiledCondition {
  return compilePathCondition(condition, valuePredicate(condition, origin, action), action);
}

/** The rule's tool-name test: exact names by set lookup, globs by anchored regex. */
function nameMatcher(patterns: string[] | null): (toolName: string) => boolean {
  if (patterns === null) return () => true;
  const exact = new Set(patterns.filter((pattern) => !isGlob(pattern)));
  const globs = patterns.filter(isGlob).map(globMatcher);
  return (toolName) => exact.has(toolName) || globs.some((matches) => matches(toolName));
}

function asList<T>(value: T | T[] | undefined): T[] | null {
  if (value === undefined) return null;
  return Array.isArray(value) ? value : [value];
}

/** How a budget's amount is named when it cannot be counted: short, so a huge argument stays out of the reason. */
function describeAmount(value: unknown): string {
  const text =
    typeof value === "number"
      ? String(value)
      : value instanceof ExactNumber
        ? value.text
        : stringifyJson(value);
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}

/**
 * The amount a budget counts for an argument value: a number as it is; a number kept exact because
 * a JavaScript number would change its spelling or its value (`100.0`, `5.50`, 21 digits) as the
 * nearest double, or one a little above where that is below the exact value, so that a call is never
 * counted for less than it asks; null for anything else.
 */
function countedAmount(value: unknown): number | null {
  if (typeof value === "number") return value;
  if (!(value instanceof ExactNumber)) return null;
  // Below zero however little (-1e-400 is -0 as a double): refused as negative.
  if (compareNumbers(value, 0) < 0) return -1;
  const nearest = approximateNumber(value);
  if (!Number.isFinite(nearest) || compareNumbers(value, nearest) <= 0) return nearest;
  return nearest > 0 ? nearest * (1 + Number.EPSILON) : Number.MIN_VALUE;
}

/** What a budget's path reached where an object holds several keys that a `dict[int, ...]` field reads as one. */
class SeveralKeys {
  constructor(readonly keys: string[]) {}
}

/**
 * A reader for a budget's `sum` path (`args.amount`, `args.a.0.b`); own properties only, so
 * `args.constructor` is absent. An integer step (`args.limits.1`) that meets other keys a
 * `dict[int, ...]` field reads as the same integer (`"01"`, `" 1"`) answers SeveralKeys: the server
 * keeps the last of them, whatever the condition read.
 */
function pathReader(path: string): (call: ToolCall) => unknown {
  const segments = path.split(".").slice(1);
  const integer = segments.map((segment) => INTEGER_SEGMENT.test(segment));
  return (call) => {
    let value: unknown = call.arguments;
    for (const [index, segment] of segments.entries()) {
      if (Array.isArray(value)) {
        if (!/^\d+$/.test(segment) || Number(segment) >= value.length) return ABSENT;
        value = value[Number(segment)];
      } else if (typeof value === "object" && value !== null && Object.hasOwn(value, segment)) {
        if (integer[index]) {
          const keys = keysReadAsInteger(value, segment);
          if (keys.length > 1) return new SeveralKeys(keys);
        }
        value = Reflect.get(value, segment);
      } else {
        return ABSENT;
      }
    }
    return value;
  };
}

/** The rule's rate_limit and budget as limits ready to count. */
function compileLimits(rule: RuleDocument, ruleId: string): CompiledLimit[] {
  const limits: CompiledLimit[] = [];
  const scopes = limitScopes(rule);
  const rate = rule.rate_limit;
  if (rate && scopes.rateLimit !== null) {
    limits.push({
      kind: "rate_limit",
      ruleId,
      max: rate.max,
      windowSeconds: rate.window,
      scope: scopes.rateLimit,
      sum: null,
      amountOf: () => 1,
    });
  }
  const budget = rule.budget;
  if (budget && scopes.budget !== null) {
    const read = pathReader(budget.sum);
    limits.push({
      kind: "budget",
      ruleId,
      max: budget.max,
      windowSeconds: budget.window,
      scope: scopes.budget,
      sum: budget.sum,
      amountOf(call) {
        const value = read(call);
        if (value === ABSENT) return `the call has no ${budget.sum} to count against the budget`;
        if (value instanceof SeveralKeys)
          return `${budget.sum} is given under several keys that a server reads as one (${value.keys.map((key) => JSON.stringify(key)).join(", ")}), so which amount it uses cannot be told; send it once`;
        const amount = countedAmount(value);
        if (amount === null || !Number.isFinite(amount) || amount < 0 || amount > MAX_AMOUNT)
          return `${budget.sum} must be a number from 0 to 1e15 to count against the budget, got ${describeAmount(value)}`;
        return amount;
      },
    });
  }
  return limits;
}

function compileRule(rule: RuleDocument, index: number, origin: PolicyOrigin): CompiledRule {
  const toolPatterns = asList(rule.tool);
  const id = ruleIdentity(rule);
  return {
    index,
    toolPatterns,
    matchesName: nameMatcher(toolPatterns),
    categories: asList(rule.category),
    risks: asList(rule.risk),
    conditions: (rule.when ?? []).map((condition) => compileCondition(condition, rule.action, origin)),
    action: rule.action,
    reason: rule.reason ?? null,
    hide: rule.hide === true,
    rateLimit: rule.rate_limit ? { max: rule.rate_limit.max, windowSeconds: rule.rate_limit.window } : null,
    limits: compileLimits(rule, id),
    approval: rule.approval?.timeout !== undefined ? { timeoutSeconds: rule.approval.timeout } : null,
    id,
    fingerprint: ruleFingerprint(rule),
  };
}

/** Where a compiled policy came from, and the folder its relative audit path is resolved against. */
export interface PolicyOrigin extends PolicyPlace {
  /** How path_within and path_outside see the machine (the real one where absent). */
  paths?: PathContext;
}

/** Compiles a document that passed the schema and the semantic checks into rules with prebuilt predicates. */
export function compilePolicy(document: PolicyDocument, origin: PolicyOrigin): CompiledPolicy {
  const overrides = new Map<string, Category>(Object.entries(document.classify ?? {}));
  const header = policyHeader(document, origin);
  // One view of the machine for all the path rules, so that a decision reads each folder once for all of them.
  const rulesOrigin = { ...origin, paths: origin.paths ?? machinePathContext() };
  return {
    mode: header.mode,
    defaultAction: document.default,
    rules: (document.rules ?? []).map((rule, index) => compileRule(rule, index, rulesOrigin)),
    categoryOverrides: overrides,
    allowsUndeclaredArguments: nameMatcher(asList(document.allow_undeclared_arguments) ?? []),
    audit: {
      path: header.audit.path,
      includeArguments: document.audit?.include_arguments === true,
    },
    state: {
      store: document.state?.store ?? "local",
      url: document.state?.url ?? null,
      keyPrefix: document.state?.key_prefix ?? "policylayer:",
      onUnavailable: document.state?.on_unavailable ?? "deny",
    },
    serverName: document.server ?? null,
    source: header.source,
  };
}
