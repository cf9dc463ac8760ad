// The structural scan must read what JSON.parse reads: over generated lines (duplicates, escapes,
// whitespace, nesting), every member it finds parses to JSON.parse's value, and nothing it misses exists.
import { describe, expect, it } from "vitest";
import { scanMembers } from "../../src/wire/peek.js";
import { object, space, value } from "../helpers/generated-json.js";
import { seededRandom } from "../helpers/random.js";

const WANTED = ["id", "result", "error", "method"];

describe("scanMembers against JSON.parse, over generated lines", () => {
  it("finds each wanted member's last occurrence, and inside result isError, as JSON.parse reads them", () => {
    const ranges = new Int32Array(2 * WANTED.length);
    const inner = new Int32Array(2);
    const scan = { wanted: WANTED, ranges, nested: { member: 1, wanted: ["isError"], ranges: inner } };
    let objects = 0;
    for (let seed = 1; seed <= 3000; seed++) {
      const random = seededRandom(seed);
      const line = space(random) + object(random, 0) + space(random);
      const bytes = Buffer.from(line);
      const parsed = JSON.parse(line) as Record<string, unknown>;
      const where = `seed ${seed}: ${line}`;
      expect(scanMembers(bytes, scan), where).toBe(true);
      objects++;
      WANTED.forEach((name, index) => {
        const start = ranges[2 * index] as number;
        const present = Object.hasOwn(parsed, name);
        expect(start !== -1, `${where}: ${name} found`).toBe(present);
        if (present) {
          const found = JSON.parse(bytes.toString("utf8", start, ranges[2 * index + 1]));
          expect(found, `${where}: ${name}`).toEqual(parsed[name]);
        }
      });
      const result = parsed.result;
      const isError =
        typeof result === "object" &&
        result !== null &&
        !Array.isArray(result) &&
        Object.hasOwn(result, "isError")
          ? (result as Record<string, unknown>).isError
          : undefined;
      expect(inner[0] !== -1, `${where}: result.isError found`).toBe(isError !== undefined);
      if (isError !== undefined) {
        expect(JSON.parse(bytes.toString("utf8", inner[0], inner[1])), where).toEqual(isError);
      }
    }
    expect(objects).toBe(3000);
  });

  it("refuses a line with a key whose escape JSON.parse cannot read, instead of throwing", () => {
    const ranges = new Int32Array(2 * WANTED.length);
    const line = Buffer.from('{"jsonrpc":"2.0","\\x":1,"id":5,"result":{}}');
    expect(() => JSON.parse(line.toString())).toThrow();
    expect(scanMembers(line, { wanted: WANTED, ranges })).toBe(false);
  });

  it("refuses lines that are not objects", () => {
    const ranges = new Int32Array(2 * WANTED.length);
    for (let seed = 1; seed <= 500; seed++) {
      const random = seededRandom(seed);
      const line = value(random, 1);
      if (line.startsWith("{")) continue;
      expect(scanMembers(Buffer.from(line), { wanted: WANTED, ranges }), line).toBe(false);
    }
  });
});
