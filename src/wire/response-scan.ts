import type { RequestId } from "./jsonrpc.js";
import { type NestedScan, parseRange, peekMembers, scanMembers } from "./peek.js";

const RESPONSE_MEMBERS: readonly string[] = ["id", "result", "error", "method"];
/** Where each of RESPONSE_MEMBERS' value ranges starts in scanMembers' answer. */
const [ID, RESULT, ERROR, METHOD] = [0, 2, 4, 6];
const ID_MEMBER: readonly string[] = ["id"];

/** What scanResponse answers for a line that is not a response with a readable id. */
export const NOT_A_RESPONSE: unique symbol = Symbol("not a response");

/** How a response ended, from its members: a result, a result with isError: true, or an error. */
export type ResponseEnd = "result" | "tool_error" | "protocol_error";

/**
 * Reads the members of server lines that the proxy tracks without parsing the lines: the id,
 * whether there is a result or an error, and isError inside the result, all in one pass. One
 * reader reads one line at a time (its buffers are reused from line to line).
 */
export class ResponseReader {
  private readonly ranges = new Int32Array(2 * RESPONSE_MEMBERS.length);
  /** isError inside the result, read in the same pass. */
  private readonly resultScan: NestedScan = {
    member: RESULT / 2,
    wanted: ["isError"],
    ranges: new Int32Array(2),
  };

  /** The id of the response in `content` (then the other readers answer for it), or NOT_A_RESPONSE. */
  read(content: Buffer): unknown {
    const ranges = this.ranges;
    if (
      !scanMembers(content, RESPONSE_MEMBERS, ranges, 0, content.length, false, this.resultScan) ||
      ranges[ID] === -1 ||
      ranges[METHOD] !== -1
    ) {
      return NOT_A_RESPONSE;
    }
    try {
      return parseRange(content, [ranges[ID] as number, ranges[ID + 1] as number]);
    } catch {
      return NOT_A_RESPONSE;
    }
  }

  /** Whether the response last read has a result member. */
  get hasResult(): boolean {
    return this.ranges[RESULT] !== -1;
  }

  /** How the response last read (from `content`) ended. */
  end(content: Buffer): ResponseEnd {
    if (this.ranges[ERROR] !== -1 || this.ranges[RESULT] === -1) return "protocol_error";
    const isError = this.resultScan.ranges;
    const start = isError[0] as number;
    if (start === -1) return "result";
    const isTrue = isError[1] === start + 4 && content.toString("latin1", start, start + 4) === "true";
    return isTrue ? "tool_error" : "result";
  }
}

/** The id at the head of a message too large to keep, when it is one a response could carry. */
export function idOfHead(head: Buffer): RequestId | null {
  const range = peekMembers(head, ID_MEMBER, 0, head.length, true)?.get("id");
  if (!range) return null;
  try {
    const id = parseRange(head, range);
    return typeof id === "string" || (typeof id === "number" && Number.isSafeInteger(id)) ? id : null;
  } catch {
    return null;
  }
}
