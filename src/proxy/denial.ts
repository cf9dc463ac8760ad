import { type Era, resultInEra } from "../wire/era.js";
import type { RequestId } from "../wire/jsonrpc.js";
import { resultLine } from "../wire/jsonrpc.js";

/** What the agent is told about a call that did not reach the server. */
export interface Denial {
  tool: string;
  reason: string;
  /** Set for rate limits: when the next call would pass. */
  retryAfterSeconds?: number;
  rule: { index: number; tool: string[] | null } | null;
}

/** Why a call is denied when deciding it failed (a bug of ours): fail closed. */
export const INTERNAL_ERROR_REASON =
  "policylayer hit an internal error while deciding this call, so it was denied (fail closed)";

/** The text a model reads: names the tool, gives the reason, and for a rate limit when to retry. */
export function denialText(denial: Denial): string {
  const retry =
    denial.retryAfterSeconds === undefined ? "" : ` Retry after ${denial.retryAfterSeconds} seconds.`;
  return `policylayer blocked the call to tool "${denial.tool}": ${denial.reason}${retry}`;
}

/**
 * A denial as a normal tools/call result with isError, so clients show it to the model
 * (a protocol error would be hidden from it), valid in the era of the request it answers.
 */
export function denialResultLine(id: RequestId, denial: Denial, era: Era): string {
  const decision: Record<string, unknown> = { action: "deny", reason: denial.reason, rule: denial.rule };
  if (denial.retryAfterSeconds !== undefined) decision.retryAfterSeconds = denial.retryAfterSeconds;
  return resultLine(
    id,
    resultInEra(era, {
      content: [{ type: "text", text: denialText(denial) }],
      isError: true,
      _meta: { "policylayer/decision": decision },
    }),
  );
}
