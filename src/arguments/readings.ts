// The other readings a server could make of a value, for conditions that must not be walked around by
// a spelling: a string that reads as a number for a number condition, the boolean spellings for a
// condition on a boolean, JSON text for a list or an object. Where the tool's inputSchema is known the
// arguments already come typed (read.ts) and a value has no other reading of the type it is declared as;
// these cover arguments no schema types (no tools/list yet, an empty schema, `{}` items) and a server
// whose own code converts what its schema calls a string.

import { compareNumbers, ExactNumber, isJsonNumber, significantDigits } from "../wire/exact-number.js";
import { parsePythonJsonText } from "./exact.js";
import {
  exactDouble,
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

/** Strings up to this long have their readings remembered (the last one only): see otherReadings. */
const REMEMBERED_TEXT_CHARS = 65_536;
let lastText: string | null = null;
let lastWanted = 0;
let lastTextReadings: readonly unknown[] = [];

/**
 * The readings of `value` of the `wanted` types other than the value itself: [] for most values.
 * The last string's are remembered, since the rules of a policy test the same argument one after
 * another (twenty `contains` rules on one text read it once, not twenty times). Not to be changed.
 */
export function otherReadings(value: unknown, wanted: number): readonly unknown[] {
  switch (typeof value) {
    case "string":
      if (value === lastText && wanted === lastWanted) return lastTextReadings;
      if (value.length > REMEMBERED_TEXT_CHARS) return stringReadings(value, wanted);
      lastTextReadings = stringReadings(value, wanted);
      lastText = value;
      lastWanted = wanted;
      return lastTextReadings;
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
  const nearest = value instanceof ExactNumber ? Number(value.text) : null;
  if (nearest !== null && compareNumbers(value, nearest) !== 0) {
    if (wanted & Type.number) {
      readings.push(nearest);
      // Beyond 2^53 the int an int field makes of that double is every digit of it (1234567890123456768), not its shortest form.
      const integer = Number.isInteger(nearest) ? exactDouble(nearest, false) : nearest;
      if (integer !== nearest && compareNumbers(value, integer) !== 0) readings.push(integer);
    }
    // 1e400 is null to the 1.x SDK, which dumps the request as JSON again (an infinity as null).
    if (wanted & Type.null && !Number.isFinite(nearest)) readings.push(null);
  }
  if (wanted & Type.boolean) {
    // A bool field reads the double: 1e-400 is False there, 1.0000000000000001 True.
    const reading = readBooleanNumber(nearest ?? value);
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
/** Longer than Python's int() reads (4300 digits) in each part of a fraction: such a fraction is not read. */
const MAX_FRACTION_TEXT = 9000;

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

/** `text` as Python's own number readers see it: their whitespace trimmed, every decimal digit as ASCII, no underscores. */
function pythonPlain(text: string): string {
  // Text with none of these (BEYOND_LAX) is plain ASCII with at most spaces around it.
  if (!BEYOND_LAX.test(text)) return text.trim();
  // Each pass only where it has work: this runs on every string a number condition meets, a megabyte long too.
  let plain = trimWhere(text, PYTHON_SPACE);
  if (NON_ASCII.test(plain)) plain = plain.replace(OTHER_DECIMAL_DIGITS, digitValue);
  return plain.includes("_") ? plain.split("_").join("") : plain;
}

const NON_ASCII = /[\u0080-\uffff]/;

/**
 * The number a string is to Python's own int(), float(), Decimal() and Fraction() (a server's code,
 * or a field of those types, which pydantic hands to them), where pydantic's lax readers do not
 * read it: any Unicode decimal digits (５０００, ١٢٣٤٥, 𝟓𝟎𝟎𝟎), Python's whitespace around it,
 * underscores anywhere, inf and nan, a fraction `a/b` (`a / b` in Python 3.12 and later), of any
 * length (Decimal() and float() have no limit). `plain` is pythonPlain(text). Null where it reads as none.
 */
function pythonNumberReading(text: string, plain: string): number | null {
  if (!BEYOND_LAX.test(text)) return null;
  if (PLAIN_NUMBER.test(plain)) return Number(plain);
  if (PLAIN_SPECIAL.test(plain))
    return /nan/i.test(plain) ? null : plain.startsWith("-") ? -Infinity : Infinity;
  // Fraction() reads its parts with int(), which refuses 4300 digits: no longer parts are read.
  if (plain.length > MAX_FRACTION_TEXT) return null;
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
const DECIMAL_TEXT = /^\+?(-?)(\d*)(?:\.(\d*))?(?:e([+-]?\d{1,18}))?$/i;
/** Significant digits a decimal reading keeps: more than any policy number has (17). */
const KEPT_DIGITS = 40;

/**
 * A decimal as a short literal that compares with every policy number as the decimal does, in time
 * linear in its digits (the exact comparison of a long literal is not): its significant digits, cut
 * after KEPT_DIGITS with a 5 for a nonzero rest, which no number of 17 digits lies between.
 */
function shortDecimal(sign: string, whole: string, fraction: string, exponent: string): string {
  const { leading: first, digits } = significantDigits(whole + fraction);
  if (digits === "") return "0";
  const significant = digits.length > KEPT_DIGITS ? `${digits.slice(0, KEPT_DIGITS)}5` : digits;
  // The value is 0.significant × 10^scale.
  const scale = BigInt(exponent === "" ? "0" : exponent) + BigInt(whole.length - first);
  return `${sign}0.${significant}e${scale}`;
}

/**
 * A decimal's exact value, where no double holds it: `1000.0000000000000001` (or `1000.` and 6,000
 * zeros and a 1) is more than 1000 to a Decimal field (and to Python's Decimal() or Fraction()).
 * `plain` is pythonPlain(text). Null where the double readings are exact.
 */
function decimalReading(plain: string): ExactNumber | null {
  const parts = DECIMAL_TEXT.exec(plain);
  if (parts === null) return null;
  const [, sign = "", whole = "", fraction = "", exponent = ""] = parts;
  if (whole === "" && fraction === "") return null;
  const exact = new ExactNumber(shortDecimal(sign, whole, fraction, exponent));
  const nearest = Number(exact.text);
  return Number.isFinite(nearest) && compareNumbers(exact, nearest) !== 0 ? exact : null;
}

function stringReadings(text: string, wanted: number): unknown[] {
  const readings: unknown[] = [];
  if (wanted & Type.number) {
    // An integer field reads " 5_000 " where a float field does not, and the other way round for "1e3".
    // Both exact: "12345678901234567890" is that integer to an integer field, and a double to a float field.
    const plain = pythonPlain(text);
    const lax = (reading: number | ExactNumber | LaxFailure) =>
      isLaxFailure(reading) ? (reading.fails === "inexact" ? Number(reading.reading) : null) : reading;
    const values = [
      lax(readIntegerText(text)),
      lax(readNumberText(text)),
      pythonNumberReading(text, plain),
      decimalReading(plain),
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
