/**
 * A JSON number that a JavaScript number would change: an integer beyond 2^53 (12345678901234567890),
 * one out of range (1e400), or any literal JavaScript writes differently (-0.0, 1.0, 1E5). It is kept
 * as its text, so it reaches the other side with its exact digits, and compares exactly.
 */
export class ExactNumber {
  /** The number as written: a JSON number literal. */
  readonly text: string;

  constructor(text: string) {
    if (!JSON_NUMBER.test(text)) throw new TypeError(`not a JSON number literal: ${JSON.stringify(text)}`);
    this.text = text;
  }

  /** JSON.stringify could only write this number changed: it throws, and stringifyJson writes the text. */
  toJSON(): never {
    throw new ExactNumberInJson();
  }

  toString(): string {
    return this.text;
  }
}

/** What ExactNumber.toJSON throws, so that stringifyJson can take the exact path instead. */
export class ExactNumberInJson extends Error {
  constructor() {
    super("an exact number cannot go through JSON.stringify; serialize with stringifyJson (wire/json.ts)");
  }
}

const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/** True for a value that is a JSON number: a JavaScript number or an ExactNumber. */
export function isJsonNumber(value: unknown): value is number | ExactNumber {
  return typeof value === "number" || value instanceof ExactNumber;
}

/**
 * The value for a JSON number literal: a JavaScript number where that number writes back as the
 * same text (`5000`, `0.5`), an ExactNumber otherwise (`12345678901234567890`, `5000.0`, `-0`).
 * Throws a TypeError for text that is not a JSON number literal.
 */
export function numberFromText(text: string): number | ExactNumber {
  const value = Number(text);
  if (String(value) === text && JSON_NUMBER.test(text)) return value;
  return new ExactNumber(text);
}

/** The nearest JavaScript number (Infinity beyond its range): for approximate uses only, never to forward. */
export function approximateNumber(value: number | ExactNumber): number {
  return typeof value === "number" ? value : Number(value.text);
}

/** A decimal as sign, significant digits without leading or trailing zeros, and the point's position. */
interface Decimal {
  negative: boolean;
  /** Empty for zero. */
  digits: string;
  /** value = 0.digits × 10^exponent */
  exponent: bigint;
}

/**
 * A run of decimal digits without its leading and trailing zeros (`""` when all are zeros), and how
 * many zeros led. Loops, not /0+$/: a regex tried from every zero of a long run that a digit ends
 * is quadratic.
 */
export function significantDigits(all: string): { leading: number; digits: string } {
  let leading = 0;
  while (leading < all.length && all.charCodeAt(leading) === ZERO) leading++;
  let end = all.length;
  while (end > leading && all.charCodeAt(end - 1) === ZERO) end--;
  return { leading, digits: all.slice(leading, end) };
}

const ZERO = 0x30;

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

function decimalOf(value: number | ExactNumber): Decimal | "inf" | "-inf" {
  if (typeof value === "number") {
    if (value === Number.POSITIVE_INFINITY) return "inf";
    if (value === Number.NEGATIVE_INFINITY) return "-inf";
  }
  // String(number) is a JSON-like literal for every finite number ("1e+21", "1.5e-7").
  const match = DECIMAL.exec(typeof value === "number" ? String(value) : value.text);
  if (match === null) throw new TypeError(`not a comparable number: ${String(value)}`);
  const [, sign = "", whole = "", fraction = "", exponentText = "0"] = match;
  const { leading, digits } = significantDigits(whole + fraction);
  return {
    negative: sign === "-" && digits.length > 0,
    digits,
    exponent: BigInt(exponentText) + BigInt(whole.length - leading),
  };
}

/**
 * Whether a number is an integer, exactly (`5000.0`, `1E5`, `12345678901234567890`), and finite as a
 * double, as Python's json.loads reads it (`1e400` is infinity there, not an integer).
 */
export function isIntegral(value: number | ExactNumber): boolean {
  if (typeof value === "number") return Number.isInteger(value);
  if (!Number.isFinite(Number(value.text))) return false;
  const decimal = decimalOf(value);
  if (typeof decimal === "string") return false;
  return decimal.digits.length === 0 || BigInt(decimal.digits.length) <= decimal.exponent;
}

/** -1, 0 or 1 as `a` is below, equal to or above `b`, compared exactly (NaN is not a JSON number). */
export function compareNumbers(a: number | ExactNumber, b: number | ExactNumber): -1 | 0 | 1 {
  if (typeof a === "number" && typeof b === "number") return a < b ? -1 : a > b ? 1 : 0;
  const x = decimalOf(a);
  const y = decimalOf(b);
  if (x === "inf" || y === "-inf") return x === y ? 0 : 1;
  if (x === "-inf" || y === "inf") return x === y ? 0 : -1;
  if (x.negative !== y.negative) return x.negative ? -1 : 1;
  const magnitude = compareMagnitudes(x, y);
  return x.negative ? ((-magnitude || 0) as -1 | 0 | 1) : magnitude;
}

function compareMagnitudes(x: Decimal, y: Decimal): -1 | 0 | 1 {
  if (x.digits.length === 0 || y.digits.length === 0) {
    if (x.digits.length === y.digits.length) return 0;
    return x.digits.length === 0 ? -1 : 1;
  }
  if (x.exponent !== y.exponent) return x.exponent < y.exponent ? -1 : 1;
  const width = Math.max(x.digits.length, y.digits.length);
  const left = x.digits.padEnd(width, "0");
  const right = y.digits.padEnd(width, "0");
  return left < right ? -1 : left > right ? 1 : 0;
}
