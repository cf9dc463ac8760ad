import { randomBytes } from "node:crypto";
import { stringifyJson } from "../wire/json.js";
import { type AnswerId, isJsonObject, type JsonObject, type RequestId } from "../wire/jsonrpc.js";

/**
 * Late answers we still expect, at most (one per request that timed out: hours of a hung server). Past
 * it the oldest is forgotten; its answer, should it ever come, is still ours by its prefix, but is read
 * only while some request is in flight.
 */
const MAX_ABANDONED = 1024;

/** A peer's error answer to a request of ours, with the JSON-RPC error object as it came. */
export class PeerError extends Error {
  constructor(
    message: string,
    readonly error: JsonObject,
  ) {
    super(message);
  }
}

/**
 * The ids of requests policylayer itself sends to one side (elicitation to the client, tools/list to
 * the server), and who waits for each answer. The ids carry a random prefix, so they never collide
 * with the ids of the other side's own requests, and an answer to one never goes on to the other peer.
 */
export class OwnRequests {
  private readonly waiting = new Map<
    RequestId,
    { resolve(result: unknown): void; reject(error: Error): void }
  >();
  /** A prefix no server can predict, so our request ids never collide with the server's. */
  private readonly prefix = `policylayer-${randomBytes(9).toString("base64url")}-`;
  private counter = 0;

  /** `peer`: who answers ("client", "server"), for the error an answer with an error becomes. */
  constructor(private readonly peer: "client" | "server") {}

  /** A fresh id, and the promise of the peer's answer to the request sent under it. */
  open(): { id: string; response: Promise<unknown> } {
    const id = `${this.prefix}${++this.counter}`;
    const response = new Promise<unknown>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
    });
    return { id, response };
  }

  /** Ids we stopped waiting for whose answers may still come (to be dropped then); bounded. */
  private readonly abandoned = new Set<string>();

  /** Whether an id is one of ours (whether or not its answer is still awaited). */
  owns(id: unknown): id is string {
    return typeof id === "string" && id.startsWith(this.prefix);
  }

  /** How many answers may still come: awaited ones, and late ones to requests we stopped waiting for. */
  get size(): number {
    return this.waiting.size + this.abandoned.size;
  }

  /** Every awaited answer fails with `reason` (the peer went away). */
  rejectAll(reason: string): void {
    for (const waiter of this.waiting.values()) waiter.reject(new Error(reason));
    this.waiting.clear();
  }

  /** Stops waiting for an answer; false when it came (or was dropped) already. */
  drop(id: string): boolean {
    if (!this.waiting.delete(id)) return false;
    if (this.abandoned.size >= MAX_ABANDONED) {
      const oldest = this.abandoned.values().next();
      if (oldest.done !== true) this.abandoned.delete(oldest.value);
    }
    this.abandoned.add(id);
    return true;
  }

  /** Routes the peer's answer to one of our requests; false when the id is not ours. */
  answer(id: AnswerId, message: JsonObject): boolean {
    // Our own ids are strings: any other id answers the peer's own request.
    if (typeof id !== "string") return false;
    const waiter = this.waiting.get(id);
    if (!waiter) {
      this.abandoned.delete(id);
      return this.owns(id);
    }
    this.waiting.delete(id);
    if (isJsonObject(message.error)) {
      waiter.reject(
        new PeerError(
          `the ${this.peer} answered with error ${stringifyJson(message.error.message ?? message.error.code)}`,
          message.error,
        ),
      );
    } else {
      waiter.resolve(message.result);
    }
    return true;
  }
}
