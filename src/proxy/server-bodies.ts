// The server lines the session reads whole rather than passing on as bytes: the answers to its own
// requests, the client's tools/list answer (filtered), and a cancellation naming a listen stream.
// Each is parsed as the client's lines are (parseJson: exact numbers), and one that cannot be read
// fails closed.

import { META_SUBSCRIPTION_ID } from "../wire/era.js";
import { parseJson } from "../wire/json.js";
import {
  ErrorCode,
  errorLine,
  isJsonObject,
  type JsonObject,
  type RequestId,
  toLine,
} from "../wire/jsonrpc.js";
import type { CallGate } from "./call-gate.js";

/** The line's JSON value, or undefined where it is not JSON. */
function parsed(content: Buffer): unknown {
  try {
    return parseJson(content);
  } catch {
    return undefined;
  }
}

/** A server answer to a request of ours, as an object; one that is not JSON (or not an object) reads as an error. */
export function ownAnswer(content: Buffer): JsonObject {
  // Read as the client's own lists are (filteredToolsList), so both teach the same definitions.
  const message = parsed(content);
  if (message === undefined) return { error: { message: "the server's answer is not JSON" } };
  return isJsonObject(message) ? message : { error: { message: "not an object" } };
}

/** The subscription a server's notification names in `_meta` (the id of a listen stream), or undefined. */
export function subscriptionIdOf(content: Buffer): unknown {
  const message = parsed(content);
  const params = isJsonObject(message) ? message.params : undefined;
  const meta = isJsonObject(params) ? params._meta : undefined;
  return isJsonObject(meta) ? meta[META_SUBSCRIPTION_ID] : undefined;
}

/** The request id a server's notifications/cancelled names, or undefined. */
export function cancelledRequestId(content: Buffer): unknown {
  const message = parsed(content);
  const params = isJsonObject(message) ? message.params : undefined;
  return isJsonObject(params) ? params.requestId : undefined;
}

/**
 * The client's tools/list answer (to request `id`) without the hidden tools, or an error line in
 * its place; `listed` learns the server's whole result when it could be read and filtered.
 */
export function filteredToolsList(
  id: RequestId,
  content: Buffer,
  gate: Pick<CallGate, "listedTools">,
  warn: (message: string) => void,
  listed: ((result: JsonObject) => void) | undefined,
): string {
  const message = parsed(content);
  if (!isJsonObject(message) || !isJsonObject(message.result)) {
    // Fail closed: a list we cannot read is not shown, since a lenient parser might read tools in it.
    warn("dropped a tools/list answer from the server that is not JSON policylayer can read");
    return errorLine(
      id,
      ErrorCode.InternalError,
      "policylayer could not read the server's tools/list answer",
    );
  }
  try {
    const visible = gate.listedTools(message.result);
    listed?.(message.result);
    return toLine({ ...message, result: visible });
  } catch (error) {
    // Fail closed: a list we could not filter is not shown at all.
    warn(`internal error while filtering tools/list: ${(error as Error).stack ?? error}`);
    return errorLine(id, ErrorCode.InternalError, "policylayer could not filter tools/list");
  }
}
