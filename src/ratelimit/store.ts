/** One limit's share of a reservation: which counter, its cap and window, and what the call adds. */
export interface CounterRequest {
  key: string;
  max: number;
  windowMs: number;
  amount: number;
}

/** An amount a store counted, as it must be named to give it back. */
export interface CountedEntry {
  key: string;
  /** The store's clock when it was counted (a Redis server's own clock). */
  timeMs: number;
  amount: number;
}

/** What a store answers to a reservation: counted, over a limit (nothing counted), or unreachable. */
export type StoreAnswer =
  | { kind: "counted"; entries: CountedEntry[] }
  | {
      kind: "over";
      /** Index into the requests of the first limit the call would exceed. */
      index: number;
      used: number;
      /** Milliseconds until the call would fit (Infinity: its amount alone is over max). */
      retryAfterMs: number;
    }
  | { kind: "unavailable"; message: string };

/** A counter as `policylayer limits` reports it. */
export interface CounterUsage {
  key: string;
  used: number;
  /** Milliseconds until the oldest counted amount leaves the window; 0 when nothing is counted. */
  freesInMs: number;
}

/**
 * Where counts of server and global scope live: every wrap that shares the store sees the same
 * counters. Each operation is atomic over all the counters it names, and none waits more than about
 * a second. `reserve` counts all of its requests or none.
 */
export interface SharedLimitStore {
  /** What kind of store, for messages: "local" or "redis". */
  readonly name: string;
  /** Counts every request's amount if all of them fit, else none. */
  reserve(requests: readonly CounterRequest[]): StoreAnswer | Promise<StoreAnswer>;
  /** Like reserve, but counts nothing: whether the call would fit now (for calls that first wait for approval). */
  check(requests: readonly CounterRequest[]): StoreAnswer | Promise<StoreAnswer>;
  /** Gives back counted entries (a call that never reached the server, or that it refused). */
  release(entries: readonly CountedEntry[]): void;
  /** The counters whose keys start with `keyPrefix`, with what is counted in their windows now. */
  usage(keyPrefix: string): Promise<CounterUsage[]>;
  /**
   * Removes the counters written under the key_prefix `keyPrefix` whose keys start with `keyStart`
   * (one rule's), all of them by default; resolves with how many were removed. Counters of a longer
   * key_prefix that starts with `keyPrefix` (another policy's) are left alone.
   */
  reset(keyPrefix: string, keyStart?: string): Promise<number>;
  close(): Promise<void>;
}
