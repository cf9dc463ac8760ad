import { globProblem } from "./glob.js";
import { compileLinearRegex, isRegexProblem, slashedPatternWarning } from "./linear-regex.js";
import { namesAPath } from "./path-rules.js";
import type { PolicyDocument, RuleDocument } from "./types.js";

/** A problem the schema cannot express, at a path of keys and indexes into the document. */
export interface SemanticProblem {
  path: (string | number)[];
  /** Whether the position is the key at `path` rather than its value. */
  atKey: boolean;
  /** What is wrong and what to do, without the field name (the caller prefixes it). */
  message: string;
}

function ruleProblems(rule: RuleDocument, index: number): SemanticProblem[] {
  const at = (...rest: (string | number)[]) => ["rules", index, ...rest];
  const problems: SemanticProblem[] = [];
  const actionWords = `got action ${JSON.stringify(rule.action)}`;
  if (rule.hide === true && rule.action !== "deny") {
    problems.push({
      path: at("hide"),
      atKey: true,
      message: `is only allowed with action deny, ${actionWords}; remove hide or set action: deny`,
    });
  }
  if (rule.hide === true && rule.when !== undefined) {
    problems.push({
      path: at("when"),
      atKey: true,
      message: "cannot be combined with hide: true, since hiding applies to whole tools; remove one of them",
    });
  }
  if (rule.rate_limit !== undefined && rule.action === "deny") {
    problems.push({
      path: at("rate_limit"),
      atKey: true,
      message: `is only allowed with action allow or require_approval, ${actionWords}; remove it`,
    });
  }
  if (rule.approval !== undefined && rule.action !== "require_approval") {
    problems.push({
      path: at("approval"),
      atKey: true,
      message: `is only allowed with action require_approval, ${actionWords}; remove it or change the action`,
    });
  }
  const tools = rule.tool === undefined ? [] : Array.isArray(rule.tool) ? rule.tool : [rule.tool];
  tools.forEach((pattern, k) => {
    const problem = globProblem(pattern);
    const path = Array.isArray(rule.tool) ? at("tool", k) : at("tool");
    if (problem) problems.push({ path, atKey: false, message: `${problem}, got ${JSON.stringify(pattern)}` });
  });
  (rule.when ?? []).forEach((condition, j) => {
    const path = at("when", j, "value");
    const value = String(condition.value);
    if (condition.op === "regex") {
      const compiled = compileLinearRegex(value);
      if (isRegexProblem(compiled))
        problems.push({
          path,
          atKey: false,
          message: `must be a pattern RE2 can run: ${compiled.message}`,
        });
    } else if (condition.op === "path_within" || condition.op === "path_outside") {
      const folders = Array.isArray(condition.value) ? condition.value : [condition.value];
      folders.forEach((folder, k) => {
        const text = String(folder);
        if (text.startsWith("~") && text !== "~" && !text.startsWith("~/")) {
          problems.push({
            path: Array.isArray(condition.value) ? [...path, k] : path,
            atKey: false,
            message: `must be a folder; ${JSON.stringify(text)} names another user's home, which policylayer does not read: write the absolute path`,
          });
        }
      });
    } else if (condition.op === "glob") {
      const problem = globProblem(value);
      if (problem) problems.push({ path, atKey: false, message: `${problem}, got ${JSON.stringify(value)}` });
    }
  });
  return problems;
}

/** Globs we cannot honour in `allow_undeclared_arguments`. */
function undeclaredArgumentsProblems(document: PolicyDocument): SemanticProblem[] {
  const patterns = document.allow_undeclared_arguments;
  if (patterns === undefined) return [];
  const list = Array.isArray(patterns) ? patterns : [patterns];
  return list.flatMap((pattern, k) => {
    const problem = globProblem(pattern);
    const path = Array.isArray(patterns) ? ["allow_undeclared_arguments", k] : ["allow_undeclared_arguments"];
    return problem ? [{ path, atKey: false, message: `${problem}, got ${JSON.stringify(pattern)}` }] : [];
  });
}

/** The checks after the schema: option combinations, regexes that compile, globs we can honour. */
export function semanticProblems(document: PolicyDocument): SemanticProblem[] {
  return [...undeclaredArgumentsProblems(document), ...(document.rules ?? []).flatMap(ruleProblems)];
}

/** What validates but likely does not do what its author meant: `/foo/i`, or a prefix test on a path. */
export function semanticWarnings(document: PolicyDocument): SemanticProblem[] {
  const warnings: SemanticProblem[] = [];
  (document.rules ?? []).forEach((rule, index) => {
    (rule.when ?? []).forEach((condition, j) => {
      const at = ["rules", index, "when", j];
      const prefixTest =
        condition.op === "starts_with" || condition.op === "regex" || condition.op === "glob";
      if (prefixTest && namesAPath(condition.path)) {
        warnings.push({
          path: [...at, "op"],
          atKey: false,
          message: `${condition.op} on ${condition.path}, an argument whose name says it is a path, is walked around by spellings such as /tmp/../etc/passwd and by symlinks; use op path_within or path_outside with a list of folders`,
        });
      }
      if (condition.op !== "regex") return;
      const warning = slashedPatternWarning(String(condition.value));
      if (warning !== null) warnings.push({ path: [...at, "value"], atKey: false, message: warning });
    });
  });
  return warnings;
}
