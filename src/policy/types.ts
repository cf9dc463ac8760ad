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
  | "path_within"
  | "path_outside"
  | "exists";

/** Where a condition looked in a call, and what it found there (for `check` and `tools`). */
export interface ConditionFinding {
  holds: boolean;
  /** The place, with `*` resolved: `args.instance_groups.1.InstanceCount`. */
  path: string;
  /** The value there, or ABSENT (condition.ts) where there is none. */
  value: unknown;
  /** The reading of the value that decided, where it was not the value itself (`"5000"` read as 5000). */
  reading?: unknown;
}

/** One compiled `when` condition: a pure predicate over the call. */
export interface CompiledCondition {
  path: string;
  op: ConditionOperator;
  /** The `value` as written (absent for `exists` without one): for describing the rule to people. */
  value?: unknown;
  test(call: ToolCall): boolean;
  /** The place that made the condition hold (the first element that does, for `*`), else the first place it looked. */
  explain(call: ToolCall): ConditionFinding;
}

/** Who shares a limit's counts: one client connection, every session of one server, or every wrap on the store. */
export type LimitScope = "session" | "server" | "global";

/** A count of calls (rate_limit) or a sum of an argument's values (budget). */
export type LimitKind = "rate_limit" | "budget";

/** One limit of a rule, ready to count: what a call adds, the cap, the window and who shares it. */
export interface CompiledLimit {
  kind: LimitKind;
  /** The rule's identity (its `id`, else a hash of what it matches and its limit blocks): keys the counts. */
  ruleId: string;
  max: number;
  windowSeconds: number;
  scope: LimitScope;
  /** For a budget, the argument summed as written (`args.amount`); null for a rate limit. */
  sum: string | null;
  /** What one call adds: 1 for a rate limit; for a budget its amount, or why it cannot be counted. */
  amountOf(call: ToolCall): number | string;
}

/** Where counts of server and global scope live: the policy's `state:` block with its defaults. */
export interface StateSettings {
  store: "local" | "redis";
  /** The Redis URL as written, or null for the default (the environment may override either). */
  url: string | null;
  keyPrefix: string;
  onUnavailable: "deny" | "allow";
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
  /** The rule's rate_limit and budget, in that order; empty when it has neither. */
  limits: CompiledLimit[];
  approval: { timeoutSeconds: number } | null;
  /** The identity that keys the rule's counts: its `id`, else a hash of its matchers and limit blocks. */
  id: string;
  /** Stable across reloads while the rule's content is unchanged (every key, reason included). */
  fingerprint: string;
}

/** A validated, compiled policy: plain data and pure predicates, no I/O. */
export interface CompiledPolicy {
  mode: "enforce" | "monitor";
  defaultAction: "allow" | "deny";
  rules: CompiledRule[];
  /** The policy's `classify:` block: a user's category for a tool, overriding classification. */
  categoryOverrides: ReadonlyMap<string, Category>;
  /** True for tools named by `allow_undeclared_arguments`: their calls may carry keys their inputSchema does not declare. */
  allowsUndeclaredArguments(toolName: string): boolean;
  audit: { path: string | null; includeArguments: boolean };
  state: StateSettings;
  /** The policy's `server:` name for shared counts, or null to use the server's command line. */
  serverName: string | null;
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
  /** True when the call was denied before a rule could decide: where a path argument leads cannot be told (pathRefusal). */
  pathRefused?: true;
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

/** A valid policy comes with warnings: what validates but likely does not do what its author meant. */
export type PolicyLoadResult =
  | { ok: true; policy: CompiledPolicy; warnings: PolicyError[] }
  | { ok: false; errors: PolicyError[] };

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
  id?: string;
  rate_limit?: { max: number; window: number; scope?: LimitScope };
  budget?: { sum: string; max: number; window: number; scope?: LimitScope };
  approval?: { timeout?: number };
}

/** A policy file's content after it passed the schema (see schema.ts, its one source of truth). */
export interface PolicyDocument {
  version: 1;
  mode?: "enforce" | "monitor";
  default: "allow" | "deny";
  classify?: Record<string, Category>;
  allow_undeclared_arguments?: string | string[];
  audit?: { path?: string; include_arguments?: boolean };
  state?: {
    store?: "local" | "redis";
    url?: string;
    key_prefix?: string;
    on_unavailable?: "deny" | "allow";
  };
  server?: string;
  rules?: RuleDocument[];
}
