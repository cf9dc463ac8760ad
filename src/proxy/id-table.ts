import type { RequestId } from "../wire/jsonrpc.js";

/**
 * Entries by JSON-RPC request id, for requests in flight: 1 and "1" are different ids, as in a Map
 * (-0 and 0 are one, as in a Map).
 *
 * Not a Map, on purpose. Every request adds an id and its answer deletes it, and under that churn a
 * V8 Map rebuilds its table again and again. Each table it drops still points to the next one and
 * to the entries it held. Once the dropped tables are in the old generation, nothing frees them
 * until a full collection, so every young collection keeps all those tables alive, and with them
 * every call record they point to. Measured in bench/hot-path.js: ~770 KB promoted per scavenge
 * with a Map, ~30 KB with this table. Dictionary-mode objects have no such chain.
 */
export class IdTable<T> {
  private numbers: Record<number, T> = Object.create(null);
  /** Null-prototype: "__proto__" and "constructor" are ids like any other. */
  private strings: Record<string, T> = Object.create(null);
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** `id` may be any value read from a peer: only strings and numbers can be found. */
  get(id: unknown): T | undefined {
    if (typeof id === "number") return this.numbers[id];
    return typeof id === "string" ? this.strings[id] : undefined;
  }

  has(id: RequestId): boolean {
    return this.get(id) !== undefined;
  }

  set(id: RequestId, value: T): void {
    const table: Record<string | number, T> = typeof id === "number" ? this.numbers : this.strings;
    if (table[id] === undefined) this.count++;
    table[id] = value;
  }

  delete(id: RequestId): boolean {
    const table: Record<string | number, T> = typeof id === "number" ? this.numbers : this.strings;
    if (table[id] === undefined) return false;
    delete table[id];
    this.count--;
    return true;
  }

  /** The entries, as a list taken now (changing the table afterwards does not change it). */
  values(): T[] {
    const all: T[] = [];
    for (const key in this.numbers) all.push(this.numbers[key as unknown as number] as T);
    for (const key in this.strings) all.push(this.strings[key] as T);
    return all;
  }

  clear(): void {
    this.numbers = Object.create(null);
    this.strings = Object.create(null);
    this.count = 0;
  }
}
