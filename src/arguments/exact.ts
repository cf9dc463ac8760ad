// The one place where a number read from text becomes a value we decide on and forward. A number the
// parsed message cannot carry exactly (an integer beyond 2^53, an infinity, a negative zero) is refused
// by the caller, never rounded.

/**
 * The integer written as JSON-integer `digits`, where a JavaScript number holds it and serializes back
 * to the same integer; null otherwise (2^60 is a double, but it is written 1152921504606847000).
 */
export function exactInteger(digits: string): number | null {
  const value = Number(digits);
  if (Number.isSafeInteger(value)) return Object.is(value, -0) ? 0 : value;
  const written = String(value);
  return /^-?[0-9]+$/.test(written) && BigInt(written) === BigInt(digits) ? value : null;
}

/** A number read from decimal text, where JSON can carry it as it is (finite, not negative zero); null otherwise. */
export function exactNumber(value: number): number | null {
  return Number.isFinite(value) && !Object.is(value, -0) ? value : null;
}

/** Whether text, after JSON's whitespace, starts a list, an object or null: a look at its first characters only. */
function mayBeContainer(text: string): boolean {
  let start = 0;
  while (start < text.length && " \t\n\r".includes(text.charAt(start))) start++;
  const first = text.charAt(start);
  return first === "[" || first === "{" || text.startsWith("null", start);
}

// A JSON number token outside strings: integers are checked digit for digit, others for overflow and -0.
const NUMBER_TOKEN = /"(?:[^"\\]|\\.)*"|(-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?)/g;

/** The list, object or null that JSON text sent as a string stands for, or why there is none: not such JSON, or a number in it that we would change. */
export function parseJsonText(text: string): { value: unknown } | "not json" | "inexact" {
  // Only lists, objects and null are ever wanted from text; a failed JSON.parse costs tens of microseconds.
  if (!mayBeContainer(text)) return "not json";
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return "not json";
  }
  for (const match of text.matchAll(NUMBER_TOKEN)) {
    const token = match[1];
    if (token === undefined) continue;
    const isInteger = match[2] === undefined && match[3] === undefined;
    if (isInteger ? exactInteger(token) === null : exactNumber(Number(token)) === null) return "inexact";
  }
  return { value };
}
