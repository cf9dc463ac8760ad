import { describe, expect, it } from "vitest";
import { IdTable } from "../../src/proxy/id-table.js";
import type { RequestId } from "../../src/wire/jsonrpc.js";

describe("IdTable", () => {
  it('keeps 1 and "1" apart, as a Map does', () => {
    const table = new IdTable<string>();
    table.set(1, "number");
    table.set("1", "string");
    expect(table.get(1)).toBe("number");
    expect(table.get("1")).toBe("string");
    expect(table.size).toBe(2);
    expect(table.delete(1)).toBe(true);
    expect(table.get(1)).toBeUndefined();
    expect(table.get("1")).toBe("string");
    expect(table.size).toBe(1);
  });

  it("treats ids that name Object.prototype members as plain ids", () => {
    const table = new IdTable<string>();
    for (const id of ["__proto__", "constructor", "toString", "hasOwnProperty"]) {
      expect(table.get(id)).toBeUndefined();
      expect(table.has(id)).toBe(false);
      table.set(id, `value of ${id}`);
    }
    expect(table.size).toBe(4);
    expect(table.get("__proto__")).toBe("value of __proto__");
    expect(table.values()).toEqual([
      "value of __proto__",
      "value of constructor",
      "value of toString",
      "value of hasOwnProperty",
    ]);
    expect(table.delete("__proto__")).toBe(true);
    expect(table.get("__proto__")).toBeUndefined();
  });

  it("counts an id once however often it is set, and deleting a missing id changes nothing", () => {
    const table = new IdTable<number>();
    table.set(7, 1);
    table.set(7, 2);
    expect(table.size).toBe(1);
    expect(table.get(7)).toBe(2);
    expect(table.delete(8)).toBe(false);
    expect(table.delete("7")).toBe(false);
    expect(table.size).toBe(1);
  });

  it("finds only strings and numbers, as a Map keyed by them would", () => {
    const table = new IdTable<string>();
    table.set(0, "zero");
    table.set("null", "the string null");
    expect(table.get(-0)).toBe("zero");
    for (const other of [null, undefined, true, {}, [0], 0n]) expect(table.get(other)).toBeUndefined();
    expect(table.get(0.5)).toBeUndefined();
    expect(table.get(Number.MAX_SAFE_INTEGER)).toBeUndefined();
    table.set(Number.MAX_SAFE_INTEGER, "max");
    table.set(-5, "negative");
    expect(table.get(Number.MAX_SAFE_INTEGER)).toBe("max");
    expect(table.get(-5)).toBe("negative");
  });

  it("lists every entry, and clear empties it", () => {
    const table = new IdTable<string>();
    for (let id = 0; id < 1000; id++) table.set(id % 2 === 0 ? id : `s${id}`, `v${id}`);
    for (let id = 0; id < 1000; id += 3) table.delete(id % 2 === 0 ? id : `s${id}`);
    const listed = table.values();
    expect(listed).toHaveLength(table.size);
    expect(new Set(listed)).toEqual(
      new Set(
        Array.from({ length: 1000 }, (_, id) => id)
          .filter((id) => id % 3 !== 0)
          .map((id) => `v${id}`),
      ),
    );
    table.clear();
    expect(table.size).toBe(0);
    expect(table.values()).toEqual([]);
    expect(table.get(1)).toBeUndefined();
  });

  it("behaves as a Map under random churn of sets and deletes, ids of every shape", () => {
    // A fixed-seed generator, so a failure can be replayed.
    let seed = 12345;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const shapes: Array<(n: number) => RequestId> = [
      (n) => n,
      (n) => -n,
      (n) => n * 1024, // the same home slot for every capacity up to 1024
      (n) => 2 ** 32 + n, // differ only above bit 31 of their low part
      (n) => Number.MAX_SAFE_INTEGER - n,
      (n) => String(n),
      (n) => `id-${n}`,
    ];
    const table = new IdTable<number>();
    const model = new Map<RequestId, number>();
    let next = 0;
    for (let step = 0; step < 200_000; step++) {
      const live = [...model.keys()];
      if (live.length > 0 && (random() < 0.5 || live.length > 3000)) {
        const id = live[Math.floor(random() * live.length)] as RequestId;
        expect(table.delete(id)).toBe(true);
        model.delete(id);
      } else {
        const shape = shapes[Math.floor(random() * shapes.length)] as (n: number) => RequestId;
        const id = shape(next++ % 5000);
        table.set(id, step);
        model.set(id, step);
      }
      if (step % 997 === 0) {
        expect(table.size).toBe(model.size);
        for (const [id, value] of model) expect(table.get(id)).toBe(value);
        expect(table.values().sort((a, b) => a - b)).toEqual([...model.values()].sort((a, b) => a - b));
      }
    }
    for (const id of [0, 1, -1, 1024, 2 ** 32, "0", "id-1"]) expect(table.get(id)).toBe(model.get(id));
  });

  it("stays fast for ids a client picks to share one slot (j * 2^32 + c - j: one home slot in a plain fold)", () => {
    const table = new IdTable<number>();
    const ids = Array.from({ length: 10_000 }, (_, index) => (index + 1) * 4294967296 + 1_000_000 - index);
    const startedMs = performance.now();
    for (const id of ids) if (!table.has(id)) table.set(id, id);
    const found = ids.filter((id) => table.get(id) === id).length;
    const elapsedMs = performance.now() - startedMs;
    expect(found).toBe(ids.length);
    // With one shared slot every set and lookup walks all the ids before it: seconds for these 10,000.
    expect(elapsedMs, "milliseconds to track and look up 10,000 chosen ids").toBeLessThan(300);
  });

  it("finds 0 under -0 and the reverse, and never a fraction or NaN", () => {
    const table = new IdTable<string>();
    table.set(-0, "zero");
    expect(table.get(0)).toBe("zero");
    table.set(0, "zero again");
    expect(table.size).toBe(1);
    expect(table.get(-0)).toBe("zero again");
    for (const other of [0.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53 + 2])
      expect(table.get(other)).toBeUndefined();
  });
});
