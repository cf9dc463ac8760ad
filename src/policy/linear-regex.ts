import { createRequire } from "node:module";

/**
 * Policy regexes on a linear-time engine: re2js, Google's RE2 ported to plain JavaScript (no native
 * addon, no binary to download). JavaScript's own engine backtracks, so `(a+)+$` against 27
 * characters took 11.6 s and froze the session; RE2's automaton takes time in proportion to the
 * input whatever the pattern. Patterns are in RE2's syntax (JavaScript's, less backreferences and
 * lookaround, with \x{...} for \u...); what RE2 cannot run is refused when the policy is validated.
 * Not translated from JavaScript's syntax: re2js's translator reads an unknown escape such as \k<name>
 * as a plain letter, which would change what a deny rule matches without a word.
 */

type Re2Module = typeof import("re2js");
const require = createRequire(import.meta.url);
let re2Module: Re2Module | undefined;

/** The engine, loaded on the first pattern that is not an anchored literal one (its import costs ~15 ms of a start). */
function re2(): Re2Module {
  re2Module ??= require("re2js") as Re2Module;
  return re2Module;
}

/** A compiled pattern: true when it matches somewhere in the text (unanchored, as RegExp.test). */
export interface LinearRegex {
  test(text: string): boolean;
}

/** Why a pattern cannot run on the linear-time engine, with the 0-based position of the fault when known. */
export interface RegexProblem {
  message: string;
  index: number | null;
}

/** Patterns compiled lately: validating a policy and compiling it both compile each of its patterns. */
const compiled = new Map<string, LinearRegex | RegexProblem>();
const MAX_COMPILED = 1024;

/** Compiles a policy pattern (RE2 syntax) for the linear-time engine, or says why it cannot. */
export function compileLinearRegex(pattern: string): LinearRegex | RegexProblem {
  let result = compiled.get(pattern);
  if (result !== undefined) return result;
  // An anchored literal pattern is valid RE2 by its shape (the random test compiles each on both),
  // so a policy with only such patterns does not load re2js at all.
  result = anchoredLiteralRegex(pattern) ?? compileOnRe2(pattern);
  if (compiled.size >= MAX_COMPILED) compiled.clear();
  compiled.set(pattern, result);
  return result;
}

/** Characters that are themselves to RE2 and to JavaScript alike outside a class, with no flags. */
const PLAIN_CHARACTER = /^[A-Za-z0-9 _\-/,:=@#%&~'"<>!;]$/;
/** At most this many ways through a pattern's alternatives: what one match attempt can try. */
const MAX_PATHS = 64;
const MAX_NATIVE_LENGTH = 256;

/**
 * JavaScript's own engine for the commonest shape of policy pattern, `^/(etc|root)/` or
 * `^(prod|staging)$`: anchored at the start, plain ASCII characters, groups and alternatives, no
 * quantifier, class, dot, escape or flag. Such a pattern means the same to both engines, and a
 * backtracking engine tries it at the start only (elsewhere `^` fails at once) along at most
 * MAX_PATHS ways of at most its own length, so the work is bounded by the pattern, not the text.
 * re2js takes ~450 ns for each test of a short path. Null for any other pattern.
 */
function anchoredLiteralRegex(pattern: string): LinearRegex | null {
  if (!pattern.startsWith("^") || pattern.length > MAX_NATIVE_LENGTH) return null;
  const paths = pathsThrough(pattern, 1);
  if (paths === null || paths.end !== pattern.length || paths.count > MAX_PATHS) return null;
  return new RegExp(pattern);
}

/**
 * The ways through the alternatives from `start` to the end or to a `)` closing the current group,
 * for a top level without `|` (so that `^` anchors all of it); null when the text leaves the shape.
 */
function pathsThrough(
  pattern: string,
  start: number,
  inGroup = false,
): { count: number; end: number } | null {
  let total = 0;
  let branch = 1;
  let at = start;
  while (at < pattern.length) {
    const character = pattern.charAt(at);
    if (character === ")") {
      if (!inGroup) return null;
      break;
    }
    if (character === "|") {
      if (!inGroup) return null;
      total += branch;
      branch = 1;
      at++;
    } else if (character === "(") {
      const inner = pathsThrough(pattern, pattern.startsWith("(?:", at) ? at + 3 : at + 1, true);
      if (inner === null || pattern.charAt(inner.end) !== ")") return null;
      branch *= inner.count;
      if (branch > MAX_PATHS) return null;
      at = inner.end + 1;
    } else if (character === "^" || character === "$" || PLAIN_CHARACTER.test(character)) {
      at++;
    } else {
      return null;
    }
  }
  total += branch;
  return total > MAX_PATHS ? null : { count: total, end: at };
}

function compileOnRe2(pattern: string): LinearRegex | RegexProblem {
  const { RE2JS, RE2JSException } = re2();
  try {
    return RE2JS.compile(pattern);
  } catch (error) {
    if (!(error instanceof RE2JSException)) throw error;
    return problemOf(pattern, error);
  }
}

/** True for what compileLinearRegex returns when the pattern cannot run. */
export function isRegexProblem(value: LinearRegex | RegexProblem): value is RegexProblem {
  return "message" in value;
}

/** The engine's complaint in words a policy author can act on, placed in the pattern they wrote. */
function problemOf(pattern: string, error: Error): RegexProblem {
  const syntax = error as Error & { error?: unknown; input?: unknown };
  const what = typeof syntax.error === "string" ? syntax.error : error.message;
  const fragment = typeof syntax.input === "string" ? syntax.input : "";
  const construct = unsupportedConstruct(pattern);
  const found = fragment === "" ? -1 : pattern.indexOf(fragment);
  const index = construct?.index ?? (found === -1 ? null : found);
  if (construct !== null) {
    return {
      message: `${construct.name} at character ${construct.index + 1} is not supported (policy patterns run on RE2, which takes linear time and has no backreferences or lookaround); match the text without it`,
      index,
    };
  }
  const at = index === null ? "" : ` at character ${index + 1}`;
  const shown =
    fragment === "" ? "" : ` \`${fragment.length > 40 ? `${fragment.slice(0, 40)}…` : fragment}\``;
  return {
    message: `${what}${shown}${at} (policy patterns use RE2 syntax: see the README on op regex)`,
    index,
  };
}

/** The first backreference or lookaround in a pattern the engine refused, to name it in the error. */
function unsupportedConstruct(pattern: string): { name: string; index: number } | null {
  // An even run of backslashes before the construct is escaped text, not the construct.
  const match = /(?<!\\)(?:\\\\)*(\\[1-9]|\\k<|\(\?<[=!]|\(\?[=!])/.exec(pattern);
  const found = match?.[1];
  if (match === null || found === undefined) return null;
  const index = match.index + match[0].length - found.length;
  const names: Record<string, string> = {
    "(?=": "the lookahead (?=",
    "(?!": "the negative lookahead (?!",
    "(?<=": "the lookbehind (?<=",
    "(?<!": "the negative lookbehind (?<!",
    "\\k<": "the named backreference \\k<",
  };
  return { name: names[found] ?? `the backreference ${found}`, index };
}

/** A warning for a pattern written as a JavaScript literal (`/foo/i`): its slashes and flags are matched as text. */
export function slashedPatternWarning(pattern: string): string | null {
  const literal = /^\/(.+)\/([a-z]*)$/s.exec(pattern);
  if (literal === null) return null;
  const [, body = "", flags = ""] = literal;
  const inline = flags.includes("i") ? `; for case-insensitive matching write (?i)${body}` : "";
  return `looks like a JavaScript regex literal: the slashes${flags === "" ? "" : ` and the flags "${flags}"`} are matched as characters. Write the pattern without them, e.g. ${JSON.stringify(body)}${inline}`;
}
