import type { RequestId } from "./jsonrpc.js";
import {
  BACKSLASH,
  type MemberScan,
  parseRange,
  peekMembers,
  QUOTE,
  scanMembers,
  type ValueRange,
} from "./peek.js";

const RESPONSE_MEMBERS: readonly string[] = ["id", "result", "error", "method"];
/** Where each of RESPONSE_MEMBERS' value ranges starts in scanMembers' answer. */
const [ID, RESULT, ERROR, METHOD] = [0, 2, 4, 6];
const ID_MEMBER: readonly string[] = ["id"];

/** What ResponseReader.read answers for a message that is not a response with a readable id (a request, a notification). */
export const NOT_A_RESPONSE: unique symbol = Symbol("not a response");
/** What ResponseReader.read answers for a line that is no JSON-RPC message it can read: not an object, or malformed. */
export const NOT_A_MESSAGE: unique symbol = Symbol("not a message");

/**
 * How a response ended, from its members: a result, a result with isError: true, an error, or
 * (2026-07-28) a result that asks the client for input before the call can go on.
 */
export type ResponseEnd = "result" | "tool_error" | "protocol_error" | "input_required";

/**
 * Reads the members of server lines that the proxy tracks without parsing the lines: the id,
 * whether there is a result or an error, and isError inside the result, all in one pass. One
 * reader reads one line at a time (its buffers are reused from line to line).
 */
export class ResponseReader {
  private readonly ranges = new Int32Array(2 * RESPONSE_MEMBERS.length);
  /** isError, resultType and requestState inside the result, read in the same pass. */
  private readonly inner = new Int32Array(6);
  private readonly scan: MemberScan = {
    wanted: RESPONSE_MEMBERS,
    ranges: this.ranges,
    // A second message after the first would be read by a client that decodes JSON values.
    whole: true,
    nested: { member: RESULT / 2, wanted: ["isError", "resultType", "requestState"], ranges: this.inner },
  };

  /** Whether the line last read could be scanned (then its members' ranges are known). */
  private scanned = false;

  /** The id of the response in `content` (then the other readers answer for it), NOT_A_RESPONSE or NOT_A_MESSAGE. */
  read(content: Buffer): unknown {
    const ranges = this.ranges;
    this.scanned = scanMembers(content, this.scan);
    if (!this.scanned) return NOT_A_MESSAGE;
    if (ranges[METHOD] !== -1) {
      // A method that is not a string, or a request with a result or an error too, is no JSON-RPC
      // message, and a lenient client could take it for an answer (pydantic reads `"method": null`
      // beside a result as the response): never passed on unread.
      if (content[ranges[METHOD] as number] !== QUOTE || ranges[RESULT] !== -1 || ranges[ERROR] !== -1)
        return NOT_A_MESSAGE;
      return NOT_A_RESPONSE;
    }
    if (ranges[ID] === -1) return NOT_A_RESPONSE;
    try {
      return parseRange(content, [ranges[ID] as number, ranges[ID + 1] as number]);
    } catch {
      return NOT_A_MESSAGE;
    }
  }

  /**
   * Whether the line last read (from `content`) has the method `literal` names (a JSON string of
   * ASCII without escapes, quotes included): spelled so, or with escapes (`\/`, `\u0065`), as the client reads it.
   */
  isMethod(content: Buffer, literal: string): boolean {
    const ranges = this.ranges;
    return (
      this.scanned && spellsString(content, ranges[METHOD] as number, ranges[METHOD + 1] as number, literal)
    );
  }

  /** Whether the response last read has a result member. */
  get hasResult(): boolean {
    return this.ranges[RESULT] !== -1;
  }

  /** How the response last read (from `content`) ended. */
  end(content: Buffer): ResponseEnd {
    const inner = this.inner;
    return responseEnd(
      this.ranges[ERROR] !== -1,
      this.ranges[RESULT] !== -1,
      isLiteral(content, inner[0] as number, inner[1] as number, "true"),
      spellsString(content, inner[2] as number, inner[3] as number, INPUT_REQUIRED),
    );
  }

  /** The requestState of the result last read (from `content`), when it is a string. */
  requestState(content: Buffer): string | undefined {
    const inner = this.inner;
    if (inner[4] === -1) return undefined;
    try {
      const state = parseRange(content, [inner[4] as number, inner[5] as number]);
      return typeof state === "string" ? state : undefined;
    } catch {
      return undefined;
    }
  }
}

/** A result's resultType asking the client for input (2026-07-28), as a JSON string literal. */
export const INPUT_REQUIRED = '"input_required"';

/** How a response ended, from what was read of it: its error and result members, isError: true, resultType. */
export function responseEnd(
  hasError: boolean,
  hasResult: boolean,
  isErrorTrue: boolean,
  inputRequired: boolean,
): ResponseEnd {
  if (hasError || !hasResult) return "protocol_error";
  if (inputRequired) return "input_required";
  return isErrorTrue ? "tool_error" : "result";
}

/**
 * Whether the value range [start, end) of `bytes` is the string `literal` (a JSON string of ASCII
 * without escapes, quotes included), spelled so or with escapes (`\/`, `\u0065`), as a client decodes it.
 */
export function spellsString(bytes: Buffer, start: number, end: number, literal: string): boolean {
  if (isLiteral(bytes, start, end, literal)) return true;
  // An escape makes a spelling longer than the string: only such a spelling is decoded.
  if (start === -1 || end - start <= literal.length || !hasBackslash(bytes, start, end)) return false;
  try {
    return JSON.parse(bytes.toString("utf8", start, end)) === literal.slice(1, -1);
  } catch {
    return false;
  }
}

/** Whether [start, end) of `content` holds a backslash (a short range: a method name, a resultType). */
function hasBackslash(content: Buffer, start: number, end: number): boolean {
  for (let at = start; at < end; at++) if (content[at] === BACKSLASH) return true;
  return false;
}

/** Whether the value range [start, end) of `content` is exactly `literal` (ASCII). */
function isLiteral(content: Buffer, start: number, end: number, literal: string): boolean {
  return start !== -1 && end - start === literal.length && content.toString("latin1", start, end) === literal;
}

/** The id at the head of a message too large to keep, when it is one a response could carry. */
export function idOfHead(head: Buffer): RequestId | null {
  const range = peekMembers(head, ID_MEMBER, 0, head.length, true)?.get("id");
  return range ? requestIdIn(head, range) : null;
}

/** The id in the value range of `bytes`, when it is one a request can carry (a string, a safe integer); else null. */
export function requestIdIn(bytes: Buffer, range: ValueRange): RequestId | null {
  try {
    const id = parseRange(bytes, range);
    return typeof id === "string" || (typeof id === "number" && Number.isSafeInteger(id)) ? id : null;
  } catch {
    return null;
  }
}
