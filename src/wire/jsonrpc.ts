import { isAscii, isUtf8 } from "node:buffer";
import { ExactNumber } from "./exact-number.js";
import { parseJson, stringifyJson } from "./json.js";
import { type LineText, lineTextOf, serializeParsed } from "./serialize.js";

/** A JSON-RPC request id as MCP allows it: a string or an integer. */
export type RequestId = string | number;

/**
 * An id as it may appear in an answer: also an integer beyond 2^53, which we cannot track exactly
 * (such a request is refused) but answer with its exact digits, and pass on in a client's response.
 */
export type AnswerId = RequestId | ExactNumber;

/** A request's `_meta.progressToken`: a string or an integer, kept exactly (12345678901234567890 too). */
export type ProgressToken = string | number | ExactNumber;

/** JSON-RPC 2.0 error codes, as the specification names them. */
export const ErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  /** Implementation-defined: the server went away before it answered. */
  ServerExited: -32000,
  /** Implementation-defined: the message was larger than policylayer's line ceiling. */
  MessageTooLarge: -32001,
  /** Implementation-defined: too many of the client's requests are still unanswered. */
  TooManyPending: -32002,
} as const;

export type JsonObject = Record<string, unknown>;

/** A client message that passed the envelope checks, classified by its shape. */
export type ClientMessage =
  | {
      kind: "request";
      id: RequestId;
      method: string;
      message: JsonObject;
      /** What is known of the line's text, for serializing the message again (see LineText). */
      text: LineText;
    }
  | { kind: "notification"; method: string; message: JsonObject; text: LineText }
  | { kind: "response"; id: AnswerId; message: JsonObject; text: LineText };

/** Why a line was refused, with the id to answer (null where none could be read: JSON-RPC 2.0, section 5). */
export interface EnvelopeError {
  kind: "invalid";
  id: AnswerId | null;
  code: number;
  message: string;
}

const REQUEST_KEYS = new Set(["jsonrpc", "id", "method", "params"]);
const RESPONSE_KEYS = new Set(["jsonrpc", "id", "result", "error"]);

/** True for a value that is a plain JSON object (not null, not an array). */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isRequestId(value: unknown): value is RequestId {
  return typeof value === "string" || (typeof value === "number" && Number.isSafeInteger(value));
}

/** The first member JSON-RPC does not define for this kind of message, if any. */
function unexpectedMember(value: JsonObject, allowed: ReadonlySet<string>): string | undefined {
  // for-in: JSON.parse makes plain objects, whose enumerable keys are all their own.
  for (const key in value) if (!allowed.has(key)) return key;
  return undefined;
}

/** An integer id JavaScript cannot hold (12345678901234567890), kept as its digits. */
function isExactIntegerId(value: unknown): value is ExactNumber {
  return value instanceof ExactNumber && /^-?[1-9]\d*$/.test(value.text);
}

function invalid(id: AnswerId | null, code: number, message: string): EnvelopeError {
  return { kind: "invalid", id, code, message };
}

/**
 * Parses one line from the client and checks that it is exactly one JSON-RPC 2.0 message.
 * Everything forwarded to the server is the serialization of the object returned here.
 */
export function parseClientLine(line: Buffer): ClientMessage | EnvelopeError {
  const asciiLine = isAscii(line);
  if (!asciiLine && !isUtf8(line))
    return invalid(null, ErrorCode.ParseError, "Parse error: the line is not valid UTF-8");
  let value: unknown;
  try {
    // ASCII reads the same as latin1, which decodes without UTF-8's checks.
    value = parseJson(line, asciiLine);
  } catch {
    return invalid(null, ErrorCode.ParseError, "Parse error: the line is not one JSON value");
  }
  if (Array.isArray(value)) {
    return invalid(
      null,
      ErrorCode.InvalidRequest,
      "Invalid Request: JSON-RPC batches are not supported (removed from MCP in 2025-06-18); send one message per line",
    );
  }
  if (!isJsonObject(value))
    return invalid(null, ErrorCode.InvalidRequest, "Invalid Request: a message must be a JSON object");
  const id = "id" in value ? value.id : undefined;
  const answerId = isRequestId(id) ? id : null;
  const exactId = isExactIntegerId(id) ? id : null;
  if (value.jsonrpc !== "2.0")
    return invalid(answerId ?? exactId, ErrorCode.InvalidRequest, 'Invalid Request: "jsonrpc" must be "2.0"');
  if (exactId !== null && "method" in value) {
    return invalid(
      exactId,
      ErrorCode.InvalidRequest,
      `Invalid Request: id ${exactId.text} is an integer beyond 2^53, which policylayer cannot track exactly; use a smaller integer or a string id`,
    );
  }
  if (id !== undefined && !isRequestId(id) && exactId === null) {
    // A number that is no integer (1.5, 1.0, 1e0, -0) is answered under that number as it came, so
    // that the client can tell which of its requests was refused; anything else under null.
    const asSent = typeof id === "number" || id instanceof ExactNumber ? id : null;
    return invalid(asSent, ErrorCode.InvalidRequest, "Invalid Request: id must be a string or an integer");
  }

  if ("method" in value) {
    if (typeof value.method !== "string" || value.method.length === 0) {
      return invalid(
        answerId,
        ErrorCode.InvalidRequest,
        "Invalid Request: method must be a non-empty string",
      );
    }
    const extra = unexpectedMember(value, REQUEST_KEYS);
    if (extra !== undefined) {
      return invalid(answerId, ErrorCode.InvalidRequest, `Invalid Request: unexpected member "${extra}"`);
    }
    if ("params" in value && !isJsonObject(value.params)) {
      // For tools/call this is malformed params like any other (-32602); MCP has no by-position params.
      return value.method === "tools/call"
        ? invalid(
            answerId,
            ErrorCode.InvalidParams,
            "Invalid params for tools/call: params must be an object",
          )
        : invalid(answerId, ErrorCode.InvalidRequest, "Invalid Request: params must be an object");
    }
    const text = lineTextOf(line, asciiLine);
    // An id that is present but not a RequestId was refused above, so answerId is null exactly when id is absent.
    return answerId === null
      ? { kind: "notification", method: value.method, message: value, text }
      : { kind: "request", id: answerId, method: value.method, message: value, text };
  }

  // A response to a server's request may carry any integer id the server chose: it passes exactly.
  const responseId = answerId ?? exactId;
  if (responseId === null)
    return invalid(null, ErrorCode.InvalidRequest, "Invalid Request: a message needs a method or an id");
  const hasResult = "result" in value;
  const hasError = "error" in value;
  if (hasResult === hasError) {
    return invalid(
      null,
      ErrorCode.InvalidRequest,
      "Invalid Request: a response carries exactly one of result and error",
    );
  }
  const extra = unexpectedMember(value, RESPONSE_KEYS);
  if (extra !== undefined) {
    return invalid(null, ErrorCode.InvalidRequest, `Invalid Request: unexpected member "${extra}"`);
  }
  if (hasResult && !isJsonObject(value.result))
    return invalid(null, ErrorCode.InvalidRequest, "Invalid Request: result must be an object");
  if (hasError && !isJsonObject(value.error))
    return invalid(null, ErrorCode.InvalidRequest, "Invalid Request: error must be an object");
  return { kind: "response", id: responseId, message: value, text: lineTextOf(line, asciiLine) };
}

/** Serializes one message as a newline-terminated line. */
export function toLine(message: unknown): string {
  return `${stringifyJson(message)}\n`;
}

/**
 * A tools/call request line whose arguments are already serialized: the same text as
 * toLine(message), with the arguments' text written once and reused (they are most of the bytes).
 * `text`: what is known of the text of the line the params came from (see LineText).
 */
export function toolCallLine(
  id: RequestId,
  params: JsonObject,
  argumentsJson: string,
  text: LineText = "escaped",
): string {
  let members = "";
  for (const key of Object.keys(params)) {
    const value = key === "arguments" ? argumentsJson : serializeParsed(params[key], text);
    members += `${members.length === 0 ? "" : ","}${serializeParsed(key, text)}:${value}`;
  }
  return `{"jsonrpc":"2.0","id":${serializeParsed(id, text)},"method":"tools/call","params":{${members}}}\n`;
}

/** A JSON-RPC error response line. */
export function errorLine(id: AnswerId | null, code: number, message: string, data?: unknown): string {
  const error: JsonObject = { code, message };
  if (data !== undefined) error.data = data;
  return toLine({ jsonrpc: "2.0", id, error });
}

/** A JSON-RPC success response line. */
export function resultLine(id: RequestId, result: unknown): string {
  return toLine({ jsonrpc: "2.0", id, result });
}
