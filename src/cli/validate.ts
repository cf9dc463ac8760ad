import { cutMarker, cutText, terminalLine, visibleText, visibleToolName } from "../display/visible.js";
import { formatPolicyError, formatPolicyWarning, parsePolicy, placed, policyText } from "../policy/load.js";
import { namesAPath } from "../policy/path-rules.js";
import { type PathSignal, schemaPathSignal } from "../policy/schema-paths.js";
import type { SemanticProblem } from "../policy/semantics.js";
import type { CompiledPolicy, PolicyError } from "../policy/types.js";
import type { JsonObject } from "../wire/jsonrpc.js";
import { listToolsOf, type ServerTools } from "./common.js";
import { summarizePolicy } from "./policy-summary.js";

/** Operators that test a path as text, and are walked around by `..`, `//` and symlinks. */
const TEXT_TESTS = new Set(["starts_with", "regex", "glob"]);
/** How many of the server's tools a warning names before it counts the rest. */
const NAMED_TOOLS = 3;
/** How much of a server's text a warning quotes. */
const QUOTED_CHARS = 80;

/** The server's text quoted on one line: escapes for controls and quotes, marks for what would hide, cut with a marker. */
function quoted(text: string): string {
  const cut = cutText(text, QUOTED_CHARS);
  return `${visibleText(JSON.stringify(cut.text))}${cut.omittedChars > 0 ? cutMarker(cut.omittedChars) : ""}`;
}

/** One tool's signal in words: `archive: description "Path to the file"`. */
function signalWords(tool: string, signal: PathSignal): string {
  const of = signal.ofList ? " of the list" : "";
  return `${visibleToolName(tool)}: ${signal.keyword}${of} ${quoted(signal.text)}`;
}

/**
 * Warnings for conditions that test a path as text where the server's tools/list says the argument
 * is a path (schema-paths.ts): each at the condition's `op`, as the warnings from argument names are.
 * A condition whose argument name already says so is warned about from the name alone.
 */
export function schemaPathProblems(policy: CompiledPolicy, tools: readonly JsonObject[]): SemanticProblem[] {
  const problems: SemanticProblem[] = [];
  for (const rule of policy.rules) {
    rule.conditions.forEach((condition, j) => {
      if (!TEXT_TESTS.has(condition.op) || namesAPath(condition.path)) return;
      const signals: string[] = [];
      for (const tool of tools) {
        if (typeof tool.name !== "string" || !rule.matchesName(tool.name)) continue;
        const signal = schemaPathSignal(tool.inputSchema, condition.path);
        if (signal !== null) signals.push(signalWords(tool.name, signal));
      }
      if (signals.length === 0) return;
      const more = signals.length - NAMED_TOOLS;
      const named = signals.slice(0, NAMED_TOOLS).join("; ");
      const which = more > 0 ? `${named}; and ${more} more ${more === 1 ? "tool" : "tools"}` : named;
      problems.push({
        path: ["rules", rule.index, "when", j, "op"],
        atKey: false,
        message: `${condition.op} on ${condition.path}, an argument the server's schema says is a path (${which}), is walked around by spellings such as /tmp/../etc/passwd and by symlinks; use op path_within or path_outside with a list of folders`,
      });
    });
  }
  return problems;
}

/** The warnings of a valid file (`text`, as it was read), with those from the server's schemas placed among them in file order. */
function warningsOf(
  file: string,
  text: string,
  policy: CompiledPolicy,
  warnings: PolicyError[],
  server: ServerTools,
) {
  const problems = schemaPathProblems(policy, server.tools);
  if (problems.length === 0) return warnings;
  const located = placed(text, file, problems);
  return [...warnings, ...located].sort((a, b) => a.line - b.line || a.col - b.col);
}

/**
 * `policylayer validate FILE... [-- COMMAND...]`: for each file, every error as FILE:LINE:COL, or its
 * warnings and a summary; 1 when any did not validate. With a server command, its tools/list is read
 * once, and conditions are also checked against the tools' inputSchemas.
 */
export async function validateCommand(
  files: readonly string[],
  serverCommand: readonly [string, ...string[]] | null = null,
): Promise<number> {
  const server = serverCommand === null ? null : await listToolsOf(serverCommand);
  if (serverCommand !== null && server === null) return 1;
  const against =
    server === null
      ? ""
      : `; checked against the tools/list of ${server.commandLine} (${server.tools.length} tools)`;
  let exitCode = 0;
  const refuse = (errors: readonly PolicyError[]) => {
    for (const error of errors) process.stderr.write(`${terminalLine(formatPolicyError(error))}\n`);
    exitCode = 1;
  };
  for (const file of files) {
    // Read once: the schema warnings are placed in the very text that was validated.
    const text = await policyText(file);
    if (typeof text !== "string") {
      refuse(text.errors);
      continue;
    }
    const result = parsePolicy(text, file);
    if (!result.ok) {
      refuse(result.errors);
      continue;
    }
    const warnings =
      server === null ? result.warnings : warningsOf(file, text, result.policy, result.warnings, server);
    // A warning may quote the server's tools (made visible): the line pass marks right-to-left text too.
    for (const warning of warnings) process.stderr.write(`${terminalLine(formatPolicyWarning(warning))}\n`);
    process.stdout.write(`${file}: valid (${summarizePolicy(result.policy)})${visibleText(against)}\n`);
  }
  return exitCode;
}
