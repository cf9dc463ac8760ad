import type { Readable, Writable } from "node:stream";
import { visibleField } from "../display/visible.js";
import { META_SUBSCRIPTION_ID } from "../wire/era.js";
import {
  type ClientMessage,
  ErrorCode,
  errorLine,
  isJsonObject,
  type JsonObject,
  parseClientLine,
  toLine,
} from "../wire/jsonrpc.js";
import { LineSplitter } from "../wire/lines.js";
import { BatchedOutput, PausableInput } from "../wire/output.js";
import { ReadSpin } from "../wire/read-spin.js";
import { idOfHead, NOT_A_MESSAGE, NOT_A_RESPONSE, ResponseReader } from "../wire/response-scan.js";
import type { LineText } from "../wire/serialize.js";
import type { CallGate } from "./call-gate.js";
import { ClientEra } from "./client-era.js";
import { asksForToolChanges, isBlank, isNearMiss } from "./client-lines.js";
import { ClientRequests, MAX_PENDING_REQUESTS, type PendingRequest } from "./client-requests.js";
import { OwnRequests } from "./own-requests.js";
import { ServerAnswers } from "./server-answers.js";
import { cancelledRequestId, filteredToolsList, ownAnswer, subscriptionIdOf } from "./server-bodies.js";
import { ToolCalls } from "./tool-calls.js";
import { type OwnListRequest, ToolListFetcher } from "./tool-list-fetch.js";

/** How much of a server's id or a client's method a warning quotes. */
const SHOWN_CHARS = 200;

export { MAX_PENDING_REQUESTS } from "./client-requests.js";

export interface ProxyOptions {
  clientInput: Readable;
  clientOutput: Writable;
  serverInput: Writable;
  serverOutput: Readable;
  gate: CallGate;
  /** The ceiling on one message's size, in bytes, in both directions. */
  maxLineBytes: number;
  /** Whether the inputs are read ahead of the event loop's sleep between messages (ReadSpin); default true. */
  busyPoll?: boolean;
  /** How long a call may wait for the server's tool list (see ToolListFetcher); the default otherwise. */
  definitionTimeoutMs?: number;
  warn: (message: string) => void;
}

/** How much may wait unread in the client's output before its input is paused (see the constructor). */
export const UNREAD_ANSWERS_BYTES = 1024 * 1024;

/** The server's notice that its tool list changed, as a JSON string literal. */
const LIST_CHANGED = '"notifications/tools/list_changed"';
/** The server's notice that it gave up a request (a listen stream it tore down), as a JSON string literal. */
const CANCELLED = '"notifications/cancelled"';
/** The server's acknowledgment that opens a listen stream, as a JSON string literal. */
const ACKNOWLEDGED = '"notifications/subscriptions/acknowledged"';

export class ProxySession {
  private readonly pending = new ClientRequests();
  private readonly options: ProxyOptions;
  private serverGone = false;
  /** The server closed its output: nothing it is asked from now on can be answered. */
  private serverOutputEnded = false;
  /** The server's input is closed (the session ends): nothing more is written to it. */
  private serverInputClosed = false;
  private clientGone = false;
  private readonly toServer: BatchedOutput;
  private readonly toClient: BatchedOutput;
  private readonly responses = new ResponseReader();
  /** Long answers passed on as they come, and answers given in the place of lines not passed on. */
  private readonly serverAnswers: ServerAnswers;
  private readonly ownRequests = new OwnRequests("client");
  /** Our own requests to the server (tools/list); their answers never reach the client. */
  private readonly serverRequests = new OwnRequests("server");
  private readonly definitions: ToolListFetcher;
  private readonly toolCalls: ToolCalls;
  private readonly clientEra = new ClientEra();
  /** The client's lines, once started (its input may end in the middle of one). */
  private fromClient: LineSplitter | null = null;

  constructor(options: ProxyOptions) {
    this.options = options;
    const clientInput = new PausableInput(options.clientInput);
    this.toServer = new BatchedOutput(options.serverInput, [{ input: clientInput, fromBytes: 0 }]);
    this.toClient = new BatchedOutput(options.clientOutput, [
      // The answers passed on as they come are the server's: what waits behind one waits for it.
      { input: new PausableInput(options.serverOutput), fromBytes: 0, feedsOpenLines: true },
      // Our answers to the client's lines (denials, refusals) go to the client: one that sends without
      // reading is paused too, or they would pile up here; only once they are many, so that a
      // client that writes a long request before it reads what came meanwhile is not held up. Those
      // held back behind an answer passed on as it comes count too.
      { input: clientInput, fromBytes: UNREAD_ANSWERS_BYTES },
    ]);
    this.definitions = new ToolListFetcher({
      listTools: (params) => this.listToolsOurselves(params),
      learn: (result) => options.gate.listedTools(result),
      wholeListNames: (names) => options.gate.wholeListNames(names),
      ...(options.definitionTimeoutMs === undefined ? {} : { timeoutMs: options.definitionTimeoutMs }),
    });
    this.serverAnswers = new ServerAnswers({
      toClient: this.toClient,
      pending: this.pending,
      ownsRequest: (id) => this.serverRequests.owns(id),
      failOwnRequest: (id, message) => this.serverRequests.answer(id, { error: { message } }),
      clientGone: () => this.clientGone,
      sendToClient: (line) => this.sendToClient(line),
      warn: options.warn,
      maxLineBytes: options.maxLineBytes,
    });
    this.toolCalls = new ToolCalls({
      gate: options.gate,
      definitions: this.definitions,
      pending: this.pending,
      serverClosed: () => this.serverGone || this.serverInputClosed,
      toServer: this.toServer,
      sendToClient: (line) => this.sendToClient(line),
      warn: options.warn,
    });
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
    this.fromClient = fromClient;
    const fromServer = new LineSplitter(
      {
        line: (content, framedBytes) => this.onServerLine(content, framedBytes),
        oversize: (seenBytes, head) => this.onServerOversize(seenBytes, head),
        longLine: (pieces) => this.serverAnswers.offer(pieces),
      },
      maxLineBytes,
    );
    const { toServer, toClient } = this;
    // Whatever one chunk produces leaves in one write per direction, not one syscall per line.
    const gate = this.options.gate;
    // Between messages both inputs are read ahead of the event loop's sleep (see ReadSpin).
    new ReadSpin(
      [
        {
          stream: clientInput,
          onData: (chunk) => {
            toServer.hold(() => toClient.hold(() => fromClient.push(chunk)));
            // The calls are on their way: their bookkeeping overlaps the server's work on them.
            gate.afterForwarding();
          },
        },
        {
          stream: serverOutput,
          // Audit lines are written before the answers they describe leave (the flush at the end of hold).
          onData: (chunk) => toClient.hold(() => gate.finishing(() => fromServer.push(chunk))),
        },
      ],
      [this.options.serverInput, this.options.clientOutput],
      { enabled: this.options.busyPoll !== false },
    );
    // What is pending is answered when the process exits (wrap ends it now): its exit names itself.
    serverOutput.once("end", () => {
      this.serverOutputEnded = true;
    });
  }

  /** The server is gone: every request still pending gets an error, and later ones will too. */
  serverExited(description: string): void {
    this.serverGone = true;
    this.serverAnswers.serverExited();
    this.serverRequests.rejectAll(`the MCP server ${description}`);
    for (const entry of this.pending.drain()) {
      entry.listed?.(null);
      // A call still waiting for its definition or a person: decided (and audited) now, not after the log closes.
      entry.approval?.withdraw(`the MCP server ${description} before the call was decided`);
      entry.forwarded?.finish("server_exited");
      this.sendToClient(
        errorLine(
          entry.id,
          ErrorCode.ServerExited,
          `MCP server ${description} before answering ${entry.method}`,
        ),
      );
    }
  }

  /**
   * The client closed its input: resolves once no call of it is still being decided (a definition
   * fetched, the limit store asked: each bounded by its timeout; calls waiting for a person are
   * withdrawn by whoever asks), so that the server's input can be closed after the last of them.
   */
  clientInputEnded(): Promise<void> {
    const partial = this.fromClient?.endInput() ?? null;
    if (partial !== null && !isBlank(partial)) this.onClientPartialLine(partial);
    return this.toolCalls.allDecided();
  }

  /** The client's input ended inside a message (no newline after it): not forwarded, and answered so. */
  private onClientPartialLine(partial: Buffer): void {
    const message =
      "Parse error: the input ended in the middle of a message (no newline after it); it was not forwarded";
    this.options.warn(`refused a client message of ${partial.length} bytes: ${message}`);
    this.sendToClient(errorLine(idOfHead(partial), ErrorCode.ParseError, message));
  }

  /** The server's input is about to close: a call decided from now on is answered with an error, never sent. */
  closeServerInput(): void {
    this.serverInputClosed = true;
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
      // Where no id could be read, JSON-RPC 2.0 (section 5) answers with id null.
      this.sendToClient(errorLine(message.id, message.code, message.message));
      return;
    }
    try {
      if (message.kind === "request") this.onClientRequest(message);
      else if (message.kind === "notification") this.onClientNotification(message);
      else if (!this.ownRequests.answer(message.id, message.message))
        this.sendToServer(message.message, message.text);
    } catch (error) {
      // Fail closed and keep running: e.g. arguments nested too deeply to serialize. Nothing was
      // forwarded (serialization comes before the write), so the request gets an internal error.
      this.options.warn(`internal error on a client message: ${(error as Error).stack ?? error}`);
      if (message.kind === "response" && !this.ownRequests.owns(message.id)) {
        // The server's request would wait for ever for an answer that never went: an error goes in its place.
        const failure = {
          code: ErrorCode.InternalError,
          message: "policylayer could not forward the client's answer to this request",
        };
        this.sendToServer({ jsonrpc: "2.0", id: message.id, error: failure }, "escaped");
        return;
      }
      if (message.kind !== "request") return;
      const entry = this.pending.get(message.id);
      entry?.forwarded?.finish("protocol_error");
      // A tools/list that never went out: calls waiting for it must not wait for its answer.
      entry?.listed?.(null);
      this.pending.forget(message.id);
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
    if (this.pending.has(id) || this.serverRequests.owns(id)) {
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
    if (this.serverGone || this.serverOutputEnded) {
      const gone = this.serverGone ? "has exited" : "closed its output";
      this.sendToClient(
        errorLine(id, ErrorCode.ServerExited, `MCP server ${gone}; ${method} cannot be answered`),
      );
      return;
    }
    if (this.pending.full) {
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
    const params = message.params;
    // The era of every request, tools/call too (a 2026-07-28 client may send nothing else).
    this.clientEra.noteRequest(method, params);
    if (method === "tools/call") {
      this.toolCalls.call(id, message, request.text);
      return;
    }
    const entry: PendingRequest = { id, method };
    if (method === "subscriptions/listen" && asksForToolChanges(params)) entry.toolsListChanged = true;
    // A list the client asked for is awaited by calls that need a definition, rather than fetched twice.
    if (method === "tools/list")
      entry.listed = this.definitions.clientListSent(isJsonObject(params) ? params.cursor : undefined);
    this.pending.track(entry);
    this.sendToServer(message, request.text);
  }

  /**
   * The tools the client may see changed (a reload changed hiding): announced on every open
   * listen stream that asked for tools/list changes and that the server acknowledged (2026-07-28:
   * nothing goes on a stream before its acknowledgment), and unsolicited to a client that
   * opened with initialize or has not shown its era yet (in 2026-07-28 nothing comes unsolicited).
   */
  toolsListChanged(): void {
    for (const listener of this.pending.toolListeners()) {
      this.notifyClient("notifications/tools/list_changed", {
        _meta: { [META_SUBSCRIPTION_ID]: listener.id },
      });
    }
    if (this.clientEra.takesUnsolicited) this.notifyClient("notifications/tools/list_changed", {});
  }

  /** Sends tools/list to the server as a request of our own: its answer is read here, never passed on. */
  private listToolsOurselves(params: JsonObject): OwnListRequest {
    if (this.serverGone || this.serverInputClosed) {
      const reason = this.serverGone ? "the MCP server has exited" : "the MCP server's input is closed";
      return { result: Promise.reject(new Error(reason)), cancel: () => {} };
    }
    const { id, response } = this.serverRequests.open();
    this.toServer.write(toLine({ jsonrpc: "2.0", id, method: "tools/list", params }), false);
    return {
      result: response.then((result) => {
        if (!isJsonObject(result)) throw new Error("the server's tools/list result is not an object");
        return result;
      }),
      cancel: (reason) => {
        if (!this.serverRequests.drop(id)) return;
        // In 2026-07-28 a cancellation carries the envelope of the request it cancels.
        const cancelled: JsonObject = { requestId: id, reason };
        if (params._meta !== undefined) cancelled._meta = params._meta;
        this.sendToServer(
          { jsonrpc: "2.0", method: "notifications/cancelled", params: cancelled },
          "escaped",
        );
      },
    };
  }

  private onClientNotification(notification: Extract<ClientMessage, { kind: "notification" }>): void {
    if (notification.method === "tools/call" || isNearMiss(notification.method)) {
      // A call without an id cannot be answered, so it cannot be denied visibly: drop it.
      this.options.warn(
        `refused a ${visibleField(JSON.stringify(notification.method), SHOWN_CHARS)} notification: a tool call needs an id`,
      );
      return;
    }
    if (notification.method === "notifications/cancelled" && !this.onCancelled(notification.message)) return;
    this.sendToServer(notification.message, notification.text);
  }

  /** Marks a cancelled request; returns false when the server never saw it (it waits for approval). */
  private onCancelled(message: JsonObject): boolean {
    const params = message.params;
    if (!isJsonObject(params)) return true;
    const requestId = params.requestId;
    if (typeof requestId !== "string" && typeof requestId !== "number") return true;
    return this.pending.cancel(requestId);
  }

  /** True when the client declared form elicitation at initialize, so we can ask it ourselves. */
  get clientCanElicit(): boolean {
    return this.clientEra.canElicit;
  }

  /** Sends a request of our own to the client; the server never sees it or its answer. */
  requestClient(
    method: string,
    params: Record<string, unknown>,
  ): { response: Promise<unknown>; cancel(reason: string): void } {
    const { id, response } = this.ownRequests.open();
    this.sendToClient(toLine({ jsonrpc: "2.0", id, method, params }));
    return {
      response,
      cancel: (reason) => {
        if (!this.ownRequests.drop(id)) return;
        this.notifyClient("notifications/cancelled", { requestId: id, reason });
      },
    };
  }

  /** Sends a notification of our own to the client. */
  notifyClient(method: string, params: Record<string, unknown>): void {
    this.sendToClient(toLine({ jsonrpc: "2.0", method, params }));
  }

  private onClientOversize(seenBytes: number, head: Buffer): void {
    this.options.warn(
      `refused a client message of over ${seenBytes} bytes (ceiling ${this.options.maxLineBytes})`,
    );
    // The id at the head of the line, else null (JSON-RPC 2.0, section 5).
    this.sendToClient(
      errorLine(
        idOfHead(head),
        ErrorCode.MessageTooLarge,
        `Message too large: over ${this.options.maxLineBytes} bytes; it was not forwarded`,
      ),
    );
  }

  private onServerOversize(seenBytes: number, head: Buffer): void {
    this.options.warn(
      `dropped a server message of over ${seenBytes} bytes (ceiling ${this.options.maxLineBytes})`,
    );
    this.serverAnswers.answerInstead(
      head,
      ErrorCode.MessageTooLarge,
      `The server's answer was over policylayer's ceiling of ${this.options.maxLineBytes} bytes`,
      `its answer was over policylayer's ceiling of ${this.options.maxLineBytes} bytes (--max-line-bytes)`,
    );
  }

  /** A line from the server: `content`, then its terminator in the same memory (framedBytes in all). */
  private onServerLine(content: Buffer, framedBytes: number): void {
    const id = this.responses.read(content);
    if (id === NOT_A_MESSAGE) {
      // Fail closed: a lenient parser could read something in it that we did not (an unfiltered
      // tools/list answer, a second answer). Its bytes are not shown: they are the server's.
      if (isBlank(content)) return;
      this.options.warn(
        `dropped a server line of ${content.length} bytes that is not a JSON-RPC message policylayer can read`,
      );
      this.serverAnswers.answerInstead(
        content,
        ErrorCode.InternalError,
        "The server's answer was not one JSON-RPC message policylayer could read; it was dropped",
        "its answer was not one JSON-RPC message policylayer could read",
      );
      return;
    }
    if (id === NOT_A_RESPONSE) {
      // What the client holds may be out of date: the next tool we do not know is looked up again.
      if (this.responses.isMethod(content, LIST_CHANGED)) this.definitions.listChanged();
      else if (this.responses.isMethod(content, CANCELLED)) this.serverCancelled(content);
      else if (this.responses.isMethod(content, ACKNOWLEDGED)) this.listenAcknowledged(content);
      this.passToClient(content, framedBytes);
      return;
    }
    if (this.serverRequests.owns(id)) {
      // A response to a request of ours: read here, never passed to the client (a late one is dropped).
      this.serverRequests.answer(id, ownAnswer(content));
      return;
    }
    const entry = this.pending.get(id);
    if (entry === undefined && typeof id !== "string" && typeof id !== "number") {
      // An id no request can carry (null: the server could not read a line): nothing to match, passed on.
      this.passToClient(content, framedBytes);
      return;
    }
    if (entry === undefined || entry.approval !== undefined) {
      // An answer to nothing the server was asked (a second answer to a tools/list would show
      // hidden tools; one for a call still waiting for a person was never sent to the server).
      this.options.warn(
        `dropped an answer from the server to id ${visibleField(JSON.stringify(id), SHOWN_CHARS)}: no request with that id is waiting for the server`,
      );
      return;
    }
    this.pending.remove(entry);
    if (entry.method === "tools/list") {
      // An error answer has no tools to hide: it passes as it came.
      const filtered = this.responses.hasResult
        ? filteredToolsList(entry.id, content, this.options.gate, this.options.warn, entry.listed)
        : null;
      entry.listed?.(null);
      if (filtered === null) this.passToClient(content, framedBytes);
      else this.sendToClient(filtered);
      return;
    }
    if (entry.forwarded) {
      const end = this.responses.end(content);
      entry.forwarded.finish(
        end,
        end === "input_required" ? this.responses.requestState(content) : undefined,
      );
    }
    this.passToClient(content, framedBytes);
  }

  /**
   * The server gave up a request: when it names an open listen stream (spec 2026-07-28,
   * subscriptions: the server's signal that it tore the stream down), the stream is closed here too,
   * so nothing more is announced on it and its id is free again.
   */
  private serverCancelled(content: Buffer): void {
    const entry = this.pending.get(cancelledRequestId(content));
    if (entry?.method === "subscriptions/listen") this.pending.remove(entry);
  }

  /** The server acknowledged a listen stream: from now on our own announcements may go on it. */
  private listenAcknowledged(content: Buffer): void {
    const entry = this.pending.get(subscriptionIdOf(content));
    if (entry?.method === "subscriptions/listen") entry.acknowledged = true;
  }

  /** `text`: what is known of the text of the line the message came from (see LineText). */
  private sendToServer(message: JsonObject, text: LineText): void {
    if (!this.serverGone && !this.serverInputClosed) this.toServer.write(toLine(message), text === "ascii");
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
