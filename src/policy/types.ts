import type { Category, Classification, Risk } from "../classify/types.js";

export type { Category, Classification, Risk };

/** What a rule (or the policy's default) does with a matching call. */
export type RuleAction = "allow" | "deny" | "require_approval";

/** A tools/call as policylayer evaluates it: the parsed, validated params. */
export interface ToolCall {
  name: string;
  arguments: Record<string, unknown>;
}

export type ConditionOperator =
  | "eq"
  | "neq"
  | "in"
  | "not_in"
  | "lt"
  | "lte"
  | "gt"
  | "gte"
  | "regex"
  | "glob"
  | "contains"
  | "starts_with"
  | "exists";

/** One compiled `when` condition: a pure predicate over the call. */
export interface CompiledCondition {
  path: string;
  op: ConditionOperator;
  /** The `value` as written (absent for `exists` without one): for describing the rule to people. */
  value?: unknown;
  /** The value at `path` in the call, or ABSENT (compile.ts) where there is none. */
  read(call: ToolCall): unknown;
  test(call: ToolCall): boolean;
}

/** A rule after validation and compilation: every pattern and regex is built once. */
export interface CompiledRule {
  /** Position in the policy's `rules` list, 0-based. */
  index: number;
  /** The `tool` patterns as written, or null where the rule names no tool. */
  toolPatterns: string[] | null;
  /** True when the tool name matches the rule's `tool` patterns (or the rule has none). */
  matchesName(toolName: string): boolean;
  categories: Category[] | null;
  risks: Risk[] | null;
  conditions: CompiledCondition[];
  action: RuleAction;
  reason: string | null;
  hide: boolean;
  rateLimit: { max: number; windowSeconds: number } | null;
  approval: { timeoutSeconds: number } | null;
  /** Stable across reloads while the rule's content is unchanged: keys rate-limit state. */
  fingerprint: string;
}

/** A validated, compiled policy: plain data and pure predicates, no I/O. */
export interface CompiledPolicy {
  mode: "enforce" | "monitor";
  defaultAction: "allow" | "deny";
  rules: CompiledRule[];
  /** The policy's `classify:` block: a user's category for a tool, overriding classification. */
  categoryOverrides: ReadonlyMap<string, Category>;
  audit: { path: string | null; includeArguments: boolean };
  /** Where the policy came from: a file path, or "built-in default". */
  source: string;
}

/** The outcome of the pure decision: what to do, which rule said so, and why. */
export interface Decision {
  action: RuleAction;
  /** The rule that decided, or null where the policy's default did. */
  rule: CompiledRule | null;
  /** Always set: a sentence the agent and the audit log can show. */
  reason: string;
  /** True when the call was denied because a `hide: true` rule hides the tool. */
  hidden: boolean;
}

/** One problem in a policy file, at the 1-based line and column of the offending node (0 where the file as a whole is at fault). */
export interface PolicyError {
  file: string;
  line: number;
  col: number;
  /** The field, as `rules[2].rate_limit.window`; empty for the file as a whole. */
  path: string;
  /** What is wrong and what is expected. */
  message: string;
}

export type PolicyLoadResult = { ok: true; policy: CompiledPolicy } | { ok: false; errors: PolicyError[] };

/** A `when` condition as written in a policy file that passed the schema. */
export interface ConditionDocument {
  path: string;
  op: ConditionOperator;
  value?: unknown;
}

/** A rule as written in a policy file that passed the schema. */
export interface RuleDocument {
  tool?: string | string[];
  category?: Category | Category[];
  risk?: Risk | Risk[];
  when?: ConditionDocument[];
  action: RuleAction;
  reason?: string;
  hide?: boolean;
  rate_limit?: { max: number; window: number };
  approval?: { timeout?: number };
}

/** A policy file's content after it passed the schema (see schema.ts, its one source of truth). */
export interface PolicyDocument {
  version: 1;
  mode?: "enforce" | "monitor";
  default: "allow" | "deny";
  classify?: Record<string, Category>;
  audit?: { path?: string; include_arguments?: boolean };
  rules?: RuleDocument[];
}
