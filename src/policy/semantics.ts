import { MAX_AMOUNT, type PolicyOrigin } from "./compile.js";
import { globProblem } from "./glob.js";
import { compileLinearRegex, isRegexProblem, slashedPatternWarning } from "./linear-regex.js";
import { machinePathContext, namesAPath, PathResolutionError, resolvedFolder } from "./path-rules.js";
import type { PolicyDocument, RuleDocument } from "./types.js";

/** A problem the schema cannot express, at a path of keys and indexes into the document. */
export interface SemanticProblem {
  path: (string | number)[];
  /** Whether the position is the key at `path` rather than its value. */
  atKey: boolean;
  /** What is wrong and what to do, without the field name (the caller prefixes it). */
  message: string;
}

function ruleProblems(rule: RuleDocument, index: number, origin: PolicyOrigin): SemanticProblem[] {
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
  if (rule.budget !== undefined && rule.action === "deny") {
    problems.push({
      path: at("budget"),
      atKey: true,
      message: `is only allowed with action allow or require_approval, ${actionWords}; remove it`,
    });
  }
  for (const block of ["rate_limit", "budget"] as const) {
    const window = rule[block]?.window;
    if (window !== undefined && window > MAX_WINDOW_SECONDS) {
      problems.push({
        path: at(block, "window"),
        atKey: false,
        message: `must be at most ${MAX_WINDOW_SECONDS} seconds (a year), got ${window}`,
      });
    }
  }
  if (rule.rate_limit !== undefined && rule.rate_limit.max > MAX_RATE_LIMIT) {
    problems.push({
      path: at("rate_limit", "max"),
      atKey: false,
      message: `must be at most ${MAX_RATE_LIMIT} calls, got ${rule.rate_limit.max}`,
    });
  }
  if (rule.budget !== undefined && rule.budget.max > MAX_AMOUNT) {
    problems.push({
      path: at("budget", "max"),
      atKey: false,
      message: `must be at most 1e15, got ${rule.budget.max}`,
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
        const message = folderProblem(String(folder), origin);
        if (message !== null)
          problems.push({
            path: Array.isArray(condition.value) ? [...path, k] : path,
            atKey: false,
            message,
          });
      });
    } else if (condition.op === "glob") {
      const problem = globProblem(value);
      if (problem) problems.push({ path, atKey: false, message: `${problem}, got ${JSON.stringify(value)}` });
    }
  });
  return problems;
}

/** Why a path rule's folder cannot be used (compiling it would throw), else null. */
function folderProblem(folder: string, origin: PolicyOrigin): string | null {
  if (folder.startsWith("~") && folder !== "~" && !folder.startsWith("~/"))
    return `must be a folder; ${JSON.stringify(folder)} names another user's home, which policylayer does not read: write the absolute path`;
  try {
    resolvedFolder(folder, origin.baseDir, origin.paths ?? machinePathContext());
    return null;
  } catch (error) {
    if (!(error instanceof PathResolutionError)) throw error;
    return `must be a folder policylayer can resolve: ${error.message}`;
  }
}

/** The longest window a limit may have: a year. */
const MAX_WINDOW_SECONDS = 31_536_000;
/** The largest rate_limit max: counts stay exact integers far below it. */
const MAX_RATE_LIMIT = 1_000_000_000;

/** Two limited rules with one identity would share counts: an explicit id must be unique. */
function duplicateIdProblems(rules: RuleDocument[]): SemanticProblem[] {
  const firstWithId = new Map<string, number>();
  const problems: SemanticProblem[] = [];
  rules.forEach((rule, index) => {
    if (rule.id === undefined) return;
    const first = firstWithId.get(rule.id);
    if (first === undefined) firstWithId.set(rule.id, index);
    else
      problems.push({
        path: ["rules", index, "id"],
        atKey: false,
        message: `${JSON.stringify(rule.id)} is already the id of rules[${first}]; give each rule its own id`,
      });
  });
  return problems;
}

/** A state.url that is no URL at all is refused here; credentials are checked when wrap connects. */
function stateProblems(document: PolicyDocument): SemanticProblem[] {
  const url = document.state?.url;
  if (url === undefined || URL.canParse(url)) return [];
  return [
    {
      path: ["state", "url"],
      atKey: false,
      message: "must be a URL such as redis://user:password@127.0.0.1:6379/0; this one cannot be parsed",
    },
  ];
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

/**
 * The checks after the schema: option combinations, regexes that compile, globs we can honour,
 * path rules' folders that resolve on this machine (read from `origin`).
 */
export function semanticProblems(document: PolicyDocument, origin: PolicyOrigin): SemanticProblem[] {
  const rules = document.rules ?? [];
  return [
    ...undeclaredArgumentsProblems(document),
    ...stateProblems(document),
    ...rules.flatMap((rule, index) => ruleProblems(rule, index, origin)),
    ...duplicateIdProblems(rules),
  ];
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
      if (
        rule.action === "allow" &&
        condition.op === "path_within" &&
        condition.path.split(".").includes("*")
      ) {
        warnings.push({
          path: [...at, "path"],
          atKey: false,
          message: `path_within on ${condition.path} in an allow rule holds when one element is within, so a list with one path inside and others outside is allowed; for every element, deny op path_outside on ${condition.path}`,
        });
      }
      if (condition.op !== "regex") return;
      const warning = slashedPatternWarning(String(condition.value));
      if (warning !== null) warnings.push({ path: [...at, "value"], atKey: false, message: warning });
    });
  });
  return warnings;
}
