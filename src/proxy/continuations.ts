import type { RequestId } from "../wire/jsonrpc.js";

// A 2026-07-28 server that needs input mid-call answers input_required with a requestState; the
// client retries the same call under a new id with that state. The retry is the same logical call:
// counted once for rate limits, one approval, audit records linked to the first round. Only the
// first retry of that very tool and those very arguments continues it; any other use of the state
// is decided as a new call (the server's own codec is not single-use).

/** What a continued call keeps from the round that received the server's state. */
export interface Continuation {
  /** The id of the logical call's first round (audit records point to it). */
  firstId: RequestId;
  tool: string;
  argsSha256: string;
  /** Who approved the logical call, when a person did: the continuation is not asked again. */
  approvedBy: string | null;
}

/** How long a server's state is remembered; a retry after that is decided as a new call. */
const CONTINUATION_TTL_MS = 15 * 60 * 1000;

/** The server-issued states of calls that may continue, per session, bounded. */
export class ServerContinuations {
  /** By the state's exact text, oldest first. */
  private readonly byState = new Map<string, { continuation: Continuation; expiresMs: number }>();

  constructor(
    private readonly maxRemembered: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The server answered a round of `continuation` with input_required and `requestState`. */
  remember(requestState: string, continuation: Continuation): void {
    const nowMs = this.now();
    this.byState.delete(requestState);
    for (const [state, entry] of this.byState) {
      if (entry.expiresMs <= nowMs || this.byState.size >= this.maxRemembered) this.byState.delete(state);
      else break;
    }
    this.byState.set(requestState, { continuation, expiresMs: nowMs + CONTINUATION_TTL_MS });
  }

  /** The call a retry with `requestState` continues, once; null when it is a new call. */
  take(requestState: string, tool: string, argsSha256: string): Continuation | null {
    const entry = this.byState.get(requestState);
    if (entry === undefined) return null;
    if (entry.expiresMs <= this.now()) {
      this.byState.delete(requestState);
      return null;
    }
    // Another call carrying this state is a new call; it does not spend the genuine retry's turn.
    const { continuation } = entry;
    if (continuation.tool !== tool || continuation.argsSha256 !== argsSha256) return null;
    this.byState.delete(requestState);
    return continuation;
  }
}
