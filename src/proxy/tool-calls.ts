import { type Era, requestEraOf } from "../wire/era.js";
import {
  ErrorCode,
  errorLine,
  type JsonObject,
  type RequestId,
  resultLine,
  toLine,
  toolCallLine,
} from "../wire/jsonrpc.js";
import type { BatchedOutput } from "../wire/output.js";
import { type LineText, serializeParsed } from "../wire/serialize.js";
import type { CallGate, CallRequest, PendingVerdict, Verdict } from "./call-gate.js";
import type { ClientRequests, PendingRequest } from "./client-requests.js";
import { denialResultLine, INTERNAL_ERROR_REASON } from "./denial.js";
import { readToolCallParams } from "./tool-call-params.js";
import { EnvelopeRefused, envelopeText, type ToolListFetcher } from "./tool-list-fetch.js";

/** What the session lends the tool-call path: the gate, its bookkeeping, and its two outputs. */
export interface ToolCallHost {
  gate: CallGate;
  definitions: ToolListFetcher;
  pending: ClientRequests;
  /** Whether the server has exited or its input is closed (then nothing more is written to it). */
  serverClosed(): boolean;
  toServer: BatchedOutput;
  sendToClient(line: string): void;
  warn(message: string): void;
}

/**
 * The path of a tools/call through the session: its params read, the call decided (at once, once
 * the tool's definition is known, or once a person answered), then answered with a denial or
 * written to the server as decided.
 */
export class ToolCalls {
  /** Calls still being decided (their definition fetched, the limit store or a person asked). */
  private undecided = 0;
  private readonly whenAllDecided: Array<() => void> = [];

  constructor(private readonly host: ToolCallHost) {}

  /** Resolves once no call is still being decided: each held one was answered or written to the server. */
  allDecided(): Promise<void> {
    if (this.undecided === 0) return Promise.resolve();
    return new Promise((resolve) => this.whenAllDecided.push(resolve));
  }

  /** A tools/call request (its id not in use): decided, then answered or forwarded. */
  call(id: RequestId, message: JsonObject, text: LineText): void {
    const read = readToolCallParams(message.params);
    if (typeof read === "string") {
      this.host.sendToClient(
        errorLine(id, ErrorCode.InvalidParams, `Invalid params for tools/call: ${read}`),
      );
      return;
    }
    const { call, params, progressToken, roundTrip } = read;
    // Serialized once: hashed for the audit log and forwarded as this very text.
    const argumentsJson = serializeParsed(call.arguments, text);
    const era = requestEraOf(params);
    const request: CallRequest = { id, call, progressToken, argumentsJson, era, roundTrip };
    const gate = this.host.gate;
    // A tool whose current definition we have, or one the whole current list does not have, is
    // decided now; else (unknown, or its list changed since) the list is read first.
    const verdict = this.host.definitions.current(call.name)
      ? gate.decideCall(request)
      : this.decideOnceDefined(request);
    const forwarded: ForwardedLine = { id, era: era.era, params, argumentsJson, text };
    if ("forward" in verdict) this.applyVerdict(forwarded, verdict);
    else this.awaitVerdict(forwarded, verdict);
  }

  /**
   * A call of a tool whose definition we do not have: it waits (other traffic does not) until the
   * server's list has been read, then is decided; denied if the list cannot be had.
   */
  private decideOnceDefined(request: CallRequest): PendingVerdict {
    const { call } = request;
    let withdrawn: string | null = null;
    let approval: PendingVerdict | null = null;
    let defined = false;
    let refused: EnvelopeRefused | null = null;
    const verdict = this.host.definitions
      .definitionOf(call.name, request.era)
      .then(
        () => undefined,
        (error: unknown) => {
          if (error instanceof EnvelopeRefused && error.envelope === envelopeText(request.era))
            refused = error;
          return error instanceof Error ? error.message : String(error);
        },
      )
      .then((unavailable): Verdict | Promise<Verdict> => {
        defined = true;
        if (withdrawn !== null)
          return { forward: false, denial: { tool: call.name, reason: withdrawn, rule: null } };
        const decided = this.host.gate.decideCall(
          unavailable === undefined ? request : { ...request, definitionUnavailable: unavailable },
        );
        // Denied (and audited) for want of a definition; the client hears the server's own refusal of its envelope.
        if (refused !== null && "denial" in decided) return { forward: false, error: refused.error };
        if ("forward" in decided) return decided;
        approval = decided;
        return decided.verdict;
      });
    return {
      verdict,
      withdraw: (reason) => {
        if (withdrawn !== null) return;
        withdrawn = reason;
        if (approval !== null) approval.withdraw(reason);
        else if (!defined) {
          // Still waiting for the definition (the client cancelled, the server exited): decided now,
          // as a call whose definition could not be had, so that its audit line is written while
          // the session's log is open.
          const decided = this.host.gate.decideCall({ ...request, definitionUnavailable: reason });
          if ("forward" in decided) {
            if (decided.forward) decided.finish("not_forwarded");
          } else decided.withdraw(reason);
        }
      },
    };
  }

  /** Holds a call while its definition is fetched or a person decides; the server sees it only once allowed. */
  private awaitVerdict(forwarded: ForwardedLine, approval: PendingVerdict): void {
    const { id } = forwarded;
    const entry: PendingRequest = { id, method: "tools/call", approval };
    this.host.pending.track(entry);
    this.undecided += 1;
    approval.verdict
      .then(
        (settled) => {
          // A server that exited meanwhile cleared pending, and serverExited answered the call already.
          if (this.host.pending.get(id) !== entry) {
            if (settled.forward) settled.finish("not_forwarded");
            return;
          }
          this.host.pending.remove(entry);
          if (entry.cancelled) {
            if (settled.forward) settled.finish("cancelled");
            return;
          }
          try {
            this.applyVerdict(forwarded, settled);
          } catch (error) {
            this.host.warn(`internal error after approval: ${(error as Error).stack ?? error}`);
            this.host.pending.get(id)?.forwarded?.finish("protocol_error");
            this.host.pending.forget(id);
            this.host.sendToClient(
              errorLine(
                id,
                ErrorCode.InternalError,
                "Internal error: policylayer could not forward this call",
              ),
            );
          }
        },
        (error: unknown) => {
          this.host.warn(`internal error while deciding a call: ${(error as Error)?.stack ?? error}`);
          // Still ours to answer (not cleared by a server exit, not cancelled): denied, never left waiting.
          if (this.host.pending.get(id) !== entry) return;
          this.host.pending.remove(entry);
          if (entry.cancelled) return;
          const tool = typeof forwarded.params.name === "string" ? forwarded.params.name : "";
          const denial = { tool, reason: INTERNAL_ERROR_REASON, rule: null };
          this.applyVerdict(forwarded, { forward: false, denial });
        },
      )
      .finally(() => this.decidedOne());
  }

  private decidedOne(): void {
    this.undecided -= 1;
    if (this.undecided === 0) for (const resolve of this.whenAllDecided.splice(0)) resolve();
  }

  /** Answers the call (denial, our input_required) or sends it to the server as decided. */
  private applyVerdict(forwarded: ForwardedLine, verdict: Verdict): void {
    const { id, params, argumentsJson } = forwarded;
    if (!verdict.forward) {
      if ("denial" in verdict) this.host.sendToClient(denialResultLine(id, verdict.denial, forwarded.era));
      else if ("error" in verdict)
        this.host.sendToClient(toLine({ jsonrpc: "2.0", id, error: verdict.error }));
      else this.host.sendToClient(resultLine(id, verdict.inputRequired));
      return;
    }
    if (this.host.serverClosed()) {
      // Decided after the server's input was closed (the client went away meanwhile): never sent.
      verdict.finish("not_forwarded");
      this.host.sendToClient(
        errorLine(
          id,
          ErrorCode.ServerExited,
          "MCP server's input is closed (the session is ending); tools/call was not forwarded",
        ),
      );
      return;
    }
    this.host.pending.track({ id, method: "tools/call", forwarded: verdict });
    // Where reading the arguments as the server will changed them, the reading goes (not known to be ASCII).
    const read = verdict.argumentsJson;
    const decidedJson = read ?? argumentsJson;
    if (verdict.roundTrip === undefined) {
      const text = read === undefined ? forwarded.text : "escaped";
      this.host.toServer.write(toolCallLine(id, params, decidedJson, text), text === "ascii");
      return;
    }
    // After our own approval round: the call goes with the members it came with before we asked
    // (values from an earlier line, so serialized with escapes, and not known to be ASCII).
    const { inputResponses: _ours, requestState: _state, ...rest } = params;
    this.host.toServer.write(
      toolCallLine(id, { ...rest, ...verdict.roundTrip }, decidedJson, "escaped"),
      false,
    );
  }
}

/** A tools/call as it came, for sending on once decided. */
interface ForwardedLine {
  id: RequestId;
  era: Era;
  params: JsonObject;
  /** The arguments serialized once (hashed for the audit log, forwarded as this text). */
  argumentsJson: string;
  /** What is known of the text of its line (see LineText). */
  text: LineText;
}
