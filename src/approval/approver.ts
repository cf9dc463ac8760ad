import { visibleToolName } from "../display/visible.js";
import type { ProgressToken } from "../wire/jsonrpc.js";
import type { ApprovalAnswer, ApprovalRequest, Approver, AskedApproval } from "./request.js";
import { APPROVAL_REQUEST_BURST, APPROVAL_REQUESTS_PER_MINUTE, RequestBucket } from "./request-bucket.js";

/** What one channel says: yes or no, who decided, and why. */
export interface ChannelAnswer {
  approved: boolean;
  decidedBy: string;
  reason: string;
}

/** One way of asking a person (the client's elicitation, the local inbox). */
export interface ApprovalChannel {
  readonly name: string;
  /**
   * Asks; `withdraw` takes the question back (timeout, cancellation, session end) and returns the
   * answer a person had already given, if the withdrawal found one it came too late to prevent.
   */
  ask(request: ApprovalRequest): {
    answer: Promise<ChannelAnswer>;
    withdraw(reason: string): ChannelAnswer | null;
  };
}

export interface ApproverOptions {
  /** Channels in order of preference for this request (its era; capabilities learnt at initialize). */
  channels: (request: ApprovalRequest) => ApprovalChannel[];
  /** Pending approvals allowed at once in this session; past it, new ones are denied. */
  maxPending: number;
  /** Sends notifications/progress to the client for a request that carried a progressToken (negative: see ticks). */
  sendProgress: (token: ProgressToken, progress: number, message: string) => void;
  /** How often progress is sent while a call waits. */
  progressIntervalMs: number;
  /** Tells the person that something waits (stderr, desktop notification). */
  announce: (request: ApprovalRequest, channel: string) => void;
  /** Approval requests this session may make at once, and per minute after (default: 16 and 10). */
  requestRate?: { burst: number; perMinute: number };
  /** The clock of the request rate (default: Date.now). */
  now?: () => number;
}

/** An approver plus the handle that withdraws every question when the session ends. */
export interface ApprovalCoordinator {
  approver: Approver;
  /** The session ends (the client or the server went away): every pending approval is withdrawn, later ones are denied at once. */
  withdrawAll(reason: string): void;
}

interface Waiting {
  settle(answer: ApprovalAnswer): void;
  withdraw(reason: string): ChannelAnswer | null;
}

/**
 * Routes require_approval calls to the first channel that can ask, bounds how many wait,
 * times them out, keeps the client's timeout alive with progress, and withdraws on cancellation.
 */
export function createApprovalCoordinator(options: ApproverOptions): ApprovalCoordinator {
  const waiting = new Map<string, Waiting>();
  const keyOf = (id: string | number) => `${typeof id}:${id}`;

  /** Why nobody can be asked any more (the session ends), once withdrawAll was called. */
  let endedBecause: string | null = null;
  const rate = options.requestRate ?? {
    burst: APPROVAL_REQUEST_BURST,
    perMinute: APPROVAL_REQUESTS_PER_MINUTE,
  };
  const bucket = new RequestBucket(rate.burst, rate.perMinute, options.now ?? Date.now);

  const refused = (channel: string, reason: string): AskedApproval => ({
    answer: Promise.resolve({ approved: false, channel, decidedBy: "policylayer", reason }),
    withdraw: () => {},
  });

  const approver: Approver = (request) => {
    // No channel is opened once the session ends (the inbox is closed then).
    if (endedBecause !== null) return refused("none", endedBecause);
    const channel = options.channels(request)[0];
    if (!channel) return null;
    if (waiting.size >= options.maxPending) {
      return refused(
        channel.name,
        `too many calls are already waiting for approval in this session (at most ${options.maxPending}); try again once they are decided`,
      );
    }
    // Counted whether or not the question is later cancelled: asking and cancelling at once still asks.
    const allowance = bucket.take();
    if (!allowance.taken) {
      return refused(
        channel.name,
        `too many approval requests in this session (at most ${rate.burst} at once and ${rate.perMinute} a minute), so the call was denied without asking anyone; try again in ${allowance.retryAfterSeconds} s`,
      );
    }
    const key = keyOf(request.requestId);
    // Set by the promise's executor, which runs at once.
    let asking: Waiting | null = null;
    const answer = new Promise<ApprovalAnswer>((resolve) => {
      const asked = channel.ask(request);
      // Our ticks count up to -1 from minus the most the timeout lets happen (a tick runs no sooner
      // than its interval, and the timeout stops them): the server's own progress on the same token
      // (never changed, and >= 0) is then greater, so progress only increases (spec: it MUST).
      let progress = -Math.floor((request.timeoutSeconds * 1000) / options.progressIntervalMs) - 1;
      const startedMs = Date.now();
      const token = request.progressToken;
      const ticker =
        token === null
          ? null
          : setInterval(() => {
              progress += 1;
              const waitedSeconds = Math.round((Date.now() - startedMs) / 1000);
              options.sendProgress(
                token,
                progress,
                `waiting for a person to approve ${visibleToolName(request.call.name, 200)} (${waitedSeconds} s of ${request.timeoutSeconds} s)`,
              );
            }, options.progressIntervalMs);
      const timer = setTimeout(() => {
        // An answer given in time but not read yet (the wrap was busy, the folder polled) stands:
        // the person was told it was recorded.
        const given = entry.withdraw(`no answer within ${request.timeoutSeconds} s`);
        entry.settle(
          given !== null
            ? { ...given, channel: channel.name }
            : {
                approved: false,
                channel: channel.name,
                decidedBy: "timeout",
                reason: `nobody approved the call within ${request.timeoutSeconds} seconds (approval timeout), so it was denied`,
              },
        );
      }, request.timeoutSeconds * 1000);
      let settled = false;
      const entry: Waiting = {
        settle(answer) {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          if (ticker) clearInterval(ticker);
          waiting.delete(key);
          resolve(answer);
        },
        withdraw(reason) {
          return asked.withdraw(reason);
        },
      };
      waiting.set(key, entry);
      asking = entry;
      options.announce(request, channel.name);
      asked.answer.then(
        (answer) => entry.settle({ ...answer, channel: channel.name }),
        (error: unknown) =>
          entry.settle({
            approved: false,
            channel: channel.name,
            decidedBy: "policylayer",
            reason: `the ${channel.name} channel failed (${error instanceof Error ? error.message : String(error)}), so the call was denied`,
          }),
      );
    });
    return {
      answer,
      withdraw(reason) {
        if (asking !== null && waiting.get(key) === asking) withdrawEntry(key, asking, reason);
      },
    };
  };

  const withdrawEntry = (key: string, entry: Waiting, reason: string) => {
    entry.withdraw(reason);
    entry.settle({ approved: false, channel: "none", decidedBy: "client", reason });
    waiting.delete(key);
  };

  return {
    approver,
    withdrawAll(reason) {
      endedBecause = reason;
      for (const [key, entry] of [...waiting]) withdrawEntry(key, entry, reason);
    },
  };
}
