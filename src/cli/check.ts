import { describeClassification } from "../classify/describe.js";
import type { Classification, ToolProfile } from "../classify/types.js";
import {
  terminalLine,
  terminalSafeJson,
  visibleField,
  visibleText,
  visibleToolName,
} from "../display/visible.js";
import {
  classifyForPolicy,
  type PolicyClassification,
  readForPolicy,
  withRefusal,
} from "../policy/classification.js";
import { ABSENT } from "../policy/condition.js";
import { decideToolCall, hidingRule } from "../policy/decide.js";
import { conditionText, describeRule } from "../policy/describe.js";
import type { CompiledPolicy, CompiledRule, ConditionFinding, Decision, ToolCall } from "../policy/types.js";
import { isJsonObject } from "../wire/jsonrpc.js";
import { choosePolicy, listToolsOf, warn } from "./common.js";
import { checkRule, decisionPhrase, type RuleCheck } from "./explain.js";
import { summarizePolicy } from "./policy-summary.js";

export interface CheckFlags {
  policy?: string;
  tool: string;
  args: string;
  json?: boolean;
}

/** Longest --args text (perhaps pasted from the agent's words) quoted in its error before it is cut with a marker. */
const QUOTED_ARGS_CHARS = 500;

/** The --args text quoted in an error: one visible field, cut. */
function quotedArgs(text: string): string {
  return visibleField(JSON.stringify(text), QUOTED_ARGS_CHARS);
}

/** Parses --args: a JSON object, or a message that names the flag and the bad value. */
export function parseArgsFlag(text: string): Record<string, unknown> | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return `--args must be a JSON object such as '{"operation":"delete"}', got ${quotedArgs(text)} (not JSON: ${visibleField(why, QUOTED_ARGS_CHARS)})`;
  }
  if (!isJsonObject(value)) {
    const kind = Array.isArray(value) ? "a list" : value === null ? "null" : `a ${typeof value}`;
    return `--args must be a JSON object such as '{"operation":"delete"}', got ${quotedArgs(text)} (${kind})`;
  }
  return value;
}

/** A tool's profile as check uses it, and a note on where it came from. */
export interface CheckedProfile {
  /** Undefined where the server's tools/list is not known or does not list the tool: wrap's case of an unlisted tool. */
  profile: ToolProfile | undefined;
  note: string;
}

/** The tool's profile from a server's tools/list (null: no server was given), chosen as wrap would. */
export function listedProfile(
  server: { profiles: ReadonlyMap<string, ToolProfile>; commandLine: string } | null,
  toolName: string,
): CheckedProfile {
  if (server === null) {
    return {
      profile: undefined,
      note: "no server given: classified as a tool the server never listed (add -- COMMAND to use the server's tools/list)",
    };
  }
  const listed = server.profiles.get(toolName);
  if (listed !== undefined)
    return { profile: listed, note: `classified with the tools/list of ${server.commandLine}` };
  return {
    profile: undefined,
    note: `${server.commandLine} does not list a tool named ${JSON.stringify(toolName)}: classified as wrap classifies an unlisted tool`,
  };
}

/** The tool's profile: from the server's tools/list with `-- COMMAND`; null after saying why listing failed. */
async function profileFor(serverCommand: string[] | null, toolName: string): Promise<CheckedProfile | null> {
  const [command, ...args] = serverCommand ?? [];
  if (command === undefined) return listedProfile(null, toolName);
  const server = await listToolsOf([command, ...args]);
  return server === null ? null : listedProfile(server, toolName);
}

const yesNo = (matches: boolean) => (matches ? "matches" : "does not match");

/** The lines that say why one rule matched or not, part by part. */
function ruleLines(check: RuleCheck, call: ToolCall, classification: Classification): string[] {
  const { rule } = check;
  const lines = [
    `${visibleText(describeRule(rule))}: ${check.verdict === "matches" ? "MATCHES" : "no match"}`,
  ];
  if (rule.toolPatterns !== null) {
    lines.push(
      `    tool ${rule.toolPatterns.map((p) => visibleText(JSON.stringify(p))).join(" or ")}: ${yesNo(check.nameMatches)} ${visibleToolName(call.name)}`,
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
    // In check every argument is known: `unknown` is a path whose place cannot be told (checkRule).
    const seen =
      outcome === "unknown"
        ? "cannot tell where a path argument leads: the call is denied"
        : `${outcome === "holds" ? "holds" : "fails"} (${seenText(condition.explain(call))})`;
    lines.push(`    when ${visibleText(conditionText(condition))}: ${seen}`);
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

/** What a condition saw, for people: `args.instance_groups.1.InstanceCount is 50`, `args.amount is "5_000", read as 5000`. */
function seenText(finding: ConditionFinding): string {
  const path = visibleText(finding.path);
  if (finding.value === ABSENT) return `${path} is absent`;
  const reading =
    "reading" in finding ? `, read as ${terminalSafeJson(JSON.stringify(finding.reading))}` : "";
  return `${path} is ${terminalSafeJson(JSON.stringify(finding.value))}${reading}`;
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

/** How the policy decides one call, and why, rule by rule: what `check` prints. */
export interface CallExplanation {
  classes: PolicyClassification;
  decision: Decision;
  /** The rule that hides the tool (checked before all others), or null. */
  hider: CompiledRule | null;
  /** Every rule up to the deciding one, as decideToolCall goes through them (none when hidden or refused). */
  checks: RuleCheck[];
  /** The call as decided: its arguments read as the tool's server will read them. */
  call: ToolCall;
  /** Its arguments are not as sent. */
  changed: boolean;
  /** Why the arguments cannot be read as the tool's inputSchema declares them (the call is denied); null when they can. */
  refusal: string | null;
}

/** Explains the decision on one call of a tool with this profile (undefined: the server did not list it). */
export function explainCall(
  policy: CompiledPolicy,
  profile: ToolProfile | undefined,
  sent: ToolCall,
): CallExplanation {
  const { call, changed, refusal } = readForPolicy(policy, profile, sent);
  const classes = classifyForPolicy(policy, profile, call);
  const decision = withRefusal(decideToolCall(policy, call, classes.call, classes.tool), refusal);
  const hider = hidingRule(policy, call.name, classes.tool);
  const checks: RuleCheck[] = [];
  if (hider === null && refusal === null) {
    for (const rule of policy.rules) {
      const check = checkRule(rule, call, classes.call, () => true);
      checks.push(check);
      if (check.verdict === "matches") break;
    }
  }
  return { classes, decision, hider, checks, call, changed, refusal };
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
  const sent: ToolCall = { name: flags.tool, arguments: args };
  const { classes, decision, hider, checks, call, changed, refusal } = explainCall(policy, profile, sent);
  const { call: classification, tool: toolClass } = classes;

  if (flags.json === true) {
    const report = {
      policy: policy.source,
      mode: policy.mode,
      call: sent,
      read_as: changed ? call.arguments : null,
      refused: refusal ?? (decision.pathRefused === true ? decision.reason : null),
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
        when: check.conditions.map(({ condition, outcome }) => {
          // `unknown`: where a path argument leads cannot be told (the call is denied; result.reason says why).
          if (outcome === "unknown")
            return { path: condition.path, op: condition.op, value: condition.value, outcome };
          const finding = condition.explain(call);
          return {
            path: condition.path,
            op: condition.op,
            value: condition.value,
            outcome,
            at: finding.path,
            ...(finding.value === ABSENT ? {} : { seen: finding.value }),
            ...("reading" in finding ? { read_as: finding.reading } : {}),
          };
        }),
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
    process.stdout.write(`${terminalSafeJson(JSON.stringify(report, null, 2))}\n`);
    return 0;
  }

  const out: string[] = [
    `policy: ${visibleText(policy.source)} (${summarizePolicy(policy)})`,
    `call: ${visibleToolName(sent.name)} ${terminalSafeJson(JSON.stringify(sent.arguments))}`,
    ...(changed
      ? [`read as the server will read it: ${terminalSafeJson(JSON.stringify(call.arguments))}`]
      : []),
    `classification: ${classification.category} (${classification.risk} risk); ${visibleText(note)}`,
    ...classification.signals.map((signal) => `  - ${visibleText(signal)}`),
  ];
  if (profile?.selector !== undefined || toolClass.category !== classification.category) {
    out.push(`the tool as a whole: ${visibleText(describeClassification(toolClass))}`);
  }
  out.push("", "rules, in order (the first that matches decides):");
  if (hider !== null) {
    out.push(
      `  hiding is checked first: ${visibleText(describeRule(hider))} hides ${visibleToolName(call.name)}, whose own classification is ${toolClass.category} (${toolClass.risk})`,
    );
  } else if (refusal !== null) {
    out.push(
      `  none: the arguments do not read as the tool's inputSchema declares them: ${visibleText(refusal)}`,
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
  if (decision.rule === null && refusal === null && decision.pathRefused !== true)
    out.push(`  no rule matched: the policy's default is ${policy.defaultAction}`);
  const phrase =
    decision.pathRefused === true
      ? "refused: where a path argument leads cannot be told"
      : refusal === null || decision.hidden
        ? visibleText(decisionPhrase(decision))
        : "refused: its arguments do not read as declared";
  out.push("", `result: ${resultWord(decision)}: ${visibleToolName(call.name)} is ${phrase}`);
  if ((refusal !== null && !decision.hidden) || decision.pathRefused === true)
    out.push(`reason the agent is told: ${visibleText(decision.reason)}`);
  if (decision.hidden || (decision.rule !== null && decision.rule.reason !== null))
    out.push(`reason the agent is told: ${visibleText(decision.reason)}`);
  out.push(...consequences(policy, decision));
  // Each field from the agent, the server or the policy was made visible on its own above; the
  // line pass shows right-to-left text as marks, so no terminal reorders a field or its neighbours.
  process.stdout.write(`${out.map(terminalLine).join("\n")}\n`);
  return 0;
}
