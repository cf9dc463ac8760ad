import { randomBytes } from "node:crypto";
import { stringifyJson } from "../wire/json.js";
import { type AnswerId, isJsonObject, type JsonObject, type RequestId } from "../wire/jsonrpc.js";

/** The ids of requests policylayer itself sends to the client (elicitation), and who waits for each answer. */
export class OwnRequests {
  private readonly waiting = new Map<
    RequestId,
    { resolve(result: unknown): void; reject(error: Error): void }
  >();
  /** A prefix no server can predict, so our request ids never collide with the server's. */
  private readonly prefix = `policylayer-${randomBytes(9).toString("base64url")}-`;
  private counter = 0;

  /** A fresh id, and the promise of the client's answer to the request sent under it. */
  open(): { id: string; response: Promise<unknown> } {
    const id = `${this.prefix}${++this.counter}`;
    const response = new Promise<unknown>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
    });
    return { id, response };
  }

  /** Stops waiting for an answer; false when it came (or was dropped) already. */
  drop(id: string): boolean {
    return this.waiting.delete(id);
  }

  /** Routes the client's answer to one of our requests; false when the id is not ours (the server's, then). */
  answer(id: AnswerId, message: JsonObject): boolean {
    // Our own ids are strings: any other id answers the server's request.
    if (typeof id !== "string") return false;
    const waiter = this.waiting.get(id);
    if (!waiter) return id.startsWith(this.prefix);
    this.waiting.delete(id);
    if (isJsonObject(message.error)) {
      waiter.reject(
        new Error(
          `the client answered with error ${stringifyJson(message.error.message ?? message.error.code)}`,
        ),
      );
    } else {
      waiter.resolve(message.result);
    }
    return true;
  }
}
