import type { RoundTrip } from "../wire/era.js";
import type { JsonObject, RequestId } from "../wire/jsonrpc.js";
import type { ChannelAnswer } from "./approver.js";
import { type ApprovalBinding, ApprovalStates, isOurState } from "./client-state.js";
import { approvalElicitation, interpretElicitation } from "./elicitation.js";
import type { ApprovalRequest } from "./request.js";

// Approval asked in a 2026-07-28 client: the call is answered with our own input_required result,
// the client asks the person (elicitation/create, the same question as in the 2025 era) and retries
// the call with the answer and our requestState. Nothing waits in wrap meanwhile but the held round.

/** Our key in inputRequests / inputResponses; the server's own keys never collide with it. */
export const APPROVAL_INPUT_KEY = "policylayer/approval";

/** What a call held for the person's answer keeps until the retry. */
export interface HeldCall {
  /** The id of the logical call's first round. */
  firstId: RequestId;
  /** The round-trip members the call came with (the server's own state and answers): forwarded on approval. */
  roundTrip: RoundTrip;
  /** When the person was asked (for the audit log's waited_ms). */
  askedMs: number;
}

/** A retry carrying our state: the answer and the held call, or why it is refused. */
export type InClientAnswer =
  | { ok: true; answer: ChannelAnswer; held: HeldCall }
  | { ok: false; reason: string };

/** Our states outstanding at once per session; the oldest past this is dropped (and then refused). */
const MAX_OUTSTANDING = 64;

/** Asks in the client and reads the answers, one session's worth. */
export class InClientApprovals {
  private readonly states: ApprovalStates<HeldCall>;

  constructor(
    private readonly serverLabel: string,
    now?: () => number,
  ) {
    this.states = new ApprovalStates(MAX_OUTSTANDING, now);
  }

  /** The input_required result that asks the person about `request`, valid for its timeout. */
  ask(request: ApprovalRequest, binding: ApprovalBinding, held: HeldCall): JsonObject {
    return {
      resultType: "input_required",
      inputRequests: {
        [APPROVAL_INPUT_KEY]: {
          method: "elicitation/create",
          params: { mode: "form", ...approvalElicitation(request, this.serverLabel) },
        },
      },
      requestState: this.states.mint(binding, request.timeoutSeconds * 1000, held),
    };
  }

  /** The answer a retry brings, when its requestState is ours; null when the state is not ours. */
  answer(roundTrip: RoundTrip, binding: ApprovalBinding): InClientAnswer | null {
    const { requestState, inputResponses } = roundTrip;
    if (requestState === undefined || !isOurState(requestState)) return null;
    const redeemed = this.states.redeem(requestState, binding);
    if (!redeemed.ok) return redeemed;
    return {
      ok: true,
      answer: interpretElicitation(inputResponses?.[APPROVAL_INPUT_KEY]),
      held: redeemed.held,
    };
  }
}
