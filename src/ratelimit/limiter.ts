import type {
  CompiledLimit,
  CompiledPolicy,
  CompiledRule,
  StateSettings,
  ToolCall,
} from "../policy/types.js";
import { amountText, bucketTimeMs } from "./arithmetic.js";
import { sessionCounterKey, sharedCounterKey } from "./keys.js";
import { SlidingWindowLimiter } from "./sliding-window.js";
import type { CountedEntry, CounterRequest, SharedLimitStore, StoreAnswer } from "./store.js";

/**
 * What one let-through call holds of its limits until it ends: settle() when the server acted on it
 * (a result, isError included), release() when it never reached the server or the server refused it
 * with a JSON-RPC error. Either is final; later calls of either do nothing.
 */
export interface Reservation {
  settle(): void;
  release(): void;
}

/** A call's fate under its rule's limits. */
export type LimitVerdict =
  | {
      pass: true;
      reservation: Reservation;
      /** Why the call passed without being counted (store unreachable, on_unavailable: allow), else null. */
      uncounted: string | null;
    }
  | { pass: false; reason: string; retryAfterSeconds?: number };

/** The shared store a limiter counts server and global scopes in, as the wrap opened it. */
export interface SharedStoreHandle {
  /** The store, or null when it could not be opened (every shared count then meets `unavailable`). */
  store: SharedLimitStore | null;
  /** Why the store is null (shown in denials and audit lines). */
  unavailableBecause: string;
}

export interface LimiterOptions {
  /** This server's name in server-scope keys: the policy's `server:`, else the command line. */
  serverLabel: string;
  /** Opens the shared store on first use; called again after a reload changes the `state:` block. */
  sharedStore: (policy: CompiledPolicy) => SharedStoreHandle;
  now?: () => number;
}

const NOTHING_RESERVED: Reservation = { settle() {}, release() {} };
/** How often a shared store that could not be opened is tried again, on the next limited call. */
export const STORE_RETRY_MS = 5_000;

/** A reservation of session-scope entries (this process) and shared ones (the store). */
class HeldReservation implements Reservation {
  private open = true;

  constructor(
    private readonly session: SlidingWindowLimiter,
    private readonly sessionEntries: CountedEntry[],
    private readonly store: SharedLimitStore | null,
    private readonly sharedEntries: CountedEntry[],
  ) {}

  settle(): void {
    this.open = false;
  }

  release(): void {
    if (!this.open) return;
    this.open = false;
    for (const entry of this.sessionEntries) this.session.giveBack(entry.key, entry.timeMs, entry.amount);
    if (this.store !== null && this.sharedEntries.length > 0) this.store.release(this.sharedEntries);
  }
}

/** Seconds for a Retry-After-like hint: at least 1, rounded up. */
function wholeSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/** The sentence an agent reads when a limit refuses its call. */
function overLimitReason(
  rule: CompiledRule,
  limit: CompiledLimit,
  used: number,
  retryAfterMs: number,
): string {
  const scope = limit.scope === "session" ? "" : ` (${limit.scope} scope)`;
  const why = rule.reason ? ` (${rule.reason})` : "";
  if (limit.kind === "rate_limit") {
    return `rate limit of rule ${rule.index + 1}${scope}: at most ${limit.max} calls in ${limit.windowSeconds} s${why}`;
  }
  const left = Math.max(0, limit.max - used);
  const when = Number.isFinite(retryAfterMs)
    ? `; enough frees up in ${wholeSeconds(retryAfterMs)} s`
    : "; this amount alone is over the budget";
  return `budget of rule ${rule.index + 1}${scope}: ${limit.sum} may add up to at most ${amountText(limit.max)} in ${limit.windowSeconds} s; ${amountText(left, limit.max)} is left${when}${why}`;
}

/**
 * Counts a rule's limits for the calls it lets through: session scope in this process (what it
 * always cost), server and global scope in the shared store. A call reserves all of its rule's
 * limits or none.
 */
export class Limiter {
  private readonly session = new SlidingWindowLimiter();
  private readonly now: () => number;
  private handle: SharedStoreHandle | null = null;
  private handlePolicy: CompiledPolicy | null = null;
  /** When the store was last opened (ms): one that could not be is tried again every STORE_RETRY_MS. */
  private handleOpenedMs = 0;

  constructor(private readonly options: LimiterOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Keeps the session counts of limits the new policy still has (by rule identity and kind). */
  retainOnly(policy: CompiledPolicy): void {
    this.session.retainOnly(policy.rules.flatMap((rule) => rule.limits.map(sessionCounterKey)));
  }

  /**
   * Reserves the call's amounts under every limit of `rule`, or says why it cannot pass. With
   * `count` false, only checks (a call about to wait for approval reserves nothing). Synchronous
   * unless the shared store answers over the network.
   */
  reserve(
    policy: CompiledPolicy,
    rule: CompiledRule,
    call: ToolCall,
    count: boolean,
  ): LimitVerdict | Promise<LimitVerdict> {
    const nowMs = this.now();
    const amounts: number[] = [];
    for (const limit of rule.limits) {
      const amount = limit.amountOf(call);
      if (typeof amount === "string")
        return { pass: false, reason: `budget of rule ${rule.index + 1}: ${amount}` };
      amounts.push(amount);
    }
    // Session scope first: it costs nothing to undo if the shared part refuses.
    const sessionEntries: CountedEntry[] = [];
    const shared: CounterRequest[] = [];
    const sharedLimits: CompiledLimit[] = [];
    for (const [i, limit] of rule.limits.entries()) {
      const amount = amounts[i] as number;
      const windowMs = windowMsOf(limit.windowSeconds);
      if (limit.scope !== "session") {
        shared.push({
          key: sharedCounterKey(policy.state.keyPrefix, limit, policy.serverName ?? this.options.serverLabel),
          max: limit.max,
          windowMs,
          amount,
        });
        sharedLimits.push(limit);
        continue;
      }
      const key = sessionCounterKey(limit);
      const retryAfterMs = this.session.retryAfter(key, limit.max, windowMs, nowMs, amount);
      if (retryAfterMs > 0) {
        const used = this.session.usage(key, windowMs, nowMs).used;
        return this.refusal(rule, limit, used, retryAfterMs);
      }
      sessionEntries.push({ key, timeMs: bucketTimeMs(nowMs, windowMs), amount });
    }
    if (count)
      for (const entry of sessionEntries)
        entry.timeMs = this.session.add(entry.key, entry.timeMs, entry.amount);
    if (shared.length === 0) {
      return count && sessionEntries.length > 0
        ? {
            pass: true,
            reservation: new HeldReservation(this.session, sessionEntries, null, []),
            uncounted: null,
          }
        : { pass: true, reservation: NOTHING_RESERVED, uncounted: null };
    }
    const handle = this.storeFor(policy);
    const { store } = handle;
    if (store === null)
      return this.onUnavailable(policy, rule, sessionEntries, count, handle.unavailableBecause);
    let answer: StoreAnswer | Promise<StoreAnswer>;
    try {
      answer = count ? store.reserve(shared) : store.check(shared);
    } catch (error) {
      answer = { kind: "unavailable", message: (error as Error).message };
    }
    const settle = (settled: StoreAnswer): LimitVerdict => {
      if (settled.kind === "counted") {
        return {
          pass: true,
          reservation: count
            ? new HeldReservation(this.session, sessionEntries, store, settled.entries)
            : NOTHING_RESERVED,
          uncounted: null,
        };
      }
      if (settled.kind === "unavailable")
        return this.onUnavailable(
          policy,
          rule,
          sessionEntries,
          count,
          `the ${store.name} limit store cannot be reached: ${settled.message}`,
        );
      this.giveBackSession(sessionEntries, count);
      return this.refusal(
        rule,
        sharedLimits[settled.index] as CompiledLimit,
        settled.used,
        settled.retryAfterMs,
      );
    };
    if (!(answer instanceof Promise)) return settle(answer);
    return answer.then(settle, (error: unknown) =>
      settle({ kind: "unavailable", message: error instanceof Error ? error.message : String(error) }),
    );
  }

  /** Closes the shared store, if one was opened. */
  async close(): Promise<void> {
    await this.handle?.store?.close();
  }

  private storeFor(policy: CompiledPolicy): SharedStoreHandle {
    const state = policy.state;
    const previous = this.handlePolicy?.state;
    const sinceOpenedMs = this.now() - this.handleOpenedMs;
    if (
      this.handle === null ||
      previous === undefined ||
      !sameSharedStore(previous, state) ||
      // A store that could not be opened (an unwritable state folder) is tried again, so that
      // counting resumes once it can be, without a restart (at once if the clock stepped back since).
      (this.handle.store === null && (sinceOpenedMs >= STORE_RETRY_MS || sinceOpenedMs < 0))
    ) {
      void this.handle?.store?.close();
      this.handle = this.options.sharedStore(policy);
      this.handleOpenedMs = this.now();
    }
    this.handlePolicy = policy;
    return this.handle;
  }

  private onUnavailable(
    policy: CompiledPolicy,
    rule: CompiledRule,
    sessionEntries: CountedEntry[],
    counted: boolean,
    why: string,
  ): LimitVerdict {
    if (policy.state.onUnavailable === "allow") {
      return {
        pass: true,
        reservation: counted ? new HeldReservation(this.session, sessionEntries, null, []) : NOTHING_RESERVED,
        uncounted: `not counted against the shared limits of rule ${rule.index + 1}: ${why} (state.on_unavailable: allow)`,
      };
    }
    this.giveBackSession(sessionEntries, counted);
    return {
      pass: false,
      reason: `${why}; calls limited by rule ${rule.index + 1} are denied until it can (state.on_unavailable: deny)`,
    };
  }

  private giveBackSession(entries: CountedEntry[], counted: boolean): void {
    if (!counted) return;
    for (const entry of entries) this.session.giveBack(entry.key, entry.timeMs, entry.amount);
  }

  private refusal(
    rule: CompiledRule,
    limit: CompiledLimit,
    used: number,
    retryAfterMs: number,
  ): LimitVerdict {
    const reason = overLimitReason(rule, limit, used, retryAfterMs);
    return Number.isFinite(retryAfterMs)
      ? { pass: false, reason, retryAfterSeconds: wholeSeconds(retryAfterMs) }
      : { pass: false, reason };
  }
}

/** Whether a store opened for `state` serves `other` too: the same store and URL, and the same key prefix. */
export function sameSharedStore(state: StateSettings, other: StateSettings): boolean {
  // The Redis store writes keys of its own under the prefix it was opened with.
  return state.store === other.store && state.url === other.url && state.keyPrefix === other.keyPrefix;
}

/**
 * A window in whole milliseconds, rounded up (the stores keep times in ms, and Redis's PEXPIREAT
 * takes only integers: a window of 2.0005 s failed every call there); the product is taken to the
 * microsecond first, so that 1.1 s is 1100 ms, not 1101.
 */
export function windowMsOf(windowSeconds: number): number {
  // At least 1 ms: a window the schema allows (any positive number) never counts for nothing.
  return Math.max(1, Math.ceil(Math.round(windowSeconds * 1_000_000) / 1000));
}
