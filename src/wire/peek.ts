/**
 * Reads a few top-level members of a server message without parsing the whole line, so that
 * results we neither inspect nor change (a 50 MB tool result) pass as the bytes they came in.
 * The scan is structural only: strings are skipped with native indexOf, values are not built.
 */

/** The bytes of JSON's structure (response-stream.ts reads by them too). */
export const QUOTE = 0x22;
export const BACKSLASH = 0x5c;
export const OPEN_BRACE = 0x7b;
export const CLOSE_BRACE = 0x7d;
export const OPEN_BRACKET = 0x5b;
export const CLOSE_BRACKET = 0x5d;
export const COLON = 0x3a;
export const COMMA = 0x2c;
const DIGIT_ZERO = 0x30;

/** Byte range [start, end) of a member's value inside the line. */
export type ValueRange = readonly [start: number, end: number];

/** The position of the first byte from `position` on that is not JSON whitespace, or the bytes' end. */
export function skipWhitespace(bytes: Buffer, position: number): number {
  let at = position;
  while (at < bytes.length) {
    const byte = bytes[at];
    if (byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09) break;
    at++;
  }
  return at;
}

/** Returns the position just after the string whose opening quote is at `position`, or -1. */
export function skipString(bytes: Buffer, position: number): number {
  let at = position + 1;
  for (;;) {
    const quote = bytes.indexOf(QUOTE, at);
    if (quote === -1) return -1;
    let backslashes = 0;
    for (let back = quote - 1; back > position && bytes[back] === BACKSLASH; back--) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
    at = quote + 1;
  }
}

/** The position of the delimiter that ends the scalar (number, literal) at `position`, or the bytes' end. */
export function scalarEnd(bytes: Buffer, position: number): number {
  let at = position;
  while (at < bytes.length) {
    const byte = bytes[at];
    if (
      byte === COMMA ||
      byte === CLOSE_BRACE ||
      byte === CLOSE_BRACKET ||
      byte === 0x20 ||
      byte === 0x0a ||
      byte === 0x0d ||
      byte === 0x09
    )
      break;
    at++;
  }
  return at;
}

/** Returns the position just after the value starting at `position`, or -1 when it is malformed. */
function skipValue(bytes: Buffer, position: number): number {
  const first = bytes[position];
  if (first === QUOTE) return skipString(bytes, position);
  if (first !== OPEN_BRACE && first !== OPEN_BRACKET) {
    const at = scalarEnd(bytes, position);
    return at > position ? at : -1;
  }
  let depth = 0;
  let at = position;
  while (at < bytes.length) {
    const byte = bytes[at];
    if (byte === QUOTE) {
      at = skipString(bytes, at);
      if (at === -1) return -1;
      continue;
    }
    if (byte === OPEN_BRACE || byte === OPEN_BRACKET) depth++;
    else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      depth--;
      if (depth === 0) return at + 1;
    }
    at++;
  }
  return -1;
}

/** wantedIndex's answer for a key JSON.parse cannot read (a bad escape): the line is no JSON. */
const MALFORMED_KEY = -2;

/**
 * The index in `wanted` of the name the key in [start, end) (between its quotes) spells, -1, or
 * MALFORMED_KEY; compared byte by byte so that no string is made for keys we skip. A key with an
 * escape is decoded as JSON.parse would.
 */
function wantedIndex(bytes: Buffer, start: number, end: number, wanted: readonly string[]): number {
  const length = end - start;
  for (let index = 0; index < wanted.length; index++) {
    const name = wanted[index] as string;
    if (name.length !== length) continue;
    let at = 0;
    while (at < length && bytes[start + at] === name.charCodeAt(at)) at++;
    if (at === length) return index;
  }
  for (let at = start; at < end; at++) {
    if (bytes[at] !== BACKSLASH) continue;
    try {
      return wanted.indexOf(String(JSON.parse(bytes.toString("utf8", start - 1, end + 1))));
    } catch {
      return MALFORMED_KEY;
    }
  }
  return -1;
}

/** Members to find one level down, inside the object value of the member wanted[member]. */
export interface NestedScan {
  member: number;
  wanted: readonly string[];
  ranges: Int32Array;
}

/** scanObject's answers besides a position: the bytes are not an object it can walk, or ran out. */
const NOT_AN_OBJECT = -1;
const RAN_OUT = -2;

/** What scanMembers looks for, and where it writes what it finds (reuse one per caller: no allocation per line). */
export interface MemberScan {
  /** Plain ASCII member names. */
  wanted: readonly string[];
  /** The value range of wanted[i] goes to ranges[2i] and ranges[2i + 1] (-1 when absent). */
  ranges: Int32Array;
  /** Where the object starts (default 0) and where the bytes end (default their length). */
  start?: number;
  end?: number;
  /** True with what was found before the bytes ran out (for the head of a line too large to keep). */
  partial?: boolean;
  /** True when only whitespace may follow the object (a whole line that must be one message). */
  whole?: boolean;
  /** Members inside one member's object value, found in the same pass (all -1 when it is absent or not an object). */
  nested?: NestedScan | null;
}

/**
 * Finds the members `scan` names in the object in `bytes`, writing their value ranges to its
 * ranges. Returns false when the bytes are not an object this scan can walk.
 */
export function scanMembers(bytes: Buffer, scan: MemberScan): boolean {
  const {
    wanted,
    ranges,
    start = 0,
    end = bytes.length,
    partial = false,
    whole = false,
    nested = null,
  } = scan;
  if (nested !== null) nested.ranges.fill(-1, 0, 2 * nested.wanted.length);
  const after = scanObject(bytes, wanted, ranges, skipWhitespace(bytes, start), end, nested);
  if (after === RAN_OUT) return partial;
  if (after === NOT_AN_OBJECT) return false;
  return !whole || skipWhitespace(bytes, after) >= end;
}

/** The walk of scanMembers over the object at `at`: the position after it, NOT_AN_OBJECT or RAN_OUT. */
function scanObject(
  bytes: Buffer,
  wanted: readonly string[],
  ranges: Int32Array,
  position: number,
  end: number,
  nested: NestedScan | null,
): number {
  ranges.fill(-1, 0, 2 * wanted.length);
  if (bytes[position] !== OPEN_BRACE) return NOT_AN_OBJECT;
  let at = skipWhitespace(bytes, position + 1);
  if (bytes[at] === CLOSE_BRACE) return at + 1;
  while (at < end) {
    if (bytes[at] !== QUOTE) return NOT_AN_OBJECT;
    const keyEnd = skipString(bytes, at);
    if (keyEnd === -1) return RAN_OUT;
    const index = wantedIndex(bytes, at + 1, keyEnd - 1, wanted);
    if (index === MALFORMED_KEY) return NOT_AN_OBJECT;
    at = skipWhitespace(bytes, keyEnd);
    if (bytes[at] !== COLON) return NOT_AN_OBJECT;
    const valueStart = skipWhitespace(bytes, at + 1);
    const slot = index === -1 ? -1 : 2 * index;
    let valueEnd = -1;
    if (nested !== null && slot === 2 * nested.member) {
      // The last duplicate wins here too: each occurrence's inner members replace the last's.
      if (bytes[valueStart] === OPEN_BRACE)
        valueEnd = scanObject(bytes, nested.wanted, nested.ranges, valueStart, end, null);
      // A value the inner walk cannot read is skipped as any other, and yields no inner members.
      if (valueEnd < 0) nested.ranges.fill(-1, 0, 2 * nested.wanted.length);
    }
    if (valueEnd < 0) valueEnd = skipValue(bytes, valueStart);
    if (valueEnd < 0 || valueEnd > end) return RAN_OUT;
    // The last duplicate wins, as in JSON.parse, so we read the member the client will read.
    if (slot !== -1) {
      ranges[slot] = valueStart;
      ranges[slot + 1] = valueEnd;
    }
    at = skipWhitespace(bytes, valueEnd);
    if (bytes[at] === COMMA) {
      at = skipWhitespace(bytes, at + 1);
      continue;
    }
    if (bytes[at] === CLOSE_BRACE) return at + 1;
    return at >= end ? RAN_OUT : NOT_AN_OBJECT;
  }
  return RAN_OUT;
}

/** scanMembers with its answer as a map from member name to value range, or null. */
export function peekMembers(
  bytes: Buffer,
  wanted: readonly string[],
  start = 0,
  end = bytes.length,
  partial = false,
): Map<string, ValueRange> | null {
  const ranges = new Int32Array(2 * wanted.length);
  if (!scanMembers(bytes, { wanted, ranges, start, end, partial })) return null;
  const found = new Map<string, ValueRange>();
  wanted.forEach((name, index) => {
    const valueStart = ranges[2 * index] as number;
    if (valueStart !== -1) found.set(name, [valueStart, ranges[2 * index + 1] as number]);
  });
  return found;
}

/** Parses the JSON value in a range found by peekMembers (meant for small values such as ids). */
export function parseRange(bytes: Buffer, range: ValueRange): unknown {
  const [start, end] = range;
  // Most ids are small non-negative integers: read their digits without making a string.
  if (end - start <= 15 && (end - start === 1 || bytes[start] !== DIGIT_ZERO)) {
    let value = 0;
    let at = start;
    for (; at < end; at++) {
      const digit = (bytes[at] as number) - DIGIT_ZERO;
      if (digit < 0 || digit > 9) break;
      value = value * 10 + digit;
    }
    if (at === end) return value;
  }
  return JSON.parse(bytes.toString("utf8", start, end));
}
