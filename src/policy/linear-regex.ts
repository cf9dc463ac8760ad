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

/** The engine, loaded on the first policy that has a regex (its import costs ~15 ms of a start). */
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
  const { RE2JS, RE2JSException } = re2();
  try {
    result = RE2JS.compile(pattern);
  } catch (error) {
    if (!(error instanceof RE2JSException)) throw error;
    result = problemOf(pattern, error);
  }
  if (compiled.size >= MAX_COMPILED) compiled.clear();
  compiled.set(pattern, result);
  return result;
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
