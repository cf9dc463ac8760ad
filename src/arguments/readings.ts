// The other readings a server could make of a value, for conditions that must not be walked around by
// a spelling: a string that reads as a number for a number condition, the boolean spellings for a
// condition on a boolean, JSON text for a list or an object. Where the tool's inputSchema is known the
// arguments already come typed (read.ts) and a value has no other reading of the type it is declared as;
// these cover arguments no schema types (no tools/list yet, an empty schema, `{}` items) and a server
// whose own code converts what its schema calls a string.

import { compareNumbers, ExactNumber, isJsonNumber } from "../wire/exact-number.js";
import { parsePythonJsonText } from "./exact.js";
import {
  isLaxFailure,
  type LaxFailure,
  readBooleanNumber,
  readBooleanText,
  readIntegerText,
  readNumberText,
  trimWhere,
} from "./lax.js";
import { jsonType, Type } from "./schema.js";
import { stringForms } from "./string-forms.js";

/** The JSON types a condition compares with, as schema.ts's type bits: what other readings are worth making. */
export function wantedTypes(values: readonly unknown[]): number {
  let bits = 0;
  for (const value of values) bits |= jsonType(value);
  return bits;
}

/** The readings of `value` of the `wanted` types other than the value itself: [] for most values. */
export function otherReadings(value: unknown, wanted: number): unknown[] {
  switch (typeof value) {
    case "string":
      return stringReadings(value, wanted);
    case "boolean":
      return wanted & Type.number ? [Number(value)] : [];
    case "number":
      return numberReadings(value, wanted);
    default:
      return value instanceof ExactNumber ? numberReadings(value, wanted) : [];
  }
}

function numberReadings(value: number | ExactNumber, wanted: number): unknown[] {
  const readings: unknown[] = [];
  // A number kept exact (999.99999999999999999, 9007199254740993.0) is the nearest double to a server
  // whose JSON parser makes floats of it (Python's json.loads, then a float or an int field).
  if (wanted & Type.number && value instanceof ExactNumber) {
    const nearest = Number(value.text);
    if (!Number.isNaN(nearest) && compareNumbers(value, nearest) !== 0) readings.push(nearest);
  }
  if (wanted & Type.boolean) {
    const reading = readBooleanNumber(value);
    if (!isLaxFailure(reading)) readings.push(reading);
  }
  return readings;
}

/** Python's str.strip() whitespace (str.isspace), and more: a reading only ever widens what a deny rule sees. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: U+001C to U+001F are whitespace to Python's str.strip().
const PYTHON_SPACE = /[\s\x1c-\x1f\x85]/u;
/** What only Python's own readers take beyond pydantic's lax ones: non-ASCII text, underscores, controls, a fraction. */
const BEYOND_LAX = /[^\x20-\x5e\x60-\x7e]|\//;
const DECIMAL_DIGIT = /\p{Nd}/u;
/** Decimal digits other than ASCII's, whose values digitValue finds. */
const OTHER_DECIMAL_DIGITS = /(?![0-9])\p{Nd}/gu;
const PLAIN_NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i;
const PLAIN_SPECIAL = /^[+-]?(?:inf|infinity|nan)$/i;
// Python 3.12 and later take whitespace around the slash (Fraction("5000 / 1")); \d and the spaces never overlap: linear.
// biome-ignore lint/suspicious/noControlCharactersInRegex: U+001C to U+001F are whitespace to Python's \s.
const PLAIN_FRACTION = /^([+-]?\d+)[\s\x1c-\x1f\x85]*\/[\s\x1c-\x1f\x85]*(\d+)$/;
/** Longer than any number a condition could tell from its neighbours: read no further (as Python's int() refuses 4300 digits). */
const MAX_NUMBER_TEXT = 5000;

/** Each non-ASCII decimal digit's value, found once. */
const digitValues = new Map<string, string>();

/** The value of one Unicode decimal digit: Unicode puts each set of ten in a run that starts at its zero. */
function digitValue(digit: string): string {
  let value = digitValues.get(digit);
  if (value === undefined) {
    const code = digit.codePointAt(0) ?? 0;
    let zero = code;
    while (DECIMAL_DIGIT.test(String.fromCodePoint(zero - 1))) zero--;
    value = String((code - zero) % 10);
    digitValues.set(digit, value);
  }
  return value;
}

/**
 * The number a string is to Python's own int(), float(), Decimal() and Fraction() (a server's code,
 * or a field of those types, which pydantic hands to them), where pydantic's lax readers do not
 * read it: any Unicode decimal digits (５０００, ١٢٣٤٥, 𝟓𝟎𝟎𝟎), Python's whitespace around it,
 * underscores anywhere, inf and nan, a fraction `a/b` (`a / b` in Python 3.12 and later). Null where it reads as none.
 */
function pythonNumberReading(text: string): number | null {
  if (text.length > MAX_NUMBER_TEXT || !BEYOND_LAX.test(text)) return null;
  const plain = trimWhere(text, PYTHON_SPACE).replace(OTHER_DECIMAL_DIGITS, digitValue).replaceAll("_", "");
  if (PLAIN_NUMBER.test(plain)) return Number(plain);
  if (PLAIN_SPECIAL.test(plain))
    return /nan/i.test(plain) ? null : plain.startsWith("-") ? -Infinity : Infinity;
  const fraction = PLAIN_FRACTION.exec(plain);
  if (fraction === null || /^[+-]?0+$/.test(fraction[2] as string)) return null;
  const quotient = Number(fraction[1]) / Number(fraction[2]);
  // Both beyond a double (10^400 / 10^396): the quotient is still a number Python reads exactly.
  return Number.isNaN(quotient) ? bigQuotient(fraction[1] as string, fraction[2] as string) : quotient;
}

/** a / b for integers too long for doubles, to about 15 digits. */
function bigQuotient(a: string, b: string): number {
  const scale = 10n ** 20n;
  const scaled = (BigInt(a) * scale) / BigInt(b);
  return Number(scaled) / 1e20;
}

/** Matched against trimmed text: surrounding `\s*` here would backtrack quadratically over a run of spaces. */
const DECIMAL_TEXT = /^\+?(-?)(\d*)(?:\.(\d*))?(e[+-]?\d+)?$/i;

/**
 * A decimal's exact value, where no double holds it: `1000.0000000000000001` is more than 1000 to a
 * Decimal field (and to Python's Decimal() or Fraction()). Null where the double readings are exact.
 */
function decimalReading(text: string): ExactNumber | null {
  if (text.length > MAX_NUMBER_TEXT) return null;
  const parts = DECIMAL_TEXT.exec(text.trim());
  if (parts === null) return null;
  const [, sign, whole = "", fraction = "", exponent = ""] = parts;
  if (whole === "" && fraction === "") return null;
  const literal = `${sign}${whole.replace(/^0+(?=\d)/, "") || "0"}${fraction === "" ? "" : `.${fraction}`}${exponent}`;
  const exact = new ExactNumber(literal);
  const nearest = Number(literal);
  return Number.isFinite(nearest) && compareNumbers(exact, nearest) !== 0 ? exact : null;
}

function stringReadings(text: string, wanted: number): unknown[] {
  const readings: unknown[] = [];
  if (wanted & Type.number) {
    // An integer field reads " 5_000 " where a float field does not, and the other way round for "1e3".
    // Both exact: "12345678901234567890" is that integer to an integer field, and a double to a float field.
    const lax = (reading: number | ExactNumber | LaxFailure) =>
      isLaxFailure(reading) ? (reading.fails === "inexact" ? Number(reading.reading) : null) : reading;
    const values = [
      lax(readIntegerText(text)),
      lax(readNumberText(text)),
      pythonNumberReading(text),
      decimalReading(text),
    ];
    for (const value of values) {
      if (value === null || Number.isNaN(value)) continue;
      if (!readings.some((other) => isJsonNumber(other) && compareNumbers(other, value) === 0))
        readings.push(value);
    }
  }
  if (wanted & Type.boolean) {
    const reading = readBooleanText(text);
    if (!isLaxFailure(reading)) readings.push(reading);
  }
  if (wanted & Type.string) readings.push(...stringForms(text));
  if (wanted & (Type.array | Type.object | Type.null)) {
    const parsed = parsePythonJsonText(text);
    if (parsed !== null && jsonType(parsed.value) & wanted) readings.push(parsed.value);
  }
  return readings;
}

/** A list or an object that a string stands for as JSON text, for walking a path through it; null where it does not. */
export function containerReading(text: string): unknown[] | Record<string, unknown> | null {
  const parsed = parsePythonJsonText(text);
  if (parsed === null || typeof parsed.value !== "object" || parsed.value === null) return null;
  return parsed.value as unknown[] | Record<string, unknown>;
}
