import { randomBytes } from "node:crypto";
import type { RequestId } from "../wire/jsonrpc.js";

/** Slot states of the number table. */
const EMPTY = 0;
const USED = 1;
/** A deleted entry: lookups probe past it, insertions may reuse it. */
const DELETED = 2;
const INITIAL_CAPACITY = 64;

/**
 * Entries by JSON-RPC request id, for requests in flight: 1 and "1" are different ids, as in a Map
 * (-0 and 0 are one, as in a Map).
 *
 * Not a Map, on purpose. Every request adds an id and its answer deletes it, and under that churn a
 * V8 Map rebuilds its table again and again. Each table it drops still points to the next one and
 * to the entries it held. Once the dropped tables are in the old generation, nothing frees them
 * until a full collection, so every young collection keeps all those tables alive, and with them
 * every call record they point to. Measured in bench/hot-path.js: ~770 KB promoted per scavenge
 * with a Map, ~30 KB with this table.
 *
 * Numbers (nearly every client's ids) live in an open-addressing table of our own whose arrays are
 * only ever overwritten; strings in a null-prototype dictionary, which has no such chain either.
 */
export class IdTable<T> {
  private keys = new Float64Array(INITIAL_CAPACITY);
  private states = new Uint8Array(INITIAL_CAPACITY);
  private slotValues: Array<T | undefined> = new Array(INITIAL_CAPACITY).fill(undefined);
  /** Slots USED or DELETED: what decides when to rebuild. */
  private occupied = 0;
  private numbersCount = 0;
  /** Null-prototype: "__proto__" and "constructor" are ids like any other. */
  private strings: Record<string, T> = Object.create(null);
  private stringsCount = 0;
  /** Mixed into every number's home slot, so that no peer can choose ids that share one (see slotOf). */
  private readonly seed = randomBytes(4).readInt32LE(0);

  get size(): number {
    return this.numbersCount + this.stringsCount;
  }

  /** `id` may be any value read from a peer: only strings and numbers can be found. */
  get(id: unknown): T | undefined {
    if (typeof id === "number") {
      const slot = this.find(id);
      return slot === -1 ? undefined : this.slotValues[slot];
    }
    return typeof id === "string" ? this.strings[id] : undefined;
  }

  has(id: RequestId): boolean {
    return this.get(id) !== undefined;
  }

  set(id: RequestId, value: T): void {
    if (typeof id === "string") {
      if (this.strings[id] === undefined) this.stringsCount++;
      this.strings[id] = value;
      return;
    }
    const found = this.find(id);
    if (found !== -1) {
      this.slotValues[found] = value;
      return;
    }
    if (2 * (this.occupied + 1) > this.keys.length) this.rebuild();
    const mask = this.keys.length - 1;
    let slot = slotOf(id, this.seed, mask);
    while (this.states[slot] === USED) slot = (slot + 1) & mask;
    if (this.states[slot] === EMPTY) this.occupied++;
    this.keys[slot] = id;
    this.states[slot] = USED;
    this.slotValues[slot] = value;
    this.numbersCount++;
  }

  delete(id: RequestId): boolean {
    if (typeof id === "string") {
      if (this.strings[id] === undefined) return false;
      delete this.strings[id];
      this.stringsCount--;
      return true;
    }
    const slot = this.find(id);
    if (slot === -1) return false;
    this.states[slot] = DELETED;
    this.slotValues[slot] = undefined;
    this.numbersCount--;
    return true;
  }

  /** The entries, as a list taken now (changing the table afterwards does not change it). */
  values(): T[] {
    const all: T[] = [];
    for (let slot = 0; slot < this.states.length; slot++)
      if (this.states[slot] === USED) all.push(this.slotValues[slot] as T);
    for (const key in this.strings) all.push(this.strings[key] as T);
    return all;
  }

  clear(): void {
    this.keys = new Float64Array(INITIAL_CAPACITY);
    this.states = new Uint8Array(INITIAL_CAPACITY);
    this.slotValues = new Array(INITIAL_CAPACITY).fill(undefined);
    this.occupied = 0;
    this.numbersCount = 0;
    this.strings = Object.create(null);
    this.stringsCount = 0;
  }

  /** The slot holding number `id`, or -1. */
  private find(id: number): number {
    const mask = this.keys.length - 1;
    let slot = slotOf(id, this.seed, mask);
    for (;;) {
      const state = this.states[slot];
      if (state === EMPTY) return -1;
      // === holds for -0 and 0, and never for NaN, which is never stored.
      if (state === USED && this.keys[slot] === id) return slot;
      slot = (slot + 1) & mask;
    }
  }

  /** Re-inserts the live entries, dropping deleted slots; doubles the capacity when half of it is live. */
  private rebuild(): void {
    const { keys, states, slotValues } = this;
    const capacity = 4 * (this.numbersCount + 1) > keys.length ? 2 * keys.length : keys.length;
    this.keys = new Float64Array(capacity);
    this.states = new Uint8Array(capacity);
    this.slotValues = new Array(capacity).fill(undefined);
    this.occupied = 0;
    this.numbersCount = 0;
    for (let slot = 0; slot < states.length; slot++)
      if (states[slot] === USED) this.set(keys[slot] as number, slotValues[slot] as T);
  }
}

/**
 * The home slot of a number id: its low and high 32 bits (safe integers reach 2^53) mixed with the
 * table's secret seed. The client picks the ids: a plain fold would let it choose thousands that share
 * one slot, and every lookup would then walk them all.
 */
function slotOf(id: number, seed: number, mask: number): number {
  let hash = Math.imul((id | 0) ^ seed, 0x9e3779b1) ^ ((id / 4294967296) | 0);
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  return (hash ^ (hash >>> 13)) & mask;
}
