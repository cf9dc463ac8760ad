import type { ToolCall } from "../policy/types.js";
import type { JsonObject, RequestId } from "../wire/jsonrpc.js";
import type { ResponseEnd } from "../wire/response-scan.js";
import type { Denial } from "./denial.js";

/** How a forwarded tools/call ended, as the proxy saw it: the server's response, or why there is none. */
export type ResponseSummary = ResponseEnd | "server_exited" | "cancelled";

/** What the proxy does with a tools/call: forward it (and say how it ended), or answer with a denial. */
export type Verdict =
  | { forward: true; finish(summary: ResponseSummary): void }
  | { forward: false; denial: Denial };

/** A verdict that waits for a person. */
export interface PendingVerdict {
  verdict: Promise<Verdict>;
  /** The client cancelled the call: the question is taken back, and `verdict` settles as a denial. */
  withdraw(reason: string): void;
}

/** What the proxy session asks of the policy side: one verdict per tools/call, and tools/list filtered. */
export interface CallGate {
  /**
   * Decides one tools/call; synchronous unless a person must approve it. `argumentsJson` is
   * JSON.stringify(call.arguments) (the proxy forwards that same text). `definitionUnavailable`
   * says why the server's tool list could not be read for this call: it is then denied.
   */
  decideCall(
    requestId: RequestId,
    call: ToolCall,
    progressToken: string | number | null,
    argumentsJson: string,
    definitionUnavailable?: string,
  ): Verdict | PendingVerdict;
  /** Whether the server's list has defined this tool (else its calls wait for the list first). */
  knowsTool(name: string): boolean;
  /** The server listed tools: they are learnt for classifying calls, and the result comes back without the hidden ones. */
  listedTools(result: JsonObject): JsonObject;
  /** Runs `work` (reading one chunk of server output); what the calls finished inside it record is written together. */
  finishing(work: () => void): void;
}
