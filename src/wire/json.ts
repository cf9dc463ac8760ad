import { randomBytes } from "node:crypto";
import { ExactNumber, ExactNumberInJson, numberFromText } from "./exact-number.js";
import { skipString } from "./peek.js";

/**
 * JSON text to values and back without changing a number. JSON.parse turns 12345678901234567890
 * into 12345678901234567000, 1e400 into Infinity (written back as null) and -0.0 into 0. A line
 * whose number literals all read back as themselves (nearly every line) takes JSON.parse as it
 * is; only a line with a literal JavaScript would write differently takes the exact path, where
 * such literals become ExactNumber values.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const MINUS = 0x2d;
const DIGIT_ZERO = 0x30;
const DIGIT_NINE = 0x39;
const DOT = 0x2e;
const PLUS = 0x2b;
const LOWER_E = 0x65;
const UPPER_E = 0x45;
/** Integers up to 15 digits always read back as their own text: longer ones are checked. */
const SAFE_DIGITS = 15;
/** Strings up to this many bytes are skipped by a loop in JavaScript: cheaper than a native call. */
const SHORT_STRING = 32;

function isNumberByte(byte: number): boolean {
  return (
    (byte >= DIGIT_ZERO && byte <= DIGIT_NINE) ||
    byte === DOT ||
    byte === LOWER_E ||
    byte === UPPER_E ||
    byte === MINUS ||
    byte === PLUS
  );
}

/**
 * The [start, end) ranges of the number literals outside strings that JavaScript would not write
 * back as the same text (or that are not valid literals: JSON.parse judges those), or null for none.
 * Short plain integers are passed by their bytes alone, the rest by String(Number(text)).
 */
export function inexactNumberRanges(bytes: Buffer, start = 0, end = bytes.length): number[] | null {
  let ranges: number[] | null = null;
  let at = start;
  while (at < end) {
    const byte = bytes[at] as number;
    if (byte === QUOTE) {
      // Short strings (most keys and values) by a loop here, long ones by native search.
      let inside = at + 1;
      const loopEnd = Math.min(end, inside + SHORT_STRING);
      while (inside < loopEnd) {
        const next = bytes[inside] as number;
        if (next === QUOTE || next === BACKSLASH) break;
        inside++;
      }
      at = bytes[inside] === QUOTE ? inside + 1 : skipString(bytes, at);
      if (at === -1 || at > end) return ranges;
      continue;
    }
    if (byte !== MINUS && (byte < DIGIT_ZERO || byte > DIGIT_NINE)) {
      at++;
      continue;
    }
    const tokenStart = at;
    if (byte === MINUS) at++;
    const digitsStart = at;
    while (at < end) {
      const digit = bytes[at] as number;
      if (digit < DIGIT_ZERO || digit > DIGIT_NINE) break;
      at++;
    }
    if (at < end && isNumberByte(bytes[at] as number)) {
      while (at < end && isNumberByte(bytes[at] as number)) at++;
    } else {
      // An integer: short ones read back as written, except -0 (and 05, which JSON.parse refuses).
      const digits = at - digitsStart;
      const leadingZero = bytes[digitsStart] === DIGIT_ZERO && (digits > 1 || digitsStart > tokenStart);
      if (digits > 0 && digits <= SAFE_DIGITS && !leadingZero) continue;
    }
    const text = bytes.toString("latin1", tokenStart, at);
    if (String(Number(text)) === text) continue;
    ranges ??= [];
    ranges.push(tokenStart, at);
  }
  return ranges;
}

const VALID_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
/** Marks a literal's text inside a string for the reviver; random, so no input can spell it. */
const MARK = `\u0000policylayer-number-${randomBytes(12).toString("base64url")}:`;
const MARK_IN_JSON = JSON.stringify(MARK).slice(0, -1);

function reviveExact(key: string, value: unknown): unknown {
  // A marked member name was a number where a name must be (`{1.0: 2}`): not JSON.
  if (key.startsWith(MARK)) throw new SyntaxError("a number where a member name must be");
  return typeof value === "string" && value.startsWith(MARK)
    ? new ExactNumber(value.slice(MARK.length))
    : value;
}

/**
 * Parses JSON text (the bytes of one line, decoded as latin1 when they are ASCII) exactly: as
 * JSON.parse does, except that number literals JavaScript would change become ExactNumber values.
 * Throws as JSON.parse does on text that is not one JSON value.
 */
export function parseJson(bytes: Buffer, latin1 = false): unknown {
  const text = bytes.toString(latin1 ? "latin1" : "utf8");
  const ranges = inexactNumberRanges(bytes);
  if (ranges === null) return JSON.parse(text);
  // Each literal becomes a marked string in the text JSON.parse reads, and the reviver turns it into
  // an ExactNumber. Only valid literals are marked: an invalid one stays, and JSON.parse refuses the line.
  const decode = (from: number, to: number) => bytes.toString(latin1 ? "latin1" : "utf8", from, to);
  let marked = "";
  let copied = 0;
  for (let index = 0; index < ranges.length; index += 2) {
    const start = ranges[index] as number;
    const end = ranges[index + 1] as number;
    const literal = bytes.toString("latin1", start, end);
    if (!VALID_NUMBER.test(literal)) continue;
    marked += `${decode(copied, start)}${MARK_IN_JSON}${literal}"`;
    copied = end;
  }
  return JSON.parse(marked + decode(copied, bytes.length), reviveExact);
}

/** A number literal where it starts (sticky: matched at lastIndex only). */
const NUMBER_AT = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/**
 * The index just after the string whose opening quote is at `start` in `text`, or -1 where it never
 * ends. Each quote is looked at once, so text full of escaped quotes costs its length, not its square.
 */
function stringEnd(text: string, start: number): number {
  let at = start + 1;
  for (;;) {
    const quote = text.indexOf('"', at);
    if (quote === -1) return -1;
    let backslashes = 0;
    for (let back = quote - 1; back > start && text.charCodeAt(back) === BACKSLASH; back--) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
    at = quote + 1;
  }
}

/**
 * parseJson for JSON text held as a JavaScript string (JSON text sent inside a string argument):
 * number literals JavaScript would change become ExactNumber values. Throws as JSON.parse does.
 */
export function parseJsonString(text: string): unknown {
  let marked = "";
  let copied = 0;
  let at = 0;
  while (at < text.length) {
    const code = text.charCodeAt(at);
    if (code === QUOTE) {
      at = stringEnd(text, at);
      // A string without its end: not JSON, and JSON.parse says so.
      if (at === -1) break;
      continue;
    }
    if (code !== MINUS && (code < DIGIT_ZERO || code > DIGIT_NINE)) {
      at++;
      continue;
    }
    NUMBER_AT.lastIndex = at;
    const token = NUMBER_AT.exec(text)?.[0];
    if (token === undefined) {
      at++;
      continue;
    }
    if (typeof numberFromText(token) !== "number") {
      marked += `${text.slice(copied, at)}${MARK_IN_JSON}${token}"`;
      copied = at + token.length;
    }
    at += token.length;
  }
  return copied === 0 ? JSON.parse(text) : JSON.parse(marked + text.slice(copied), reviveExact);
}

/**
 * JSON.stringify(value, null, indent) for parsed values, which writes every ExactNumber as its own
 * text (JSON.stringify itself refuses them: see ExactNumber.toJSON).
 */
export function stringifyJson(value: unknown, indent = 0): string {
  try {
    return JSON.stringify(value, null, indent);
  } catch (error) {
    if (!(error instanceof ExactNumberInJson)) throw error;
    return exactJson(value, indent === 0 ? "" : "\n", indent);
  }
}

/** The serializer for a tree that holds ExactNumber values; `newline` starts a line at this depth. */
function exactJson(value: unknown, newline: string, indent: number): string {
  if (value instanceof ExactNumber) return value.text;
  if (typeof value !== "object" || value === null) return JSON.stringify(value) ?? "null";
  const inner = indent === 0 ? "" : newline.padEnd(newline.length + indent, " ");
  const colon = indent === 0 ? ":" : ": ";
  const parts: string[] = [];
  if (Array.isArray(value)) {
    for (const item of value) parts.push(exactJson(item, inner, indent));
    return parts.length === 0 ? "[]" : `[${inner}${parts.join(`,${inner}`)}${newline}]`;
  }
  for (const key of Object.keys(value)) {
    const member = Reflect.get(value, key);
    if (member === undefined || typeof member === "function") continue;
    parts.push(`${JSON.stringify(key)}${colon}${exactJson(member, inner, indent)}`);
  }
  return parts.length === 0 ? "{}" : `{${inner}${parts.join(`,${inner}`)}${newline}}`;
}
