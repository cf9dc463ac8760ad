// How a lax validator reads a string (or a number) given where a number, an integer or a boolean is
// declared. The reference is pydantic-core's lax mode (src/input/shared.rs: str_as_int, str_as_float,
// str_as_bool), which validates the arguments of servers built on the Python MCP SDK. The tests hold
// these functions to the installed pydantic, spelling by spelling.

import { compareNumbers, ExactNumber, numberFromText } from "../wire/exact-number.js";

/** A reading that failed: the text does not read as the type, or it reads as a value JSON cannot carry (an infinity, NaN). */
export type LaxFailure = { fails: "unreadable" } | { fails: "inexact"; reading: string };

const UNREADABLE: LaxFailure = { fails: "unreadable" };

/** Whether a failure, rather than a value, came back from a reading. */
export function isLaxFailure(value: unknown): value is LaxFailure {
  return typeof value === "object" && value !== null && "fails" in value;
}

// Rust's `str::trim` (Unicode White_Space), which pydantic applies; JavaScript's trim differs (it strips
// U+FEFF and keeps U+0085).
const RUST_WHITESPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/;
const JSON_INTEGER = /^-?(?:0|[1-9][0-9]*)$/;
// Rust's f64 grammar: a sign, then inf, infinity or nan (any case), or digits with an optional point and exponent.
// Each digit can belong to one place only (no `[0-9]+\.?[0-9]*`): a long string that fails fails in linear time.
const RUST_FLOAT = /^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;
const RUST_FLOAT_SPECIAL = /^[+-]?(?:inf|infinity|nan)$/i;
/** Python's limit on the digits of an int read from text (CPython 3.11+, enforced by pydantic too). */
const MAX_INTEGER_TEXT = 4300;

function rustTrim(text: string): string {
  return trimWhere(text, RUST_WHITESPACE);
}

/**
 * `text` without the characters `space` matches at either end, in one pass from each end: a
 * pattern anchored at the end (`\s+$`) is tried from every position, quadratic in a run of spaces
 * that does not end the text ("x", 64,000 spaces, "x" took seconds).
 */
export function trimWhere(text: string, space: RegExp): string {
  let start = 0;
  let end = text.length;
  while (start < end && space.test(text.charAt(start))) start++;
  while (end > start && space.test(text.charAt(end - 1))) end--;
  return start === 0 && end === text.length ? text : text.slice(start, end);
}

/** Underscores between digits removed, as pydantic's strip_underscores; null where there are none or they are misplaced. */
function stripUnderscores(text: string): string | null {
  if (!text.includes("_") || text.startsWith("_") || text.endsWith("_") || text.includes("__")) return null;
  // split and join: several times faster than replaceAll over a long run of underscores.
  return text.split("_").join("");
}

/** pydantic's strip_leading_zeros: null where the text cannot start a number. */
function stripLeadingZeros(text: string): string | null {
  const first = text[0];
  if (first === undefined) return null;
  if (first !== "0") return (first >= "1" && first <= "9") || first === "-" ? text : null;
  for (let i = 1; i < text.length; i++) {
    const char = text[i] as string;
    if (char === "0" || char === "_") continue;
    if ((char >= "1" && char <= "9") || char === "-") return text.slice(i);
    if (char === ".") return text.slice(i - 1);
    return null;
  }
  return text.slice(-1);
}

/** pydantic's clean_int_str: sign, whitespace, leading zeros, a `.000` tail and underscores taken off; null where nothing was cleaned or the text cannot be. */
function cleanIntegerText(text: string): string | null {
  let rest = rustTrim(text);
  if (rest.startsWith("+")) {
    if (rest.startsWith("+-")) return null;
    rest = rest.slice(1);
  }
  let negative = false;
  if (rest.startsWith("-")) {
    if (rest.startsWith("--") || rest.startsWith("-+")) return null;
    negative = true;
    rest = rest.slice(1);
  }
  const unzeroed = stripLeadingZeros(rest);
  if (unzeroed === null) return null;
  rest = unzeroed;
  const point = rest.indexOf(".");
  if (point !== -1) {
    const decimals = rest.slice(point + 1);
    if (decimals.length > 0 && /^0+$/.test(decimals)) rest = rest.slice(0, point);
  }
  const sign = negative ? "-" : "";
  const stripped = stripUnderscores(rest);
  if (stripped !== null) return sign + stripped;
  // The length is compared in UTF-8 bytes in pydantic; every character taken off above is ASCII, so counting characters agrees.
  if (rest.length === text.length) return null;
  return sign + rest;
}

/**
 * The integer a lax validator reads from `text` (`" 5000 "`, `"5_000"`, `"5000.0"`, `"+5000"`,
 * `"05000"`), exactly: an ExactNumber beyond what a JavaScript number holds; or why not.
 */
export function readIntegerText(text: string): number | ExactNumber | LaxFailure {
  const digits = JSON_INTEGER.test(text) ? text : cleanIntegerText(text);
  if (digits === null || !JSON_INTEGER.test(digits)) return UNREADABLE;
  if (digits.replace("-", "").length > MAX_INTEGER_TEXT) return UNREADABLE;
  // Python's int has no negative zero.
  return digits === "-0" ? 0 : numberFromText(digits);
}

function rustFloat(text: string): number | null {
  if (RUST_FLOAT_SPECIAL.test(text))
    return /nan/i.test(text) ? Number.NaN : text.startsWith("-") ? -Infinity : Infinity;
  // Number() rounds a decimal to the nearest double as Rust's parser does; the grammar check keeps out what only Number() takes ("0x10", "").
  return RUST_FLOAT.test(text) ? Number(text) : null;
}

/**
 * The number a lax validator reads from `text` (`"1e3"`, `" 5000 "`, `"5_000.5"`): a double, as
 * Python's float is (`-0.0` as an ExactNumber, which JSON carries and a JavaScript number does not); or why not.
 */
export function readNumberText(text: string): number | ExactNumber | LaxFailure {
  let value = rustFloat(rustTrim(text));
  if (value === null) {
    // pydantic retries without underscores, on the untrimmed text.
    const stripped = stripUnderscores(text);
    value = stripped === null ? null : rustFloat(stripped);
  }
  if (value === null) return UNREADABLE;
  if (Object.is(value, -0)) return NEGATIVE_ZERO;
  return Number.isFinite(value) ? exactDouble(value, true) : { fails: "inexact", reading: String(value) };
}

/** 2^53: from here on an integral double is written rounded, as its shortest digits (up to 10^21) or with an exponent. */
const ROUNDED_DIGITS_FROM = 2 ** 53;
const EXPONENT_FROM = 1e21;

/**
 * A double as a number written as its exact value, for the server to read as it: JavaScript writes
 * 12345678901234567168 as 12345678901234567000, which a server's JSON parser keeps as that other
 * integer (an int field, or a `float | int` one, takes it as it is). `asFloat`: the double for a float
 * (`12345678901234567168.0`; with an exponent, 1e+21, it is a float already); otherwise the integer a
 * server makes of it (int(1e300) is every digit of that double). Smaller ones are written exactly already.
 */
export function exactDouble(value: number, asFloat: boolean): number | ExactNumber {
  const magnitude = Math.abs(value);
  if (magnitude < ROUNDED_DIGITS_FROM || (asFloat && magnitude >= EXPONENT_FROM)) return value;
  return new ExactNumber(`${BigInt(value)}${asFloat ? ".0" : ""}`);
}

const NEGATIVE_ZERO = new ExactNumber("-0.0");

const TRUE_SPELLINGS = new Set(["1", "t", "y", "on", "yes", "true"]);
const FALSE_SPELLINGS = new Set(["0", "f", "n", "no", "off", "false"]);

/** The boolean a lax validator reads from `text`: `true`, `yes`, `on`, `t`, `y`, `1` and their opposites, in any ASCII case, nothing around them. */
export function readBooleanText(text: string): boolean | LaxFailure {
  if (text.length > 5) return UNREADABLE;
  const lower = text.replace(/[A-Z]/g, (char) => char.toLowerCase());
  if (TRUE_SPELLINGS.has(lower)) return true;
  if (FALSE_SPELLINGS.has(lower)) return false;
  return UNREADABLE;
}

/** The boolean a lax validator reads from a number: 1 (or 1.0) is true, 0 is false, nothing else reads. */
export function readBooleanNumber(value: number | ExactNumber): boolean | LaxFailure {
  if (value === 1) return true;
  if (value === 0) return false;
  if (typeof value === "number") return UNREADABLE;
  if (compareNumbers(value, 1) === 0) return true;
  if (compareNumbers(value, 0) === 0) return false;
  return UNREADABLE;
}
