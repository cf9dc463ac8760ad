import type { Classification } from "../classify/types.js";
import type { Decision, ToolCall } from "../policy/types.js";
import type { Era } from "../wire/era.js";
import type { ProgressToken, RequestId } from "../wire/jsonrpc.js";

/** A call waiting for a person, as the approval channels see it. */
export interface ApprovalRequest {
  requestId: RequestId;
  call: ToolCall;
  classification: Classification;
  decision: Decision;
  timeoutSeconds: number;
  progressToken: ProgressToken | null;
  /** The era of the request: a 2026-07-28 request is never asked with a server-to-client request. */
  era: Era;
}

/** A person's (or a timeout's) answer to an approval request. */
export interface ApprovalAnswer {
  approved: boolean;
  channel: string;
  decidedBy: string;
  reason: string;
}

/** A question put to a person: the answer to come, and how to take the question back (the client cancelled). */
export interface AskedApproval {
  answer: Promise<ApprovalAnswer>;
  /** Settles `answer` as a denial at once; a person's later answer has no effect. */
  withdraw(reason: string): void;
}

/** Asks a person; returns null when no approval channel can reach one. */
export type Approver = (request: ApprovalRequest) => AskedApproval | null;
