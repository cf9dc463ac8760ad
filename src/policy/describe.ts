import type { CompiledCondition, CompiledRule } from "./types.js";

// How rules read to people: in reasons the agent is told, in check's trace, in tools' sentences, in the inbox.

/** One `when` condition as written: `args.path starts_with "/etc"`. */
export function conditionText(condition: CompiledCondition): string {
  const value = condition.value === undefined ? "" : ` ${JSON.stringify(condition.value)}`;
  return `${condition.path} ${condition.op}${value}`;
}

/** The `when` part of a rule: `args.path starts_with "/etc" and ...`. */
export function conditionsText(rule: CompiledRule): string {
  return rule.conditions.map(conditionText).join(" and ");
}

/** A rule as people can find it in the file: `rule 3 (tool "batch_delete_*")`, numbered from 1. */
export function describeRule(rule: CompiledRule): string {
  const parts: string[] = [];
  if (rule.toolPatterns)
    parts.push(`tool ${rule.toolPatterns.map((name) => JSON.stringify(name)).join(" or ")}`);
  if (rule.categories) parts.push(`category ${rule.categories.join(" or ")}`);
  if (rule.risks) parts.push(`risk ${rule.risks.join(" or ")}`);
  for (const condition of rule.conditions) parts.push(`when ${conditionText(condition)}`);
  return `rule ${rule.index + 1} (${parts.length > 0 ? parts.join(", ") : "every call"})`;
}

/** A rule named for a sentence: `rule 1 (its reason)`, or describeRule's words where it gives no reason. */
export function ruleName(rule: CompiledRule): string {
  if (rule.reason === null) return describeRule(rule);
  return `rule ${rule.index + 1} (${rule.reason.trim().replace(/\.$/, "")})`;
}
