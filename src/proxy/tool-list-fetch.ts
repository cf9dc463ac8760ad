// Reading the server's tool list on behalf of a tools/call whose tool policylayer does not know yet,
// so that no decision depends on whether the client happened to list the tools first.
import { paramsInEra, type RequestEra } from "../wire/era.js";
import { approximateNumber, isJsonNumber } from "../wire/exact-number.js";
import { stringifyJson } from "../wire/json.js";
import { ErrorCode, isJsonObject, type JsonObject } from "../wire/jsonrpc.js";
import { PeerError } from "./own-requests.js";

/** How long a call may wait for the server's list before it is denied (a cold uvx start takes seconds). */
export const DEFINITION_TIMEOUT_MS = 30_000;
/** Pages one listing may take; a server that pages without end is not followed further. */
export const MAX_LIST_PAGES = 100;

/** UnsupportedProtocolVersionError (spec 2026-07-28, basic/versioning.mdx). */
const UNSUPPORTED_PROTOCOL_VERSION = -32022;

/**
 * The server refused the 2026-07-28 envelope our first tools/list carried, which is a waiting call's
 * own: an unsupported protocol version (-32022), or required fields missing (-32602; the first page
 * has no other params). The server would answer the call with the same error, and a client that
 * negotiates its version inline needs that error (spec 2026-07-28, basic/versioning.mdx), not a denial.
 */
export class EnvelopeRefused extends PeerError {
  constructor(
    refused: PeerError,
    /** The envelope refused, as JSON text (a call with another envelope is not answered with it). */
    readonly envelope: string,
  ) {
    super(refused.message, refused.error);
  }
}

/** The envelope of a modern request as JSON text, for comparing envelopes; null for a legacy one. */
export function envelopeText(era: RequestEra): string | null {
  return era.envelope === null ? null : stringifyJson(era.envelope);
}

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
  /** The whole current list was read: these are the names on all its pages (a tool not among them is no longer listed). */
  wholeListNames(names: ReadonlySet<string>): void;
  timeoutMs?: number;
  /** Milliseconds; injected so tests can drive time. */
  now?: () => number;
}

/** Our own reading of every page, shared by the calls that wait for it. */
interface Listing {
  done: Promise<void>;
  /** The list's generation it reads (see ToolListFetcher.generation). */
  generation: number;
  /** The envelope its requests carry (see envelopeText): only calls with the same one join it. */
  envelope: string | null;
  /** Calls still waiting for it: when the last gives up, the listing is cancelled. */
  waiters: number;
  settled: boolean;
  cancel(reason: string): void;
}

/** One call waiting for a definition: the listing it awaits, and whether it stopped waiting. */
interface Waiter {
  listing: Listing | null;
  gaveUp: boolean;
}

/**
 * Obtains tool definitions: awaits the client's own tools/list when one is in flight, else reads
 * every page of the server's list itself, once for all calls that wait meanwhile. Knows when the
 * whole list has been read (by us or by the client, page after page from the first), so a tool the
 * server does not list is then decided at once; the server's list_changed, or the end of the list's
 * ttlMs, makes that unknown again. A tool's definition counts as current when it was read since the
 * server's last list_changed: a call of a tool whose definition may have changed waits for it to be
 * read again, as a call of an unknown tool does.
 */
export class ToolListFetcher {
  private readonly options: ToolListFetchOptions;
  private readonly timeoutMs: number;
  /** Counts the server's list changes: what was read under an older generation may be out of date. */
  private generation = 0;
  /**
   * Until when (ms) the whole list read counts as current: an unknown tool is then one it does not
   * list. Infinity until list_changed, or as long as a 2026-07-28 result's `ttlMs` says (a modern
   * server sends list_changed only on a listen stream, so its cache hint is what bounds it).
   */
  private wholeUntilMs = Number.NEGATIVE_INFINITY;
  private readonly now: () => number;
  /** The tools whose definitions were read in this generation (since the last list_changed). */
  private readonly currentNames = new Set<string>();
  /** The nextCursors the client reached from the first page, in this generation, with the tool names on the pages before each. */
  private readonly clientCursors = new Map<string, ReadonlySet<string>>();
  /** Our newest listing in flight. */
  private listing: Listing | null = null;
  private clientListsInFlight = 0;
  private clientListsWaiters: (() => void)[] = [];

  constructor(options: ToolListFetchOptions) {
    this.options = options;
    this.timeoutMs = options.timeoutMs ?? DEFINITION_TIMEOUT_MS;
    this.now = options.now ?? Date.now;
  }

  /** Whether the server's whole current list has been read (an unknown tool is then not on it). */
  get complete(): boolean {
    return this.now() < this.wholeUntilMs;
  }

  /**
   * Whether a call of `name` can be decided now: its definition was read since the server's list
   * last changed, or the whole current list was read without it. (A page's ttlMs bounds only the
   * latter: a 2026-07-28 SDK server says 0, and reading the list again before every call would
   * double each call's round trips.)
   */
  current(name: string): boolean {
    return this.currentNames.has(name) || this.complete;
  }

  /** The tools on one page read in the current generation: their definitions are current. */
  private readDefinitions(names: readonly string[]): void {
    for (const name of names) this.currentNames.add(name);
  }

  /**
   * The list's last page came: the whole list is known, for as long as the page's `ttlMs` says (if it
   * says); `names` are the tools on all its pages.
   */
  private readWhole(lastPage: JsonObject, names: ReadonlySet<string>): void {
    this.options.wholeListNames(names);
    // By its value however it is written (0.0 and 0E3 are ExactNumbers: see wire/json.ts).
    const ttlMs = isJsonNumber(lastPage.ttlMs) ? approximateNumber(lastPage.ttlMs) : Number.NaN;
    this.wholeUntilMs = ttlMs >= 0 ? this.now() + ttlMs : Number.POSITIVE_INFINITY;
  }

  /** The server said its tool list changed: the next unknown tool reads it again. */
  listChanged(): void {
    this.generation++;
    this.wholeUntilMs = Number.NEGATIVE_INFINITY;
    this.clientCursors.clear();
    this.currentNames.clear();
  }

  /**
   * The client sent tools/list (with `cursor`, if any): call the returned function once with the
   * result it was answered with, or null when it got none (an error, the server gone).
   */
  clientListSent(cursor: unknown): (result: JsonObject | null) => void {
    this.clientListsInFlight++;
    const generation = this.generation;
    // Only a page reached from the first page says where the list ends, and what is on it.
    const before =
      cursor === undefined
        ? new Set<string>()
        : typeof cursor === "string"
          ? this.clientCursors.get(cursor)
          : undefined;
    let answered = false;
    return (result) => {
      if (answered) return;
      answered = true;
      if (result !== null && generation === this.generation) {
        const onPage = namesOn(result);
        this.readDefinitions(onPage);
        if (before !== undefined) {
          const names = new Set([...before, ...onPage]);
          const next = result.nextCursor;
          if (typeof next === "string") this.clientCursors.set(next, names);
          else if (next === undefined || next === null) this.readWhole(result, names);
        }
      }
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
      timer = setTimeout(
        () => reject(new Error(`the server did not answer tools/list within ${this.timeoutMs / 1000} s`)),
        this.timeoutMs,
      );
    });
    const waiter: Waiter = { listing: null, gaveUp: false };
    try {
      await Promise.race([this.obtain(name, era, waiter), timedOut]);
    } finally {
      clearTimeout(timer);
      waiter.gaveUp = true;
      // The last call to give up on a listing stops it; one that others still await goes on.
      const listing = waiter.listing;
      if (listing !== null && --listing.waiters === 0 && !listing.settled)
        listing.cancel("policylayer stopped waiting for this tools/list");
    }
  }

  /** Awaits the client's lists in flight, then (if still needed) a listing of ours, which `waiter` records. */
  private async obtain(name: string, era: RequestEra, waiter: Waiter): Promise<void> {
    if (this.clientListsInFlight > 0) {
      await new Promise<void>((resolve) => this.clientListsWaiters.push(resolve));
      if (waiter.gaveUp || this.current(name)) return;
    }
    const listing = this.joinListing(era);
    waiter.listing = listing;
    await listing.done;
  }

  /** The listing of the current generation in flight under `era`'s envelope, or a new one; counted as awaited once more. */
  private joinListing(era: RequestEra): Listing {
    const current = this.listing;
    const listing =
      current !== null &&
      current.generation === this.generation &&
      !current.settled &&
      current.envelope === envelopeText(era)
        ? current
        : this.listAll(era);
    listing.waiters++;
    return listing;
  }

  // Every page of the server's list, learnt page by page.
  private listAll(era: RequestEra): Listing {
    let current: OwnListRequest | null = null;
    let stop: (error: Error) => void = () => {};
    // Settles the listing at once when it is cancelled (a dropped request's answer never comes).
    const stopped = new Promise<never>((_resolve, reject) => {
      stop = reject;
    });
    stopped.catch(() => {});
    const generation = this.generation;
    const pages = async (): Promise<void> => {
      const seen = new Set<string>();
      let names: ReadonlySet<string> = new Set<string>();
      let cursor: string | undefined;
      for (let page = 0; page < MAX_LIST_PAGES; page++) {
        current = this.options.listTools(paramsInEra(era, cursor === undefined ? {} : { cursor }));
        const result = await Promise.race([current.result, stopped]).catch((error: unknown) => {
          throw page === 0 ? envelopeRefusal(error, era) : error;
        });
        this.options.learn(result);
        const onPage = namesOn(result);
        if (generation === this.generation) this.readDefinitions(onPage);
        names = new Set([...names, ...onPage]);
        const next = result.nextCursor;
        if (next === undefined || next === null) {
          if (generation === this.generation) this.readWhole(result, names);
          return;
        }
        if (typeof next !== "string")
          throw new Error("the server's tools/list has a nextCursor that is not a string");
        if (seen.has(next))
          throw new Error("the server's tools/list pages in a circle (a nextCursor came twice)");
        seen.add(next);
        cursor = next;
      }
      throw new Error(`the server's tools/list has more than ${MAX_LIST_PAGES} pages`);
    };
    const listing: Listing = {
      done: Promise.resolve(),
      generation,
      envelope: envelopeText(era),
      waiters: 0,
      settled: false,
      cancel: (reason: string) => {
        current?.cancel(reason);
        stop(new Error(reason));
      },
    };
    listing.done = pages().finally(() => {
      listing.settled = true;
      if (this.listing === listing) this.listing = null;
    });
    // Awaited by every waiter; a failure nobody awaits any more (all timed out) is not unhandled.
    listing.done.catch(() => {});
    this.listing = listing;
    return listing;
  }
}

/** `error` as an EnvelopeRefused when it is the server's refusal of `era`'s envelope on the first page. */
function envelopeRefusal(error: unknown, era: RequestEra): unknown {
  const envelope = envelopeText(era);
  if (envelope === null || !(error instanceof PeerError)) return error;
  const code = error.error.code;
  const refused = code === UNSUPPORTED_PROTOCOL_VERSION || code === ErrorCode.InvalidParams;
  return refused ? new EnvelopeRefused(error, envelope) : error;
}

/** The names of the tools on one tools/list page. */
function namesOn(page: JsonObject): string[] {
  if (!Array.isArray(page.tools)) return [];
  return page.tools.flatMap((tool) =>
    isJsonObject(tool) && typeof tool.name === "string" ? [tool.name] : [],
  );
}
