import type { JsonObject, RequestId } from "../wire/jsonrpc.js";
import type { ForwardVerdict, PendingVerdict } from "./call-gate.js";
import { IdTable } from "./id-table.js";

/** Client requests that may be unanswered at once; more are refused, so memory stays bounded. */
export const MAX_PENDING_REQUESTS = 10_000;

/**
 * How long a forwarded request the client cancelled waits for the server's answer. A server on the
 * TypeScript SDK never answers one (the specification says it should not), one on the Python SDK
 * answers at once with an error: after this, the call ends as cancelled (its audit line is written,
 * its id is free again), and an answer still to come is dropped.
 */
export const CANCELLED_ANSWER_WAIT_MS = 5_000;

/** A client request the server (or an approval) has not answered yet. */
export interface PendingRequest {
  id: RequestId;
  method: string;
  /** For a forwarded tools/call: told how the call ended. */
  forwarded?: Pick<ForwardVerdict, "finish" | "reachedServer">;
  /** A tools/call still waiting for a person: not yet sent to the server. */
  approval?: PendingVerdict;
  cancelled?: boolean;
  /**
   * For a forwarded tools/list: called with the result it was answered with, or null for none
   * (calls that wait for a definition await it).
   */
  listed?: (result: JsonObject | null) => void;
  /** A 2026-07-28 subscriptions/listen stream that asked for tools/list changes. */
  toolsListChanged?: boolean;
  /** The server acknowledged this listen stream: nothing may go on it before (spec 2026-07-28, subscriptions). */
  acknowledged?: boolean;
}

/** The client's requests in flight, by id (1 and "1" apart: see IdTable for why not a Map). */
export class ClientRequests {
  private readonly table = new IdTable<PendingRequest>();

  /** How many requests are unanswered. */
  get size(): number {
    return this.table.size;
  }

  /** Whether no further request may be taken on (see MAX_PENDING_REQUESTS). */
  get full(): boolean {
    return this.table.size >= MAX_PENDING_REQUESTS;
  }

  /** Whether a request with this id is unanswered. */
  has(id: RequestId): boolean {
    return this.table.has(id);
  }

  /** The unanswered request with this id (any parsed JSON value may be looked up). */
  get(id: unknown): PendingRequest | undefined {
    return this.table.get(id);
  }

  /** Tracks a request until its answer; replaces what was tracked under its id. */
  track(entry: PendingRequest): void {
    this.table.set(entry.id, entry);
  }

  /** Stops tracking the request `entry`, if its id still belongs to it. */
  remove(entry: PendingRequest): void {
    if (this.table.get(entry.id) === entry) this.table.delete(entry.id);
  }

  /** Stops tracking whatever request has this id. */
  forget(id: RequestId): void {
    this.table.delete(id);
  }

  /** The open listen streams that asked for tools/list changes and that the server acknowledged. */
  toolListeners(): PendingRequest[] {
    return this.table
      .values()
      .filter((entry) => entry.toolsListChanged === true && entry.acknowledged === true);
  }

  /** Every unanswered request, no longer tracked (the server is gone). */
  drain(): PendingRequest[] {
    const entries = this.table.values();
    this.table.clear();
    return entries;
  }

  /**
   * The client cancelled a request: marks it, and withdraws the question when it waits for a
   * person (or for the limit store). A forwarded call keeps what it reserved of its limits; one the
   * server does not answer within CANCELLED_ANSWER_WAIT_MS ends as cancelled. False when the server
   * never saw the request (then it must not see the cancellation).
   */
  cancel(requestId: RequestId): boolean {
    const entry = this.table.get(requestId);
    if (!entry) return true;
    // A closed listen stream gets no response (spec 2026-07-28, subscriptions): nothing to wait for.
    if (entry.method === "subscriptions/listen") {
      this.table.delete(requestId);
      return true;
    }
    // Cancelled again: it is waited for already (one timer, not one per cancellation), or withdrawn.
    if (entry.cancelled === true) return entry.approval === undefined;
    entry.cancelled = true;
    if (!entry.approval) {
      const forwarded = entry.forwarded;
      forwarded?.reachedServer();
      setTimeout(() => {
        if (this.table.get(requestId) !== entry) return;
        this.table.delete(requestId);
        // Calls waiting for the definitions a cancelled tools/list would have brought wait no longer for it.
        entry.listed?.(null);
        forwarded?.finish("cancelled");
      }, CANCELLED_ANSWER_WAIT_MS).unref();
      return true;
    }
    entry.approval.withdraw("the client cancelled the request");
    return false;
  }
}
