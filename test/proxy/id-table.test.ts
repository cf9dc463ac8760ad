import { describe, expect, it } from "vitest";
import { IdTable } from "../../src/proxy/id-table.js";

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
});
