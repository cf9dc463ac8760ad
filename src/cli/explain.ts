// Explaining decisions to people: rule by rule for `check`, and for calls whose arguments are only partly known (`tools`).
import type { Classification } from "../classify/types.js";
import { categoryMatches, decideToolCall, hidingRule, riskMatches } from "../policy/decide.js";
import { conditionsText, ruleName } from "../policy/describe.js";
import { PathResolutionError } from "../policy/path-rules.js";
import type {
  CompiledCondition,
  CompiledPolicy,
  CompiledRule,
  Decision,
  RuleAction,
  ToolCall,
} from "../policy/types.js";

/** How one `when` condition came out: `unknown` where the call's arguments at its path are not known. */
export interface ConditionCheck {
  condition: CompiledCondition;
  outcome: "holds" | "fails" | "unknown";
}

/** Why one rule matched a call or not, part by part (null: the rule has no such part). */
export interface RuleCheck {
  rule: CompiledRule;
  nameMatches: boolean;
  categoryMatches: boolean | null;
  riskMatches: boolean | null;
  conditions: ConditionCheck[];
  /** `may match`: nothing known rules it out, but a condition depends on arguments that are not known. */
  verdict: "matches" | "no match" | "may match";
}

/**
 * Whether a condition holds for the call; `unknown` where a path argument's place cannot be told
 * (decideToolCall denies such a call, with the reason: pathRefusal).
 */
function testOutcome(condition: CompiledCondition, call: ToolCall): ConditionCheck["outcome"] {
  try {
    return condition.test(call) ? "holds" : "fails";
  } catch (error) {
    if (error instanceof PathResolutionError) return "unknown";
    throw error;
  }
}

/**
 * Checks one rule against a call part by part, as decideToolCall does, without stopping at the
 * first part that fails; conditions on paths `isKnownPath` rejects come out `unknown`.
 */
export function checkRule(
  rule: CompiledRule,
  call: ToolCall,
  classification: Classification,
  isKnownPath: (path: string) => boolean,
): RuleCheck {
  const nameMatches = rule.matchesName(call.name);
  const category = categoryMatches(rule, classification.category);
  const risk = riskMatches(rule, classification.risk);
  const conditions = rule.conditions.map(
    (condition): ConditionCheck => ({
      condition,
      outcome: !isKnownPath(condition.path) ? "unknown" : testOutcome(condition, call),
    }),
  );
  const ruledOut =
    !nameMatches ||
    category === false ||
    risk === false ||
    conditions.some((check) => check.outcome === "fails");
  const verdict = ruledOut
    ? "no match"
    : conditions.some((check) => check.outcome === "unknown")
      ? "may match"
      : "matches";
  return { rule, nameMatches, categoryMatches: category, riskMatches: risk, conditions, verdict };
}

/** What the policy would do with a call whose arguments are only partly known. */
export interface Forecast {
  /** The decision where no rule depends on unknown arguments; otherwise what happens when none of those rules match. */
  decision: Decision;
  /** Rules before the deciding one that could match, depending on arguments that are not known. */
  conditional: CompiledRule[];
}

/**
 * Forecasts the decision for a call of which only the arguments at `isKnownPath` paths are known
 * (the tool name always is). With nothing conditional, the decision is decideToolCall's own.
 */
export function forecastDecision(
  policy: CompiledPolicy,
  call: ToolCall,
  classification: Classification,
  toolClass: Classification,
  isKnownPath: (path: string) => boolean,
): Forecast {
  const known = (path: string) => path === "tool" || isKnownPath(path);
  const conditional: CompiledRule[] = [];
  if (hidingRule(policy, call.name, toolClass) === null) {
    for (const rule of policy.rules) {
      const check = checkRule(rule, call, classification, known);
      if (check.verdict === "matches") break;
      if (check.verdict === "may match") conditional.push(rule);
    }
  }
  if (conditional.length === 0) {
    return { decision: decideToolCall(policy, call, classification, toolClass), conditional };
  }
  // The fallback: the same call with every conditional rule out of the way (kept in place, so indexes hold).
  const skipped = new Set(conditional);
  const rest: CompiledPolicy = {
    ...policy,
    rules: policy.rules.map((rule) => (skipped.has(rule) ? { ...rule, matchesName: () => false } : rule)),
  };
  return { decision: decideToolCall(rest, call, classification, toolClass), conditional };
}

const passive: Record<RuleAction, string> = {
  allow: "allowed",
  deny: "denied",
  require_approval: "held for a person's approval",
};

/** A decision as the end of a sentence: `denied by rule 1 (...)`, `allowed by rule 2 (...), at most 30 calls in 60 s`. */
export function decisionPhrase(decision: Decision): string {
  const { rule } = decision;
  if (rule === null) return `${passive[decision.action]} by the policy's default (no rule matched)`;
  if (decision.hidden) return `hidden from tools/list and denied by ${ruleName(rule)}`;
  const limit =
    rule.rateLimit === null
      ? ""
      : `, at most ${rule.rateLimit.max} calls in ${rule.rateLimit.windowSeconds} s`;
  return `${passive[decision.action]} by ${ruleName(rule)}${limit}`;
}

/** A forecast as the end of a sentence; conditional rules make it "depends on arguments: ...". */
export function forecastPhrase(forecast: Forecast): string {
  if (forecast.conditional.length === 0) return decisionPhrase(forecast.decision);
  const ifs = forecast.conditional.map(
    (rule) => `${passive[rule.action]} by ${ruleName(rule)} when ${conditionsText(rule)}`,
  );
  return `depends on arguments: ${ifs.join("; ")}; otherwise ${decisionPhrase(forecast.decision)}`;
}
