import { describeRule } from "./describe.js";
import { PathResolutionError, withPathLookups } from "./path-rules.js";
import type {
  Category,
  Classification,
  CompiledPolicy,
  CompiledRule,
  Decision,
  Risk,
  RuleAction,
  ToolCall,
} from "./types.js";

/** Tool names whose candidate rules are remembered per policy; names come from the agent, so the cache is bounded. */
const MAX_CACHED_TOOL_NAMES = 4096;

/** The rules whose `tool` part matches one tool name, in policy order, and those of them per class. */
interface NameRules {
  rules: readonly CompiledRule[];
  /** By category, then risk: the rules whose `category` and `risk` parts match too. */
  byClass: Map<Category, Map<Risk, readonly CompiledRule[]>>;
}

/** What is worth computing once per compiled policy rather than once per call. */
interface PolicyIndex {
  /** Per tool name, the rules that can apply to it. */
  candidates: Map<string, NameRules>;
  /** Per rule index, the sentence used when the rule decides and wrote no reason of its own. */
  ruleReasons: string[];
  /** Per rule index, the sentence used when the rule hides the called tool. */
  hiddenReasons: string[];
}

const indexes = new WeakMap<CompiledPolicy, PolicyIndex>();

const actionWords: Record<RuleAction, string> = {
  allow: "allowed by",
  deny: "denied by",
  require_approval: "approval required by",
};

function policyIndex(policy: CompiledPolicy): PolicyIndex {
  let index = indexes.get(policy);
  if (index === undefined) {
    index = {
      candidates: new Map(),
      ruleReasons: policy.rules.map((rule) => `${actionWords[rule.action]} ${describeRule(rule)}`),
      hiddenReasons: policy.rules.map((rule) => {
        const own = rule.reason === null ? "" : `: ${rule.reason}`;
        return `this tool is hidden by ${describeRule(rule)}${own}`;
      }),
    };
    indexes.set(policy, index);
  }
  return index;
}

/** The rules that can apply to a call of this tool and class, in order: memoized per policy, name and class. */
function candidateRules(
  policy: CompiledPolicy,
  toolName: string,
  category: Category,
  risk: Risk,
): readonly CompiledRule[] {
  const { candidates } = policyIndex(policy);
  let named = candidates.get(toolName);
  if (named === undefined) {
    named = { rules: policy.rules.filter((rule) => rule.matchesName(toolName)), byClass: new Map() };
    if (candidates.size >= MAX_CACHED_TOOL_NAMES) {
      const oldest = candidates.keys().next();
      if (!oldest.done) candidates.delete(oldest.value);
    }
    candidates.set(toolName, named);
  }
  let byRisk = named.byClass.get(category);
  if (byRisk === undefined) {
    byRisk = new Map();
    named.byClass.set(category, byRisk);
  }
  let rules = byRisk.get(risk);
  if (rules === undefined) {
    rules = named.rules.filter((rule) => matchesClassification(rule, category, risk));
    byRisk.set(risk, rules);
  }
  return rules;
}

/** Whether every `when` condition of a rule holds for the call. */
function allConditionsHold(rule: CompiledRule, call: ToolCall): boolean {
  for (const condition of rule.conditions) if (!condition.test(call)) return false;
  return true;
}

/** Whether a rule's `category` part admits a category; null when the rule has none. */
export function categoryMatches(rule: CompiledRule, category: Category): boolean | null {
  return rule.categories === null ? null : rule.categories.includes(category);
}

/** Whether a rule's `risk` part admits a risk; null when the rule has none. */
export function riskMatches(rule: CompiledRule, risk: Risk): boolean | null {
  return rule.risks === null ? null : rule.risks.includes(risk);
}

function matchesClassification(rule: CompiledRule, category: Category, risk: Risk): boolean {
  return categoryMatches(rule, category) !== false && riskMatches(rule, risk) !== false;
}

/**
 * The first `hide` rule that hides a tool, given the tool's own classification as the policy sees
 * it (classifyForPolicy); for filtering tools/list.
 */
export function hidingRule(
  policy: CompiledPolicy,
  toolName: string,
  toolClassification: Classification,
): CompiledRule | null {
  for (const rule of rulesForClass(policy, toolName, toolClassification)) if (rule.hide) return rule;
  return null;
}

function rulesForClass(
  policy: CompiledPolicy,
  toolName: string,
  classification: Classification,
): readonly CompiledRule[] {
  return candidateRules(policy, toolName, classification.category, classification.risk);
}

/** The reason of a call denied because a path argument's place cannot be told (fail closed). */
export function pathRefusal(error: PathResolutionError): string {
  return `policylayer cannot tell where a path argument of this call leads (${error.message}), so it was denied (fail closed)`;
}

/**
 * Decides one tools/call: a tool hidden by a `hide` rule is denied first, then the first matching rule
 * decides, else the policy's default. The classifications are the call's and its tool's as the policy
 * sees them (classifyForPolicy); `toolClassification`, which hiding is about, defaults to the call's.
 */
export function decideToolCall(
  policy: CompiledPolicy,
  call: ToolCall,
  classification: Classification,
  toolClassification: Classification = classification,
): Decision {
  const { ruleReasons, hiddenReasons } = policyIndex(policy);
  const hider = hidingRule(policy, call.name, toolClassification);
  if (hider !== null) {
    return { action: "deny", rule: hider, reason: hiddenReasons[hider.index] ?? "", hidden: true };
  }
  // One set of file-system lookups for all the call's path rules: each folder read once, all bounded.
  let rule: CompiledRule | undefined;
  try {
    rule = withPathLookups(() =>
      rulesForClass(policy, call.name, classification).find((candidate) =>
        allConditionsHold(candidate, call),
      ),
    );
  } catch (error) {
    if (!(error instanceof PathResolutionError)) throw error;
    return { action: "deny", rule: null, reason: pathRefusal(error), hidden: false, pathRefused: true };
  }
  if (rule !== undefined)
    return { action: rule.action, rule, reason: rule.reason ?? ruleReasons[rule.index] ?? "", hidden: false };
  return {
    action: policy.defaultAction,
    rule: null,
    reason: `no rule matched; the policy's default is ${policy.defaultAction}`,
    hidden: false,
  };
}
