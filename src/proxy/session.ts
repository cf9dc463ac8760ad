import { randomBytes } from "node:crypto";
import type { Readable, Writable } from "node:stream";
import type { ToolCall } from "../policy/types.js";
import { parseJson, stringifyJson } from "../wire/json.js";
import {
  type AnswerId,
  type ClientMessage,
  ErrorCode,
  errorLine,
  isJsonObject,
  type JsonObject,
  parseClientLine,
  type RequestId,
  toLine,
  toolCallLine,
} from "../wire/jsonrpc.js";
import { LineSplitter } from "../wire/lines.js";
import { BatchedOutput } from "../wire/output.js";
import { type NestedScan, parseRange, peekMembers, scanMembers } from "../wire/peek.js";
import { serializeParsed } from "../wire/serialize.js";
import { denialResultLine } from "./denial.js";
import type { CallOutcome, Gate, Verdict } from "./gate.js";
import { IdTable } from "./id-table.js";

export interface ProxyOptions {
  clientInput: Readable;
  clientOutput: Writable;
  serverInput: Writable;
  serverOutput: Readable;
  gate: Gate;
  /** The ceiling on one message's size, in bytes, in both directions. */
  maxLineBytes: number;
  warn: (message: string) => void;
}

/** A client request the server (or an approval) has not answered yet. */
interface PendingRequest {
  id: RequestId;
  method: string;
  /** For forwarded tools/call: reports the outcome to the audit log. */
  forwarded?: { finish(outcome: CallOutcome): void };
  /** A tools/call still waiting for a person: not yet sent to the server. */
  awaitingApproval?: boolean;
  cancelled?: boolean;
}

const RESPONSE_MEMBERS: readonly string[] = ["id", "result", "error", "method"];
/** Where each of RESPONSE_MEMBERS' value ranges starts in scanMembers' answer. */
const [ID, RESULT, ERROR, METHOD] = [0, 2, 4, 6];
const ID_MEMBER: readonly string[] = ["id"];
const TOOLS_CALL_PARAMS: ReadonlySet<string> = new Set(["name", "arguments", "_meta", "task"]);
/** Client requests that may be unanswered at once; more are refused, so memory stays bounded. */
export const MAX_PENDING_REQUESTS = 10_000;
/** Methods we intercept; a near-miss spelling of one is refused rather than guessed at. */
const INTERCEPTED_METHODS = ["tools/call", "tools/list"];

/**
 * The two relays between client and server. Client messages are parsed, checked and decided,
 * and the server receives our serialization of exactly what was decided. Server messages pass
 * as their own bytes unless we must change them (tools/list) or read them (responses we track).
 */
export class ProxySession {
  /** Keyed by the id itself, 1 and "1" apart (see IdTable for why not a Map). */
  private readonly pending = new IdTable<PendingRequest>();
  private readonly options: ProxyOptions;
  private serverGone = false;
  private clientGone = false;
  private readonly toServer: BatchedOutput;
  private readonly toClient: BatchedOutput;
  /** scanMembers' answer for the server line being read (reused: lines are read one at a time). */
  private readonly responseRanges = new Int32Array(2 * RESPONSE_MEMBERS.length);
  /** isError inside the result, read in the same pass (a tools/call's outcome for the audit log). */
  private readonly resultScan: NestedScan = {
    member: RESULT / 2,
    wanted: ["isError"],
    ranges: new Int32Array(2),
  };
  /** Requests policylayer itself sent to the client (elicitation), by id. */
  private readonly ownRequests = new Map<
    RequestId,
    { resolve(result: unknown): void; reject(error: Error): void }
  >();
  /** A prefix no server can predict, so our request ids never collide with the server's. */
  private readonly ownIdPrefix = `policylayer-${randomBytes(9).toString("base64url")}-`;
  private ownIdCounter = 0;
  /** Capabilities the client declared at initialize (for elicitation-based approval). */
  clientCapabilities: JsonObject | null = null;
  /** Called when the client cancels a request that is still waiting for approval. */
  onApprovalCancelled: ((requestId: RequestId) => void) | null = null;

  constructor(options: ProxyOptions) {
    this.options = options;
    this.toServer = new BatchedOutput(options.serverInput, options.clientInput);
    this.toClient = new BatchedOutput(options.clientOutput, options.serverOutput);
  }

  /** Starts both relays. */
  start(): void {
    const { clientInput, serverOutput, maxLineBytes } = this.options;
    const fromClient = new LineSplitter(
      {
        line: (content) => this.onClientLine(content),
        oversize: (seenBytes, head) => this.onClientOversize(seenBytes, head),
      },
      maxLineBytes,
    );
    const fromServer = new LineSplitter(
      {
        line: (content, framedBytes) => this.onServerLine(content, framedBytes),
        oversize: (seenBytes, head) => this.onServerOversize(seenBytes, head),
      },
      maxLineBytes,
    );
    const { toServer, toClient } = this;
    // Whatever one chunk produces leaves in one write per direction, not one syscall per line.
    clientInput.on("data", (chunk: Buffer) =>
      toServer.hold(() => toClient.hold(() => fromClient.push(chunk))),
    );
    // Audit lines are written before the answers they describe leave (the flush at the end of hold).
    serverOutput.on("data", (chunk: Buffer) =>
      toClient.hold(() => this.options.gate.batchAudit(() => fromServer.push(chunk))),
    );
  }

  /** The server is gone: every request still pending gets an error, and later ones will too. */
  serverExited(description: string): void {
    this.serverGone = true;
    for (const entry of this.pending.values()) {
      entry.forwarded?.finish("server_exited");
      this.sendToClient(
        errorLine(
          entry.id,
          ErrorCode.ServerExited,
          `MCP server ${description} before answering ${entry.method}`,
        ),
      );
    }
    this.pending.clear();
  }

  /** The client is gone: nothing more will be written to it. */
  clientClosed(): void {
    this.clientGone = true;
  }

  private onClientLine(content: Buffer): void {
    if (isBlank(content)) return;
    const message = parseClientLine(content);
    if (message.kind === "invalid") {
      this.options.warn(`refused a client message: ${message.message}`);
      if (message.id !== null) this.sendToClient(errorLine(message.id, message.code, message.message));
      return;
    }
    try {
      if (message.kind === "request") this.onClientRequest(message);
      else if (message.kind === "notification") this.onClientNotification(message);
      else if (!this.answerOwnRequest(message.id, message.message))
        this.sendToServer(message.message, message.ascii);
    } catch (error) {
      // Fail closed and keep running: e.g. arguments nested too deeply to serialize. Nothing was
      // forwarded (serialization comes before the write), so the request gets an internal error.
      this.options.warn(`internal error on a client message: ${(error as Error).stack ?? error}`);
      if (message.kind !== "request") return;
      this.pending.get(message.id)?.forwarded?.finish("protocol_error");
      this.pending.delete(message.id);
      this.sendToClient(
        errorLine(
          message.id,
          ErrorCode.InternalError,
          "Internal error: policylayer could not handle this request; it was not forwarded",
        ),
      );
    }
  }

  private onClientRequest(request: Extract<ClientMessage, { kind: "request" }>): void {
    const { id, method, message } = request;
    if (this.pending.has(id)) {
      this.sendToClient(
        errorLine(
          id,
          ErrorCode.InvalidRequest,
          `Invalid Request: id ${JSON.stringify(id)} is already in use by a pending request`,
        ),
      );
      return;
    }
    if (isNearMiss(method)) {
      this.sendToClient(
        errorLine(id, ErrorCode.MethodNotFound, `Method not found: ${JSON.stringify(method)}`),
      );
      return;
    }
    if (this.serverGone) {
      this.sendToClient(
        errorLine(id, ErrorCode.ServerExited, `MCP server has exited; ${method} cannot be answered`),
      );
      return;
    }
    if (this.pending.size >= MAX_PENDING_REQUESTS) {
      // Bounded memory against a client that floods a server that does not answer.
      this.sendToClient(
        errorLine(
          id,
          ErrorCode.TooManyPending,
          `Too many requests in flight: ${MAX_PENDING_REQUESTS} are still unanswered; ${method} was not forwarded`,
        ),
      );
      return;
    }
    if (method === "tools/call") {
      this.onToolCall(id, message, request.plain, request.ascii);
      return;
    }
    if (method === "initialize") {
      const params = message.params;
      this.clientCapabilities =
        isJsonObject(params) && isJsonObject(params.capabilities) ? params.capabilities : null;
    }
    this.pending.set(id, { id, method });
    this.sendToServer(message, request.ascii);
  }

  private onClientNotification(notification: Extract<ClientMessage, { kind: "notification" }>): void {
    if (notification.method === "tools/call" || isNearMiss(notification.method)) {
      // A call without an id cannot be answered, so it cannot be denied visibly: drop it.
      this.options.warn(
        `refused a ${JSON.stringify(notification.method)} notification: a tool call needs an id`,
      );
      return;
    }
    if (notification.method === "notifications/cancelled" && !this.onCancelled(notification.message)) return;
    this.sendToServer(notification.message, notification.ascii);
  }

  /** Marks a cancelled request; returns false when the server never saw it (it waits for approval). */
  private onCancelled(message: JsonObject): boolean {
    const params = message.params;
    if (!isJsonObject(params)) return true;
    const requestId = params.requestId;
    if (typeof requestId !== "string" && typeof requestId !== "number") return true;
    const entry = this.pending.get(requestId);
    if (!entry) return true;
    entry.cancelled = true;
    if (!entry.awaitingApproval) return true;
    this.onApprovalCancelled?.(requestId);
    return false;
  }

  /** True when the client declared form elicitation at initialize, so we can ask it ourselves. */
  get clientCanElicit(): boolean {
    const elicitation = this.clientCapabilities?.elicitation;
    if (!isJsonObject(elicitation)) return false;
    // Since 2025-11-25 `{ url: {} }` alone means URL mode only; an empty object means form mode.
    return Object.keys(elicitation).length === 0 || isJsonObject(elicitation.form);
  }

  /** Sends a request of our own to the client; the server never sees it or its answer. */
  requestClient(
    method: string,
    params: Record<string, unknown>,
  ): { response: Promise<unknown>; cancel(reason: string): void } {
    const id = `${this.ownIdPrefix}${++this.ownIdCounter}`;
    const response = new Promise<unknown>((resolve, reject) => {
      this.ownRequests.set(id, { resolve, reject });
    });
    this.sendToClient(toLine({ jsonrpc: "2.0", id, method, params }));
    return {
      response,
      cancel: (reason) => {
        if (!this.ownRequests.delete(id)) return;
        this.notifyClient("notifications/cancelled", { requestId: id, reason });
      },
    };
  }

  /** Sends a notification of our own to the client. */
  notifyClient(method: string, params: Record<string, unknown>): void {
    this.sendToClient(toLine({ jsonrpc: "2.0", method, params }));
  }

  /** Routes the client's answer to one of our own requests; false when the id is not ours. */
  private answerOwnRequest(id: AnswerId, message: JsonObject): boolean {
    // Our own ids are strings: any other id answers the server.
    if (typeof id !== "string") return false;
    const waiter = this.ownRequests.get(id);
    if (!waiter) return id.startsWith(this.ownIdPrefix);
    this.ownRequests.delete(id);
    if (isJsonObject(message.error)) {
      waiter.reject(
        new Error(
          `the client answered with error ${stringifyJson(message.error.message ?? message.error.code)}`,
        ),
      );
    } else {
      waiter.resolve(message.result);
    }
    return true;
  }

  private onToolCall(id: RequestId, message: JsonObject, plain: boolean, ascii: boolean): void {
    const params = message.params;
    const call = toolCallOf(params);
    // toolCallOf checked that params is an object; the second test only tells the compiler.
    if (typeof call === "string" || !isJsonObject(params)) {
      const problem = typeof call === "string" ? call : "params must be an object";
      this.sendToClient(errorLine(id, ErrorCode.InvalidParams, `Invalid params for tools/call: ${problem}`));
      return;
    }
    const progressToken = progressTokenOf(params);
    // Serialized once: hashed for the audit log and forwarded as this very text.
    const argumentsJson = serializeParsed(call.arguments, plain);
    const line = toolCallLine(id, params, argumentsJson, plain);
    const verdict = this.options.gate.decideCall(id, call, progressToken, argumentsJson);
    if (!(verdict instanceof Promise)) {
      this.applyVerdict(id, line, ascii, verdict);
      return;
    }
    const entry: PendingRequest = { id, method: "tools/call", awaitingApproval: true };
    this.pending.set(id, entry);
    verdict.then(
      (settled) => {
        if (this.pending.get(id) !== entry) return;
        this.pending.delete(id);
        // (A server that exited meanwhile cleared pending, and serverExited answered the call already.)
        if (entry.cancelled) {
          if (settled.forward) settled.finish("cancelled");
          return;
        }
        try {
          this.applyVerdict(id, line, ascii, settled);
        } catch (error) {
          this.options.warn(`internal error after approval: ${(error as Error).stack ?? error}`);
          this.pending.get(id)?.forwarded?.finish("protocol_error");
          this.pending.delete(id);
          this.sendToClient(
            errorLine(id, ErrorCode.InternalError, "Internal error: policylayer could not forward this call"),
          );
        }
      },
      (error: unknown) => {
        this.options.warn(`approval failed: ${String(error)}`);
        if (this.pending.get(id) === entry) this.pending.delete(id);
      },
    );
  }

  /** `ascii`: the line is all ASCII (see ClientMessage). */
  private applyVerdict(id: RequestId, line: string, ascii: boolean, verdict: Verdict): void {
    if (!verdict.forward) {
      this.sendToClient(denialResultLine(id, verdict.denial));
      return;
    }
    this.pending.set(id, { id, method: "tools/call", forwarded: verdict });
    if (!this.serverGone) this.toServer.write(line, ascii);
  }

  private onClientOversize(seenBytes: number, head: Buffer): void {
    this.options.warn(
      `refused a client message of over ${seenBytes} bytes (ceiling ${this.options.maxLineBytes})`,
    );
    const id = idFromHead(head);
    if (id !== null) {
      this.sendToClient(
        errorLine(
          id,
          ErrorCode.MessageTooLarge,
          `Message too large: over ${this.options.maxLineBytes} bytes; it was not forwarded`,
        ),
      );
    }
  }

  private onServerOversize(seenBytes: number, head: Buffer): void {
    this.options.warn(
      `dropped a server message of over ${seenBytes} bytes (ceiling ${this.options.maxLineBytes})`,
    );
    const id = idFromHead(head);
    const entry = id === null ? undefined : this.pending.get(id);
    if (id === null || entry === undefined) return;
    this.pending.delete(id);
    entry.forwarded?.finish("protocol_error");
    this.sendToClient(
      errorLine(
        id,
        ErrorCode.MessageTooLarge,
        `The server's answer was over policylayer's ceiling of ${this.options.maxLineBytes} bytes`,
      ),
    );
  }

  /** A line from the server: `content`, then its terminator in the same memory (framedBytes in all). */
  private onServerLine(content: Buffer, framedBytes: number): void {
    const ranges = this.responseRanges;
    if (
      this.pending.size === 0 ||
      !scanMembers(content, RESPONSE_MEMBERS, ranges, 0, content.length, false, this.resultScan) ||
      ranges[ID] === -1 ||
      ranges[METHOD] !== -1
    ) {
      this.passToClient(content, framedBytes);
      return;
    }
    let id: unknown;
    try {
      id = parseRange(content, [ranges[ID] as number, ranges[ID + 1] as number]);
    } catch {
      this.passToClient(content, framedBytes);
      return;
    }
    const entry = this.pending.get(id);
    if (entry === undefined || entry.awaitingApproval) {
      this.passToClient(content, framedBytes);
      return;
    }
    this.pending.delete(entry.id);
    const resultStart = ranges[RESULT] as number;
    if (entry.method === "tools/list" && resultStart !== -1) {
      const filtered = this.filteredToolsList(entry.id, content);
      if (filtered === null) this.passToClient(content, framedBytes);
      else this.sendToClient(filtered);
      return;
    }
    entry.forwarded?.finish(
      outcomeOf(content, resultStart !== -1, ranges[ERROR] !== -1, this.resultScan.ranges),
    );
    this.passToClient(content, framedBytes);
  }

  private filteredToolsList(id: RequestId, content: Buffer): string | null {
    let message: unknown;
    try {
      message = parseJson(content);
    } catch {
      return null;
    }
    if (!isJsonObject(message) || !isJsonObject(message.result)) return null;
    try {
      return toLine({ ...message, result: this.options.gate.filterToolsList(message.result) });
    } catch (error) {
      // Fail closed: a list we could not filter is not shown at all.
      this.options.warn(`internal error while filtering tools/list: ${(error as Error).stack ?? error}`);
      return errorLine(id, ErrorCode.InternalError, "policylayer could not filter tools/list");
    }
  }

  /** `ascii`: the message came from an ASCII line without escapes (see ClientMessage). */
  private sendToServer(message: JsonObject, ascii: boolean): void {
    if (!this.serverGone) this.toServer.write(toLine(message), ascii);
  }

  /** Writes to the client, pausing the server's output while the client is not reading. */
  sendToClient(line: string | Buffer): void {
    if (!this.clientGone) this.toClient.write(line);
  }

  /** Passes a server line on as the bytes it came in: `content` and the terminator after it. */
  private passToClient(content: Buffer, framedBytes: number): void {
    if (!this.clientGone) this.toClient.writeBytes(content, framedBytes);
  }
}

function isBlank(content: Buffer): boolean {
  for (const byte of content) if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0d) return false;
  return true;
}

/** A method that is not one we intercept but normalizes to one ("Tools/Call", " tools/call"). */
function isNearMiss(method: string): boolean {
  if (INTERCEPTED_METHODS.includes(method)) return false;
  const normalized = method.trim().toLowerCase().replace(/\s+/g, "");
  return INTERCEPTED_METHODS.includes(normalized);
}

/** The call in tools/call params, or what is wrong with them. */
function toolCallOf(params: unknown): ToolCall | string {
  if (!isJsonObject(params)) return "params must be an object with a tool name";
  if (typeof params.name !== "string" || params.name.length === 0)
    return "params.name must be a non-empty string";
  for (const key of Object.keys(params)) {
    if (!TOOLS_CALL_PARAMS.has(key)) return `unexpected member params.${key}`;
  }
  if (params._meta !== undefined && !isJsonObject(params._meta)) return "params._meta must be an object";
  if (params.arguments === undefined) return { name: params.name, arguments: {} };
  if (!isJsonObject(params.arguments)) return "params.arguments must be an object";
  return { name: params.name, arguments: params.arguments };
}

function progressTokenOf(params: unknown): string | number | null {
  if (!isJsonObject(params) || !isJsonObject(params._meta)) return null;
  const token = params._meta.progressToken;
  return typeof token === "string" || typeof token === "number" ? token : null;
}

function idFromHead(head: Buffer): RequestId | null {
  const range = peekMembers(head, ID_MEMBER, 0, head.length, true)?.get("id");
  if (!range) return null;
  try {
    const id = parseRange(head, range);
    return typeof id === "string" || (typeof id === "number" && Number.isSafeInteger(id)) ? id : null;
  } catch {
    return null;
  }
}

/** How a forwarded tools/call ended, from its response's members and the isError range inside its result. */
function outcomeOf(content: Buffer, hasResult: boolean, hasError: boolean, isError: Int32Array): CallOutcome {
  if (hasError || !hasResult) return "protocol_error";
  const start = isError[0] as number;
  if (start === -1) return "result";
  const isTrue = isError[1] === start + 4 && content.toString("latin1", start, start + 4) === "true";
  return isTrue ? "tool_error" : "result";
}
