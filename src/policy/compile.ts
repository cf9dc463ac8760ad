import { createHash } from "node:crypto";
import { resolve } from "node:path";
import type {
  Category,
  CompiledCondition,
  CompiledPolicy,
  CompiledRule,
  ConditionDocument,
  PolicyDocument,
  RuleDocument,
  ToolCall,
} from "./types.js";

/** Why a glob is refused, or null when it is usable: only * and ? are special, so brackets and braces would silently match themselves. */
export function globProblem(glob: string): string | null {
  return /[[\]{}]/.test(glob)
    ? "must be a glob whose only wildcards are * and ? (no [ ] or { }; use op regex for more)"
    : null;
}

/** An anchored, case-sensitive RegExp for a glob: * is any run of characters (including none), ? one character. */
export function globToRegExp(glob: string): RegExp {
  let source = "";
  for (const char of glob) {
    if (char === "*") source += "[\\s\\S]*";
    else if (char === "?") source += "[\\s\\S]";
    else source += char.replace(/[\\^$.|+()[\]{}/]/g, "\\$&");
  }
  return new RegExp(`^${source}$`, "u");
}

/** Equality of two JSON values, deep for lists and mappings. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
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
  return keysInOrder(value) ? (serialized ?? JSON.stringify(value)) : sortedJson(value);
}

/** True when every object in a JSON value enumerates its keys in sorted order (what JSON.stringify follows). */
function keysInOrder(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return true;
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
  if (typeof value === "object" && value !== null) {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${sortedJson(Reflect.get(value, key))}`);
    return `{${entries.join(",")}}`;
  }
  return JSON.stringify(value);
}

/** The fingerprint of a rule as written: unchanged content keeps its rate-limit state across reloads. */
export function ruleFingerprint(rule: RuleDocument): string {
  return createHash("sha256").update(canonicalJson(rule)).digest("hex").slice(0, 16);
}

/** What a condition's `read` answers where the call has no value at its path. */
export const ABSENT: unique symbol = Symbol("absent");

/** A reader for a condition path: `tool`, `args` or `args.a.0.b`; own properties only, so `args.constructor` is absent. */
function pathReader(path: string): (call: ToolCall) => unknown {
  if (path === "tool") return (call) => call.name;
  const segments = path.split(".").slice(1);
  const [only] = segments;
  if (segments.length === 1 && only !== undefined && !/^\d+$/.test(only)) {
    // The common case, `args.operation`: one own-property lookup.
    return (call) => (Object.hasOwn(call.arguments, only) ? call.arguments[only] : ABSENT);
  }
  return (call) => {
    let value: unknown = call.arguments;
    for (const segment of segments) {
      if (Array.isArray(value)) {
        if (!/^\d+$/.test(segment) || Number(segment) >= value.length) return ABSENT;
        value = value[Number(segment)];
      } else if (typeof value === "object" && value !== null && Object.hasOwn(value, segment)) {
        value = Reflect.get(value, segment);
      } else {
        return ABSENT;
      }
    }
    return value;
  };
}

/** Values that `===` compares as deep equality would, the fast path for most conditions. */
function isPrimitive(value: unknown): boolean {
  return value === null || typeof value !== "object";
}

/** The predicate on a present value for one operator; the schema has checked `value`'s type. */
function valuePredicate(condition: ConditionDocument): (actual: unknown) => boolean {
  const expected = condition.value;
  switch (condition.op) {
    case "eq":
      return isPrimitive(expected)
        ? (actual) => actual === expected
        : (actual) => jsonEqual(actual, expected);
    case "neq":
      return isPrimitive(expected)
        ? (actual) => actual !== expected
        : (actual) => !jsonEqual(actual, expected);
    case "in": {
      const options = Array.isArray(expected) ? expected : [];
      return (actual) => options.some((option) => jsonEqual(actual, option));
    }
    case "not_in": {
      const options = Array.isArray(expected) ? expected : [];
      return (actual) => !options.some((option) => jsonEqual(actual, option));
    }
    case "lt":
      return (actual) => typeof actual === "number" && typeof expected === "number" && actual < expected;
    case "lte":
      return (actual) => typeof actual === "number" && typeof expected === "number" && actual <= expected;
    case "gt":
      return (actual) => typeof actual === "number" && typeof expected === "number" && actual > expected;
    case "gte":
      return (actual) => typeof actual === "number" && typeof expected === "number" && actual >= expected;
    case "regex": {
      const pattern = new RegExp(String(expected));
      return (actual) => typeof actual === "string" && pattern.test(actual);
    }
    case "glob": {
      const pattern = globToRegExp(String(expected));
      return (actual) => typeof actual === "string" && pattern.test(actual);
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

/** A condition as a predicate over the call; an absent path matches only `exists: false`. */
function compileCondition(condition: ConditionDocument): CompiledCondition {
  const read = pathReader(condition.path);
  const onPresent = valuePredicate(condition);
  const matchesAbsent = condition.op === "exists" && condition.value === false;
  const matchesPresent = !matchesAbsent;
  return {
    path: condition.path,
    op: condition.op,
    value: condition.value,
    read,
    test(call) {
      const actual = read(call);
      return actual === ABSENT ? matchesAbsent : matchesPresent && onPresent(actual);
    },
  };
}

/** The rule's tool-name test: exact names by set lookup, globs by anchored regex. */
function nameMatcher(patterns: string[] | null): (toolName: string) => boolean {
  if (patterns === null) return () => true;
  const exact = new Set(patterns.filter((pattern) => !/[*?]/.test(pattern)));
  const globs = patterns.filter((pattern) => /[*?]/.test(pattern)).map(globToRegExp);
  return (toolName) => exact.has(toolName) || globs.some((glob) => glob.test(toolName));
}

function asList<T>(value: T | T[] | undefined): T[] | null {
  if (value === undefined) return null;
  return Array.isArray(value) ? value : [value];
}

function compileRule(rule: RuleDocument, index: number): CompiledRule {
  const toolPatterns = asList(rule.tool);
  return {
    index,
    toolPatterns,
    matchesName: nameMatcher(toolPatterns),
    categories: asList(rule.category),
    risks: asList(rule.risk),
    conditions: (rule.when ?? []).map(compileCondition),
    action: rule.action,
    reason: rule.reason ?? null,
    hide: rule.hide === true,
    rateLimit: rule.rate_limit ? { max: rule.rate_limit.max, windowSeconds: rule.rate_limit.window } : null,
    approval: rule.approval?.timeout !== undefined ? { timeoutSeconds: rule.approval.timeout } : null,
    fingerprint: ruleFingerprint(rule),
  };
}

/** Where a compiled policy came from, and the folder its relative audit path is resolved against. */
export interface PolicyOrigin {
  source: string;
  baseDir: string;
}

/** Compiles a document that passed the schema and the semantic checks into rules with prebuilt predicates. */
export function compilePolicy(document: PolicyDocument, origin: PolicyOrigin): CompiledPolicy {
  const overrides = new Map<string, Category>(Object.entries(document.classify ?? {}));
  const auditPath = document.audit?.path;
  return {
    mode: document.mode ?? "enforce",
    defaultAction: document.default,
    rules: (document.rules ?? []).map(compileRule),
    categoryOverrides: overrides,
    audit: {
      path: auditPath === undefined ? null : resolve(origin.baseDir, auditPath),
      includeArguments: document.audit?.include_arguments === true,
    },
    source: origin.source,
  };
}
