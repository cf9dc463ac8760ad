import { describeClassification } from "../classify/describe.js";
import type { Classification, ToolProfile } from "../classify/types.js";
import { decideToolCall, describeRule, hidingRule } from "../policy/decide.js";
import type { CompiledPolicy, CompiledRule, Decision, ToolCall } from "../policy/types.js";
import { isJsonObject } from "../wire/jsonrpc.js";
import { choosePolicy, listToolsOf, warn } from "./common.js";
import {
  callClassification,
  checkRule,
  decisionPhrase,
  type RuleCheck,
  toolClassification,
} from "./explain.js";
import { summarizePolicy } from "./validate.js";

export interface CheckFlags {
  policy?: string;
  tool: string;
  args: string;
  json?: boolean;
}

/** Parses --args: a JSON object, or a message that names the flag and the bad value. */
export function parseArgsFlag(text: string): Record<string, unknown> | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return `--args must be a JSON object such as '{"operation":"delete"}', got ${JSON.stringify(text)} (not JSON: ${why})`;
  }
  if (!isJsonObject(value)) {
    const kind = Array.isArray(value) ? "a list" : value === null ? "null" : `a ${typeof value}`;
    return `--args must be a JSON object such as '{"operation":"delete"}', got ${JSON.stringify(text)} (${kind})`;
  }
  return value;
}

/**
 * The tool's profile from the server's tools/list with `-- COMMAND`; undefined without a server or
 * when the server does not list the tool: then, as in wrap, the most severe reading of its name and arguments.
 */
async function profileFor(
  serverCommand: string[] | null,
  toolName: string,
): Promise<{ profile: ToolProfile | undefined; note: string } | null> {
  const [command, ...args] = serverCommand ?? [];
  if (command === undefined) {
    return {
      profile: undefined,
      note: "no server given: the most severe reading of the tool's name and arguments (add -- COMMAND to use the server's tools/list, as wrap does)",
    };
  }
  const server = await listToolsOf([command, ...args]);
  if (server === null) return null;
  const listed = server.profiles.get(toolName);
  if (listed !== undefined)
    return { profile: listed, note: `classified with the tools/list of ${server.commandLine}` };
  return {
    profile: undefined,
    note: `${server.commandLine} does not list a tool named ${JSON.stringify(toolName)}: the most severe reading of its name and arguments`,
  };
}

/** The value at a condition path, for showing what a condition compared. */
function valueAt(call: ToolCall, path: string): { present: boolean; value?: unknown } {
  if (path === "tool") return { present: true, value: call.name };
  let value: unknown = call.arguments;
  for (const segment of path.split(".").slice(1)) {
    if (Array.isArray(value) && /^\d+$/.test(segment) && Number(segment) < value.length) {
      value = value[Number(segment)];
    } else if (isJsonObject(value) && Object.hasOwn(value, segment)) {
      value = value[segment];
    } else {
      return { present: false };
    }
  }
  return { present: true, value };
}

const yesNo = (matches: boolean) => (matches ? "matches" : "does not match");

/** The lines that say why one rule matched or not, part by part. */
function ruleLines(check: RuleCheck, call: ToolCall, classification: Classification): string[] {
  const { rule } = check;
  const lines = [`${describeRule(rule)}: ${check.verdict === "matches" ? "MATCHES" : "no match"}`];
  if (rule.toolPatterns !== null) {
    lines.push(
      `    tool ${rule.toolPatterns.map((p) => JSON.stringify(p)).join(" or ")}: ${yesNo(check.nameMatches)} ${call.name}`,
    );
  }
  if (rule.categories !== null) {
    lines.push(
      `    category ${rule.categories.join(" or ")}: ${yesNo(check.categoryMatches === true)} ${classification.category}`,
    );
  }
  if (rule.risks !== null) {
    lines.push(
      `    risk ${rule.risks.join(" or ")}: ${yesNo(check.riskMatches === true)} ${classification.risk}`,
    );
  }
  for (const { condition, outcome } of check.conditions) {
    const expected = condition.value === undefined ? "" : ` ${JSON.stringify(condition.value)}`;
    const actual = valueAt(call, condition.path);
    const seen = actual.present
      ? `${condition.path} is ${JSON.stringify(actual.value)}`
      : `${condition.path} is absent`;
    lines.push(
      `    when ${condition.path} ${condition.op}${expected}: ${outcome === "holds" ? "holds" : "fails"} (${seen})`,
    );
  }
  if (
    rule.toolPatterns === null &&
    rule.categories === null &&
    rule.risks === null &&
    rule.conditions.length === 0
  ) {
    lines.push("    no tool, category, risk or when: matches every call");
  }
  return lines;
}

/** What the decision means in practice: the rate limit, the approval wait, monitor mode. */
function consequences(policy: CompiledPolicy, decision: Decision): string[] {
  const notes: string[] = [];
  const rule = decision.rule;
  if (rule?.rateLimit) {
    notes.push(
      `rate limit: at most ${rule.rateLimit.max} calls in any ${rule.rateLimit.windowSeconds} s match this rule; calls beyond that are denied until the window frees up`,
    );
  }
  if (decision.action === "require_approval") {
    const timeout = rule?.approval?.timeoutSeconds;
    notes.push(
      `approval: a person is asked${timeout === undefined ? "" : `, for up to ${timeout} s`}; without an answer the call is denied`,
    );
  }
  if (policy.mode === "monitor" && decision.action !== "allow") {
    notes.push("mode monitor: the call would still be forwarded; the decision is only logged");
  }
  return notes;
}

function resultWord(decision: Decision): string {
  if (decision.hidden) return "HIDDEN (denied, and not shown in tools/list)";
  return { allow: "ALLOW", deny: "DENY", require_approval: "REQUIRE APPROVAL" }[decision.action];
}

function ruleJson(rule: CompiledRule | null) {
  return rule === null ? null : { number: rule.index + 1, description: describeRule(rule) };
}

/** `policylayer check`: explains how the policy decides one call, rule by rule. */
export async function checkCommand(serverCommand: string[] | null, flags: CheckFlags): Promise<number> {
  const args = parseArgsFlag(flags.args);
  if (typeof args === "string") {
    warn(args);
    return 2;
  }
  const policy = await choosePolicy(flags.policy);
  if (policy === null) return 1;
  const found = await profileFor(serverCommand, flags.tool);
  if (found === null) return 1;
  const { profile, note } = found;
  const call: ToolCall = { name: flags.tool, arguments: args };
  const classification = callClassification(policy, profile, call.name, args);
  // As in wrap: a tool nobody lists is, as a whole, what its call reads as.
  const toolClass = profile === undefined ? classification : toolClassification(policy, profile);
  const decision = decideToolCall(policy, call, classification, toolClass);
  const hider = hidingRule(policy, call.name, toolClass);

  // Every rule up to the deciding one, as decideToolCall went through them; hiding is checked before all.
  const checks: RuleCheck[] = [];
  if (hider === null) {
    for (const rule of policy.rules) {
      const check = checkRule(rule, call, classification, () => true);
      checks.push(check);
      if (check.verdict === "matches") break;
    }
  }

  if (flags.json === true) {
    const report = {
      policy: policy.source,
      mode: policy.mode,
      call,
      classification,
      tool_classification: toolClass,
      classified_with: note,
      hidden_by: ruleJson(hider),
      rules: checks.map((check) => ({
        ...ruleJson(check.rule),
        verdict: check.verdict,
        tool: check.rule.toolPatterns === null ? null : check.nameMatches,
        category: check.categoryMatches,
        risk: check.riskMatches,
        when: check.conditions.map(({ condition, outcome }) => ({
          path: condition.path,
          op: condition.op,
          value: condition.value,
          outcome,
        })),
      })),
      result: {
        action: decision.action,
        hidden: decision.hidden,
        rule: ruleJson(decision.rule),
        reason: decision.reason,
        rate_limit: decision.rule?.rateLimit
          ? { max: decision.rule.rateLimit.max, window: decision.rule.rateLimit.windowSeconds }
          : null,
      },
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return 0;
  }

  const out: string[] = [
    `policy: ${policy.source} (${summarizePolicy(policy)})`,
    `call: ${call.name} ${JSON.stringify(call.arguments)}`,
    `classification: ${classification.category} (${classification.risk} risk); ${note}`,
    ...classification.signals.map((signal) => `  - ${signal}`),
  ];
  if (profile?.selector !== undefined || toolClass.category !== classification.category) {
    out.push(`the tool as a whole: ${describeClassification(toolClass)}`);
  }
  out.push("", "rules, in order (the first that matches decides):");
  if (hider !== null) {
    out.push(
      `  hiding is checked first: ${describeRule(hider)} hides ${call.name}, whose own classification is ${toolClass.category} (${toolClass.risk})`,
    );
  } else if (policy.rules.length === 0) {
    out.push("  the policy has no rules");
  }
  for (const check of checks) out.push(...ruleLines(check, call, classification).map((line) => `  ${line}`));
  const decidedAt = hider?.index ?? decision.rule?.index;
  if (decidedAt !== undefined && decidedAt + 1 < policy.rules.length) {
    const rest = policy.rules.length - decidedAt - 1;
    out.push(`  (${rest} later ${rest === 1 ? "rule was" : "rules were"} not reached)`);
  }
  if (decision.rule === null) out.push(`  no rule matched: the policy's default is ${policy.defaultAction}`);
  out.push("", `result: ${resultWord(decision)}: ${call.name} is ${decisionPhrase(decision)}`);
  if (decision.hidden || (decision.rule !== null && decision.rule.reason !== null))
    out.push(`reason the agent is told: ${decision.reason}`);
  out.push(...consequences(policy, decision));
  process.stdout.write(`${out.join("\n")}\n`);
  return 0;
}
