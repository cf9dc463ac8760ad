// Reading the server's tool list on behalf of a tools/call whose tool policylayer does not know yet,
// so that no decision depends on whether the client happened to list the tools first.
import { paramsInEra, type RequestEra } from "../wire/era.js";
import type { JsonObject } from "../wire/jsonrpc.js";

/** How long a call may wait for the server's list before it is denied (a cold uvx start takes seconds). */
export const DEFINITION_TIMEOUT_MS = 30_000;
/** Pages one listing may take; a server that pages without end is not followed further. */
export const MAX_LIST_PAGES = 100;

/** A tools/list request of ours in flight: its result, and a way to stop waiting for it. */
export interface OwnListRequest {
  result: Promise<JsonObject>;
  cancel(reason: string): void;
}

export interface ToolListFetchOptions {
  /** Sends tools/list with these params to the server, as a request of our own. */
  listTools(params: JsonObject): OwnListRequest;
  /** Learns one page of the server's list (the session's one table of tool definitions). */
  learn(result: JsonObject): void;
  /** Whether the table has a definition of this tool. */
  knows(name: string): boolean;
  timeoutMs?: number;
}

/**
 * Obtains tool definitions: awaits the client's own tools/list when one is in flight, else reads
 * every page of the server's list itself, once for all calls that wait meanwhile.
 */
export class ToolListFetcher {
  private readonly options: ToolListFetchOptions;
  private readonly timeoutMs: number;
  /** Our own listing in flight, shared by every call that waits for it. */
  private listing: { done: Promise<void>; cancel(reason: string): void } | null = null;
  private clientListsInFlight = 0;
  private clientListsWaiters: (() => void)[] = [];

  constructor(options: ToolListFetchOptions) {
    this.options = options;
    this.timeoutMs = options.timeoutMs ?? DEFINITION_TIMEOUT_MS;
  }

  /** The client sent tools/list; call the returned function once it is answered (or cannot be). */
  clientListSent(): () => void {
    this.clientListsInFlight++;
    let answered = false;
    return () => {
      if (answered) return;
      answered = true;
      this.clientListsInFlight--;
      if (this.clientListsInFlight > 0) return;
      for (const wake of this.clientListsWaiters.splice(0)) wake();
    };
  }

  /**
   * Resolves once `name` is defined in the table or the server's whole list has been read without
   * it (then it is a tool the server does not list); rejects with a reason a person can act on when
   * the list cannot be had within the timeout. `era` is the waiting call's: our requests carry its envelope.
   */
  async definitionOf(name: string, era: RequestEra): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        this.listing?.cancel("policylayer stopped waiting for this tools/list");
        reject(new Error(`the server did not answer tools/list within ${this.timeoutMs / 1000} s`));
      }, this.timeoutMs);
    });
    try {
      await Promise.race([this.obtain(name, era), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async obtain(name: string, era: RequestEra): Promise<void> {
    if (this.clientListsInFlight > 0) {
      await new Promise<void>((resolve) => this.clientListsWaiters.push(resolve));
      if (this.options.knows(name)) return;
    }
    if (this.listing === null) this.listing = this.listAll(era);
    await this.listing.done;
  }

  // Every page of the server's list, learnt page by page; one listing at a time.
  private listAll(era: RequestEra): { done: Promise<void>; cancel(reason: string): void } {
    let current: OwnListRequest | null = null;
    let cancelled: string | null = null;
    const done = (async () => {
      const seen = new Set<string>();
      let cursor: string | undefined;
      for (let page = 0; page < MAX_LIST_PAGES; page++) {
        if (cancelled !== null) throw new Error(cancelled);
        current = this.options.listTools(paramsInEra(era, cursor === undefined ? {} : { cursor }));
        const result = await current.result;
        this.options.learn(result);
        const next = result.nextCursor;
        if (next === undefined || next === null) return;
        if (typeof next !== "string")
          throw new Error("the server's tools/list has a nextCursor that is not a string");
        if (seen.has(next))
          throw new Error("the server's tools/list pages in a circle (a nextCursor came twice)");
        seen.add(next);
        cursor = next;
      }
      throw new Error(`the server's tools/list has more than ${MAX_LIST_PAGES} pages`);
    })();
    const listing = {
      done: done.finally(() => {
        if (this.listing === listing) this.listing = null;
      }),
      cancel: (reason: string) => {
        cancelled = reason;
        current?.cancel(reason);
      },
    };
    return listing;
  }
}
