/**
 * Reads the members of a server line that the proxy tracks while the line is still arriving, piece
 * by piece, so that a long answer can be passed on as it comes instead of being gathered first. It
 * reads what scanMembers (peek.ts) reads of a whole line, for the same members, but it is strict
 * where that scan is lenient: anything that is not a well-formed walk of the object and of result's
 * object (a malformed member, bytes after the object other than whitespace) fails the read.
 */

import type { RequestId } from "./jsonrpc.js";
import {
  BACKSLASH,
  CLOSE_BRACE,
  CLOSE_BRACKET,
  COLON,
  COMMA,
  OPEN_BRACE,
  OPEN_BRACKET,
  QUOTE,
  scalarEnd,
  skipWhitespace,
} from "./peek.js";
import { INPUT_REQUIRED, type ResponseEnd, requestIdIn, responseEnd, spellsString } from "./response-scan.js";

/** The longest member value kept (an id, isError, resultType, requestState); a longer one is only known to be there. */
const MAX_KEPT_BYTES = 64 * 1024;
/** Longer than any escaped spelling of a name read (six bytes a character, quotes included); a longer key with an escape fails the read. */
const MAX_KEY_BYTES = 1024;

const TOP_NAMES = ["id", "result", "error", "method"] as const;
const INNER_NAMES = ["isError", "resultType", "requestState"] as const;
const ID = 0;
const RESULT = 1;
const ERROR = 2;
const METHOD = 3;

/** A member's value as read: absent (null), its bytes, or "long": there, but longer than is kept. */
export type MemberValue = Buffer | "long" | null;

/** Where the walk of one object level is: before a key, its colon, its value, or after the value. */
enum Expect {
  FirstKey,
  Key,
  Colon,
  Value,
  CommaOrEnd,
}

/** What the bytes being read are: between tokens, a string, a scalar, or a nested value skipped whole. */
enum Reading {
  Walk,
  String,
  Scalar,
  Nested,
}

/** One object level (the line's object, or result's): the names read and what was read of them. */
class Level {
  readonly values: MemberValue[];
  expect = Expect.FirstKey;
  /** The index in names of the member whose key or value is being read, or -1. */
  member = -1;

  constructor(readonly names: readonly string[]) {
    this.values = names.map(() => null);
  }
}

export class ResponseStreamScan {
  private readonly top = new Level(TOP_NAMES);
  private readonly inner = new Level(INNER_NAMES);
  private level: Level = this.top;
  private opened = false;
  private closed = false;
  private failed = false;
  /** Where in the piece being read the object closed, or -1. */
  private closedAt = -1;
  /** Whether the key being read has a backslash (then it must be short enough to be decoded and checked). */
  private keyEscaped = false;
  /** Whether a top-level result or error member has begun. */
  private answering = false;
  private reading = Reading.Walk;
  private readingKey = false;
  /** Inside a string: whether the first byte of the next piece is escaped. */
  private escaped = false;
  /** Inside a nested value: whether the walk is in one of its strings, and its bracket depth. */
  private nestedInString = false;
  private depth = 0;
  /** Bytes of the key or value being read, when they are kept; how many a scalar has had. */
  private kept: number[] | null = null;
  private keptLimit = 0;
  private keptLong = false;
  private scalarBytes = 0;

  /**
   * Reads the next piece of the line (its terminator may be in it). Returns where in it the line's
   * object closed (the position of its closing brace) when it closed in this piece, else -1.
   */
  feed(bytes: Buffer): number {
    this.closedAt = -1;
    let at = 0;
    while (at < bytes.length && !this.failed) {
      if (this.reading === Reading.String) at = this.readString(bytes, at);
      else if (this.reading === Reading.Scalar) at = this.readScalar(bytes, at);
      else if (this.reading === Reading.Nested) at = this.skipNested(bytes, at);
      else at = this.walk(bytes, at);
    }
    return this.closedAt;
  }

  /** Whether the read failed: the bytes so far are not the start of an object it can walk. */
  get failedSoFar(): boolean {
    return this.failed;
  }

  /** Whether the line's object has closed (only whitespace may follow). */
  get closedSoFar(): boolean {
    return this.closed;
  }

  /**
   * The id read so far, once its value is complete and a result or an error member has begun (so
   * the line is an answer, not a request of the server's, whose ids are of another space); null
   * when not, when a method member was seen, or when the read failed.
   */
  get idSoFar(): MemberValue {
    return this.failed || this.top.values[METHOD] !== null ? null : this.answerId;
  }

  /**
   * As idSoFar, but also when the read failed after the id, and when the line has a method that is
   * not a string (for a line dropped as unreadable: `"method": null` beside a result is no request of
   * the server's, and a lenient client would take it for the answer).
   */
  get answerId(): MemberValue {
    const top = this.top;
    const method = top.values[METHOD] ?? null;
    if (!this.answering || method === "long" || (method !== null && method[0] === QUOTE)) return null;
    if (this.level === top && top.member === ID) return null;
    return top.values[ID] ?? null;
  }

  /** After the whole line: whether it was one object, read to its end, with only whitespace after it. */
  get complete(): boolean {
    return this.closed && !this.failed;
  }

  /** A top-level member's value (the last occurrence's, as JSON.parse reads it). */
  member(name: (typeof TOP_NAMES)[number]): MemberValue {
    return this.top.values[TOP_NAMES.indexOf(name)] ?? null;
  }

  /** A member of result's object (of the last result, when result is an object). */
  resultMember(name: (typeof INNER_NAMES)[number]): MemberValue {
    return this.inner.values[INNER_NAMES.indexOf(name)] ?? null;
  }

  /** After the whole line: how the response ended (as ResponseReader.end reads a whole line). */
  end(): ResponseEnd {
    const resultType = this.resultMember("resultType");
    return responseEnd(
      this.member("error") !== null,
      this.member("result") !== null,
      spells(this.resultMember("isError"), "true"),
      resultType instanceof Buffer && spellsString(resultType, 0, resultType.length, INPUT_REQUIRED),
    );
  }

  /** After the whole line: the result's requestState, when it is a string. */
  requestState(): string | undefined {
    const state = this.resultMember("requestState");
    if (!(state instanceof Buffer)) return undefined;
    try {
      const value: unknown = JSON.parse(state.toString("utf8"));
      return typeof value === "string" ? value : undefined;
    } catch {
      return undefined;
    }
  }

  private fail(): number {
    this.failed = true;
    return Number.POSITIVE_INFINITY;
  }

  /** Between tokens: skips whitespace, then reads the token the level expects. */
  private walk(bytes: Buffer, from: number): number {
    const at = skipWhitespace(bytes, from);
    if (at === bytes.length) return at;
    if (this.closed) return this.fail();
    const byte = bytes[at] as number;
    if (!this.opened) {
      if (byte !== OPEN_BRACE) return this.fail();
      this.opened = true;
      return at + 1;
    }
    return this.token(byte, at);
  }

  private token(byte: number, at: number): number {
    const level = this.level;
    switch (level.expect) {
      case Expect.FirstKey:
      case Expect.Key:
        if (byte === CLOSE_BRACE && level.expect === Expect.FirstKey) return this.closeLevel(at);
        if (byte !== QUOTE) return this.fail();
        this.readingKey = true;
        this.keyEscaped = false;
        this.beginString(MAX_KEY_BYTES, byte);
        return at + 1;
      case Expect.Colon:
        if (byte !== COLON) return this.fail();
        level.expect = Expect.Value;
        return at + 1;
      case Expect.Value:
        return this.beginValue(byte, at);
      default:
        if (byte === COMMA) {
          level.expect = Expect.Key;
          return at + 1;
        }
        if (byte === CLOSE_BRACE) return this.closeLevel(at);
        return this.fail();
    }
  }

  private closeLevel(at: number): number {
    if (this.level === this.inner) {
      this.level = this.top;
      this.top.expect = Expect.CommaOrEnd;
      this.top.member = -1;
    } else {
      this.closed = true;
      this.closedAt = at;
    }
    return at + 1;
  }

  /** A member's value starts with `byte`: result's object is walked, any other value read whole. */
  private beginValue(byte: number, at: number): number {
    const level = this.level;
    const keep = level.member === -1 ? 0 : MAX_KEPT_BYTES;
    level.expect = Expect.CommaOrEnd;
    if (level === this.top && (level.member === RESULT || level.member === ERROR)) this.answering = true;
    if (level === this.top && level.member === RESULT) {
      // The last result wins, as in JSON.parse: its inner members replace those of an earlier one.
      this.inner.values.fill(null);
      if (byte === OPEN_BRACE) {
        level.values[RESULT] = "long";
        this.inner.expect = Expect.FirstKey;
        this.inner.member = -1;
        this.level = this.inner;
        return at + 1;
      }
    }
    if (byte === QUOTE) {
      this.readingKey = false;
      this.beginString(keep, byte);
      return at + 1;
    }
    this.keepFrom(keep);
    if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      this.pushKept(byte);
      this.depth = 1;
      this.nestedInString = false;
      this.reading = Reading.Nested;
      return at + 1;
    }
    if (byte === COMMA || byte === CLOSE_BRACE || byte === CLOSE_BRACKET || byte === COLON)
      return this.fail();
    this.scalarBytes = 0;
    this.reading = Reading.Scalar;
    return at;
  }

  private keepFrom(limit: number): void {
    this.kept = limit > 0 ? [] : null;
    this.keptLimit = limit;
    this.keptLong = false;
  }

  private beginString(limit: number, quote: number): void {
    this.keepFrom(limit);
    this.pushKept(quote);
    this.escaped = false;
    this.reading = Reading.String;
  }

  private pushKept(byte: number): void {
    const kept = this.kept;
    if (kept === null) return;
    if (kept.length < this.keptLimit) kept.push(byte);
    else this.keptLong = true;
  }

  private keepRange(bytes: Buffer, from: number, to: number): void {
    const kept = this.kept;
    if (kept === null || this.keptLong) return;
    if (kept.length + (to - from) > this.keptLimit) {
      this.keptLong = true;
      return;
    }
    for (let at = from; at < to; at++) kept.push(bytes[at] as number);
  }

  /** Inside a string: up to its closing quote, or to the piece's end. */
  private readString(bytes: Buffer, from: number): number {
    const after = this.stringEnd(bytes, from);
    const to = after === -1 ? bytes.length : after;
    this.keepRange(bytes, from, to);
    if (this.readingKey && !this.keyEscaped) this.keyEscaped = bytes.subarray(from, to).includes(BACKSLASH);
    if (after === -1) return to;
    this.reading = Reading.Walk;
    if (!this.readingKey) {
      this.endValue();
      return to;
    }
    this.readingKey = false;
    const level = this.level;
    if (this.keptLong || this.kept === null) {
      // Too long to be any name read; failed on only if it has escapes, which could not be checked.
      if (this.keyEscaped) return this.fail();
      level.member = -1;
      level.expect = Expect.Colon;
      return to;
    }
    level.member = memberIndex(this.kept, level.names);
    if (level.member === MALFORMED_KEY) return this.fail();
    level.expect = Expect.Colon;
    return to;
  }

  /**
   * The position after the closing quote of the string the walk is in, from `from`; -1 when the
   * piece ends first (then whether the next piece's first byte is escaped is remembered).
   */
  private stringEnd(bytes: Buffer, from: number): number {
    let at = from;
    if (this.escaped) {
      this.escaped = false;
      at++;
    }
    // Backslashes before a quote are counted back to here: any before it were settled already.
    const settled = at;
    for (;;) {
      const quote = bytes.indexOf(QUOTE, at);
      const end = quote === -1 ? bytes.length : quote;
      let backslashes = 0;
      for (let back = end - 1; back >= settled && bytes[back] === BACKSLASH; back--) backslashes++;
      if (quote === -1) {
        this.escaped = backslashes % 2 === 1;
        return -1;
      }
      if (backslashes % 2 === 0) return quote + 1;
      at = quote + 1;
    }
  }

  /** A scalar (a number or a literal): up to the delimiter after it, which the walk reads next. */
  private readScalar(bytes: Buffer, from: number): number {
    const at = scalarEnd(bytes, from);
    this.keepRange(bytes, from, at);
    this.scalarBytes += at - from;
    if (at === bytes.length) return at;
    this.reading = Reading.Walk;
    if (this.scalarBytes === 0) return this.fail();
    this.endValue();
    return at;
  }

  /** An array or an object read whole: brackets counted and strings skipped, as scanMembers' skipValue does. */
  private skipNested(bytes: Buffer, from: number): number {
    let at = from;
    let to = -1;
    while (at < bytes.length) {
      if (this.nestedInString) {
        const after = this.stringEnd(bytes, at);
        if (after === -1) break;
        this.nestedInString = false;
        at = after;
        continue;
      }
      const byte = bytes[at] as number;
      if (byte === QUOTE) this.nestedInString = true;
      else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) this.depth++;
      else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
        this.depth--;
        if (this.depth === 0) {
          to = at + 1;
          break;
        }
      }
      at++;
    }
    this.keepRange(bytes, from, to === -1 ? bytes.length : to);
    if (to === -1) return bytes.length;
    this.reading = Reading.Walk;
    this.endValue();
    return to;
  }

  /** A member's value ended: it replaces an earlier occurrence's. */
  private endValue(): void {
    const level = this.level;
    if (level.member !== -1)
      level.values[level.member] = this.keptLong || this.kept === null ? "long" : Buffer.from(this.kept);
    level.member = -1;
    this.kept = null;
  }
}

/** memberIndex's answer for a key JSON.parse cannot read (a bad escape): the line is no JSON. */
const MALFORMED_KEY = -2;

/** The index in `names` of the name a key (its bytes, quotes included) spells, decoded as JSON.parse would; -1 if none. */
function memberIndex(key: number[], names: readonly string[]): number {
  // Compared byte by byte, as latin1 text: no buffer or string is made for the keys of every object.
  if (!key.includes(BACKSLASH)) {
    const length = key.length - 2;
    for (let index = 0; index < names.length; index++) {
      const name = names[index] as string;
      if (name.length !== length) continue;
      let at = 0;
      while (at < length && key[at + 1] === name.charCodeAt(at)) at++;
      if (at === length) return index;
    }
    return -1;
  }
  try {
    return names.indexOf(String(JSON.parse(Buffer.from(key).toString("utf8"))));
  } catch {
    return MALFORMED_KEY;
  }
}

/** Whether a value read is exactly `literal` (ASCII). */
function spells(value: MemberValue, literal: string): boolean {
  return value instanceof Buffer && value.length === literal.length && value.toString("latin1") === literal;
}

/** A UTF-8 byte-order mark, which no JSON parser of the clients skips. */
const BYTE_ORDER_MARK = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * The ids of the answers in a server line that is not passed on (unreadable, or over the ceiling:
 * then its head): of each object on it in turn, while they can be read, the id of one that is an
 * answer so far (a result or an error begun, no method: a request of the server's has ids of its own).
 * The objects may stand in a batch array (`[{...},{...}]`), which no client of today's protocol reads.
 */
export function answerIdsOf(line: Buffer): RequestId[] {
  const ids: RequestId[] = [];
  let rest = line.subarray(0, BYTE_ORDER_MARK.length).equals(BYTE_ORDER_MARK) ? line.subarray(3) : line;
  while (rest.length > 0) {
    rest = rest.subarray(batchSeparatorsEnd(rest));
    const scan = new ResponseStreamScan();
    const closedAt = scan.feed(rest);
    const id = scan.answerId;
    const requestId = id instanceof Buffer ? requestIdIn(id, [0, id.length]) : null;
    if (requestId !== null) ids.push(requestId);
    if (closedAt === -1) break;
    rest = rest.subarray(closedAt + 1);
  }
  return ids;
}

/** Where the whitespace and batch punctuation (`[`, `,`, `]`) at the start of `bytes` end. */
function batchSeparatorsEnd(bytes: Buffer): number {
  let at = skipWhitespace(bytes, 0);
  while (at < bytes.length) {
    const byte = bytes[at];
    if (byte !== OPEN_BRACKET && byte !== COMMA && byte !== CLOSE_BRACKET) break;
    at = skipWhitespace(bytes, at + 1);
  }
  return at;
}
