import type { ToolCall } from "../policy/types.js";
import type { RequestEra, RoundTrip } from "../wire/era.js";
import type { JsonObject, ProgressToken, RequestId } from "../wire/jsonrpc.js";
import type { ResponseEnd } from "../wire/response-scan.js";
import type { Denial } from "./denial.js";

/**
 * How a let-through tools/call ended, as the proxy saw it: the server's response, or why there is
 * none (the server exited after it was sent; the client cancelled, or the server exited, before it was).
 */
export type ResponseSummary = ResponseEnd | "server_exited" | "cancelled" | "not_forwarded";

/** One tools/call as the gate decides it. */
export interface CallRequest {
  id: RequestId;
  call: ToolCall;
  progressToken: ProgressToken | null;
  /** JSON.stringify(call.arguments): the proxy forwards this same text. */
  argumentsJson: string;
  /** The era of this request, from its own _meta. */
  era: RequestEra;
  roundTrip: RoundTrip;
  /** Why the server's tool list could not be read for this call, if it could not: then it is denied. */
  definitionUnavailable?: string;
}

/** A call let through: it goes to the server, and the proxy says how it ended. */
export interface ForwardVerdict {
  forward: true;
  /** `requestState`: the state of a server's input_required answer (the call may continue). */
  finish(summary: ResponseSummary, requestState?: string): void;
  /**
   * The server may have acted on the call, whatever its end is reported as, so what the call
   * reserved of its limits counts: the client cancelled it after it was forwarded (the Python SDK
   * then answers with an error), or the server's answer could not be passed on (over the line
   * ceiling, unreadable) and the client gets an error in its place.
   */
  reachedServer(): void;
  /** Set when the call goes with other round-trip members than it came with (our own stripped). */
  roundTrip?: RoundTrip;
  /**
   * The arguments to forward in place of those sent, where reading them as the server will changed
   * them (`"5000"` sent for an integer goes on as `5000`).
   */
  argumentsJson?: string;
}

/**
 * What the proxy does with a tools/call: forward it, answer with a denial, answer with our own
 * input_required result (a 2026-07-28 approval asked in the client; `result` is that result), or
 * answer with the JSON-RPC error the server gave the call's envelope on our own request (see EnvelopeRefused).
 */
export type Verdict =
  | ForwardVerdict
  | { forward: false; denial: Denial }
  | { forward: false; inputRequired: JsonObject }
  | { forward: false; error: JsonObject };

/** A verdict that waits for a person. */
export interface PendingVerdict {
  verdict: Promise<Verdict>;
  /** The client cancelled the call: the question is taken back, and `verdict` settles as a denial. */
  withdraw(reason: string): void;
}

/** What the proxy session asks of the policy side: one verdict per tools/call, and tools/list filtered. */
export interface CallGate {
  /** Decides one tools/call; synchronous unless a person must approve it outside the client. */
  decideCall(request: CallRequest): Verdict | PendingVerdict;
  /** The server listed tools: they are learnt for classifying calls, and the result comes back without the hidden ones. */
  listedTools(result: JsonObject): JsonObject;
  /** The server's whole current list names these tools: any other it listed before is no longer listed. */
  wholeListNames(names: ReadonlySet<string>): void;
  /** Runs `work` (reading one chunk of server output); what the calls finished inside it record is written together. */
  finishing(work: () => void): void;
  /** The calls decided since the last time have been written to the server: what can wait until then is done now. */
  afterForwarding(): void;
}
