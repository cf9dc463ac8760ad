// wrap's command line without commander: an MCP client starts `policylayer wrap` at every session,
// and commander's import is ~15 ms of that start. Only a plain, valid command line is read here;
// anything else (help, an unknown option, a bad value, `--flag=value`) goes to commander, whose
// answer it would be anyway. test/cli/wrap-arguments.test.ts checks both read alike.
import type { WrapFlags } from "./wrap.js";

/** The defaults of wrap's options: commander's and the quick path's alike. */
export const WRAP_DEFAULTS = {
  maxLineBytes: 256 * 1024 * 1024,
  graceMs: 2000,
  listTimeoutMs: 30_000,
} as const;

/** A positive whole number from a flag's text, or null when it is not one. */
export function positiveIntegerOf(value: string): number | null {
  const parsed = Number(value);
  return Number.isSafeInteger(parsed) && parsed > 0 ? parsed : null;
}

/**
 * The server's command: the words commander passed through (everything from the first word that
 * is not one of the command's options, or everything after `--`), and whether `--` came first.
 */
export function serverCommandOf(
  argv: readonly string[],
  words: readonly string[],
): { command: string[] | null; afterSeparator: boolean } {
  if (words.length === 0) return { command: null, afterSeparator: argv.at(-1) === "--" };
  return { command: [...words], afterSeparator: argv[argv.length - words.length - 1] === "--" };
}

/** wrap's options that take a value, by flag. */
const VALUE_OPTIONS = {
  "--policy": "policy",
  "--audit": "audit",
  "--max-line-bytes": "maxLineBytes",
  "--grace-ms": "graceMs",
  "--list-timeout-ms": "listTimeoutMs",
} as const;

function isValueOption(flag: string): flag is keyof typeof VALUE_OPTIONS {
  return Object.hasOwn(VALUE_OPTIONS, flag);
}

/**
 * `node policylayer wrap [OPTIONS] [--] COMMAND...` read as commander reads it: the command's
 * words and the flags. Null for anything but a plain command line of wrap's own options, each
 * given as `--flag value` with a valid value; the caller then lets commander read it.
 */
export function quickWrapArguments(argv: readonly string[]): { words: string[]; flags: WrapFlags } | null {
  if (argv[2] !== "wrap") return null;
  const flags: WrapFlags = { ...WRAP_DEFAULTS, approvalInbox: true, busyPoll: true };
  let at = 3;
  while (at < argv.length) {
    const word = argv[at] as string;
    if (word === "--") return { words: argv.slice(at + 1), flags };
    if (!word.startsWith("-")) return { words: argv.slice(at), flags };
    if (word === "--no-approval-inbox") {
      flags.approvalInbox = false;
      at += 1;
      continue;
    }
    if (word === "--no-busy-poll") {
      flags.busyPoll = false;
      at += 1;
      continue;
    }
    const value = argv[at + 1];
    // commander takes the next word as the value whatever it is; a value that looks like a flag
    // (or none) is left to it, as is every flag that is not one of wrap's.
    if (!isValueOption(word) || value === undefined || value.startsWith("-")) return null;
    const key = VALUE_OPTIONS[word];
    if (key === "policy" || key === "audit") flags[key] = value;
    else {
      const number = positiveIntegerOf(value);
      if (number === null) return null;
      flags[key] = number;
    }
    at += 2;
  }
  return { words: [], flags };
}
