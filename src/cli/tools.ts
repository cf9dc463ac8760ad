import type { Classification, ToolProfile } from "../classify/types.js";
import {
  terminalLine,
  terminalSafeJson,
  visibleField,
  visibleText,
  visibleToolName,
} from "../display/visible.js";
import { classifyForPolicy, toolClassForPolicy } from "../policy/classification.js";
import type { CompiledPolicy } from "../policy/types.js";
import { choosePolicy, listToolsOf, requireServerCommand, type ServerTools, serverLabel } from "./common.js";
import { type Forecast, forecastDecision, forecastPhrase } from "./explain.js";
import { summarizePolicy } from "./policy-summary.js";

export interface ToolsFlags {
  policy?: string;
  json?: boolean;
}

/** One line of `policylayer tools`: a tool, or one value of its selector argument. */
export interface ToolRow {
  tool: string;
  /** The tool's selector argument (operation, action, ...), or null where it has none. */
  argument: string | null;
  /** The selector value this row is about; null for the tool as a whole. */
  value: string | null;
  classification: Classification;
  forecast: Forecast;
}

/** Every row for a server's tools: each tool, then each value of its selector, in the server's order. */
export function toolRows(policy: CompiledPolicy, profiles: Iterable<ToolProfile>): ToolRow[] {
  const rows: ToolRow[] = [];
  for (const profile of profiles) {
    const toolClass = toolClassForPolicy(policy, profile);
    const argument = profile.selector?.argument ?? null;
    const selectorPath = argument === null ? null : `args.${argument}`;
    // The tool as a whole: a call without the selector argument, whose other arguments are unknown.
    rows.push({
      tool: profile.name,
      argument,
      value: null,
      classification: toolClass,
      forecast: forecastDecision(
        policy,
        { name: profile.name, arguments: {} },
        toolClass,
        toolClass,
        (path) => path === selectorPath,
      ),
    });
    if (argument === null || profile.selector === undefined) continue;
    for (const value of profile.selector.values.keys()) {
      const call = { name: profile.name, arguments: { [argument]: value } };
      const classification = classifyForPolicy(policy, profile, call).call;
      rows.push({
        tool: profile.name,
        argument,
        value,
        classification,
        forecast: forecastDecision(policy, call, classification, toolClass, (path) => path === selectorPath),
      });
    }
  }
  return rows;
}

function label(row: ToolRow): string {
  const tool = visibleToolName(row.tool);
  return row.value === null ? tool : `${tool}(${selectorText(row)})`;
}

/** `operation=delete`: the selector argument and value from the server, each made visible. */
function selectorText(row: ToolRow): string {
  return `${visibleField(row.argument ?? "")}=${visibleField(row.value ?? "")}`;
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? "an" : "a";
}

/** The sentence for one row: `x(operation=delete) is a destructive tool with critical risk: denied by rule 1 (...)`. */
export function rowSentence(row: ToolRow): string {
  const { category, risk } = row.classification;
  const what = `${label(row)} is ${article(category)} ${category} tool with ${risk} risk`;
  if (row.argument !== null && row.value === null) {
    const argument = visibleField(row.argument);
    return `${what} (its most severe ${argument}); a call without ${argument} is ${visibleText(forecastPhrase(row.forecast))}`;
  }
  return `${what}: ${visibleText(forecastPhrase(row.forecast))}`;
}

/** A row for scripts: the fields `--json` promises. */
function rowJson(row: ToolRow) {
  const { decision, conditional } = row.forecast;
  const rateLimit = decision.rule?.rateLimit ?? null;
  return {
    tool: row.tool,
    argument: row.argument,
    value: row.value,
    category: row.classification.category,
    risk: row.classification.risk,
    signals: row.classification.signals,
    action: conditional.length > 0 ? "depends_on_arguments" : decision.action,
    rule: decision.rule === null ? null : decision.rule.index + 1,
    reason: conditional.length > 0 ? forecastPhrase(row.forecast) : decision.reason,
    hidden: decision.hidden,
    rate_limit: rateLimit === null ? null : { max: rateLimit.max, window: rateLimit.windowSeconds },
    depends_on: conditional.map((rule) => ({ rule: rule.index + 1, action: rule.action })),
    sentence: rowSentence(row),
  };
}

/** The POLICY column of the terminal table: the action and the rule, briefly. */
function shortDecision(forecast: Forecast): string {
  const { decision, conditional } = forecast;
  const by = decision.rule === null ? "default" : `rule ${decision.rule.index + 1}`;
  const limit = decision.rule?.rateLimit;
  const limited = limit ? `, ${limit.max}/${limit.windowSeconds}s` : "";
  const action = decision.hidden ? "HIDDEN, deny" : decision.action.replace("require_approval", "approval");
  const base = `${action} (${by}${limited})`;
  if (conditional.length === 0) return base;
  const rules = conditional.map((rule) => `rule ${rule.index + 1}`).join(", ");
  return `depends on args (${rules}), else ${base}`;
}

/** An aligned table for people at a terminal. */
function renderTable(rows: ToolRow[]): string {
  // Tool names, argument values and signals come from the server: every cell is shown visibly,
  // right-to-left text as marks too (a bidi terminal would move it across the columns).
  const cells = rows.map((row) =>
    [
      row.value === null ? visibleToolName(row.tool) : `  ${selectorText(row)}`,
      row.classification.category,
      row.classification.risk,
      shortDecision(row.forecast),
      visibleText(row.classification.signals.join("; ")),
    ].map(terminalLine),
  );
  const header = ["TOOL", "CATEGORY", "RISK", "POLICY", "SIGNALS"];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...cells.map((cell) => (cell[column] ?? "").length)),
  );
  const line = (cell: string[]) =>
    cell
      .map((text, column) => (column === cell.length - 1 ? text : text.padEnd(widths[column] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(header), ...cells.map(line)].join("\n");
}

function headerLine(server: ServerTools, policy: CompiledPolicy): string {
  const name = serverLabel(server.serverInfo);
  const tools = `${server.tools.length} ${server.tools.length === 1 ? "tool" : "tools"}`;
  const named = name === null ? "" : `${visibleField(name)}, `;
  return `${visibleText(server.commandLine)}: ${named}${tools}; policy: ${visibleText(policy.source)} (${summarizePolicy(policy)})`;
}

/** `policylayer tools`: lists a server's tools with their classification and what the policy would do. */
export async function toolsCommand(serverCommand: string[] | null, flags: ToolsFlags): Promise<number> {
  const command = requireServerCommand(
    serverCommand,
    "policylayer tools -- uvx awslabs.sagemaker-ai-mcp-server",
  );
  if (command === null) return 2;
  const policy = await choosePolicy(flags.policy);
  if (policy === null) return 1;
  const server = await listToolsOf(command);
  if (server === null) return 1;
  const rows = toolRows(policy, server.profiles.values());
  if (flags.json === true) {
    process.stdout.write(`${terminalSafeJson(JSON.stringify(rows.map(rowJson), null, 2))}\n`);
  } else if (process.stdout.isTTY) {
    process.stdout.write(`${terminalLine(headerLine(server, policy))}\n\n${renderTable(rows)}\n`);
  } else {
    const lines = rows.map(
      (row) =>
        `${terminalLine(rowSentence(row))}\n  signals: ${terminalLine(visibleText(row.classification.signals.join("; "))) || "none"}`,
    );
    process.stdout.write(`# ${terminalLine(headerLine(server, policy))}\n${lines.join("\n")}\n`);
  }
  return 0;
}
