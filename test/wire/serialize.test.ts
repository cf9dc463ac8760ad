import { describe, expect, it } from "vitest";
import { lineTextOf, plainJson, serializeParsed } from "../../src/wire/serialize.js";

/** A small deterministic generator, so a failure can be replayed. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** Characters a string may hold raw in a JSON line (no quote, backslash or control character). */
const RAW_CHARACTERS = [
  "a",
  "Z",
  "0",
  " ",
  "/",
  "'",
  "é",
  "日",
  "😀",
  "\u2028",
  "\u2029",
  "\u007f",
  "{",
  "]",
  ":",
  ",",
];
const NUMBERS = [
  0,
  -0,
  1,
  -1,
  42,
  0.1,
  -2.5e-7,
  1e21,
  123456789012345680000,
  2 ** 53 + 2,
  5e-324,
  1.7976931348623157e308,
];

function randomValue(next: () => number, depth: number): unknown {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const text = () => Array.from({ length: Math.floor(next() * 12) }, () => pick(RAW_CHARACTERS)).join("");
  const kind = Math.floor(next() * (depth > 3 ? 5 : 7));
  if (kind === 0) return text();
  if (kind === 1) return pick(NUMBERS);
  if (kind === 2) return next() < 0.5;
  if (kind === 3) return null;
  if (kind === 4) return text().repeat(100);
  if (kind === 5) return Array.from({ length: Math.floor(next() * 5) }, () => randomValue(next, depth + 1));
  const keys = ["__proto__", "2", "10", "b", "a", "toJSON", "", "日本", "x y"];
  const object: Record<string, unknown> = {};
  for (let i = Math.floor(next() * 6); i > 0; i--)
    object[next() < 0.3 ? text() : pick(keys)] = randomValue(next, depth + 1);
  return object;
}

describe("plainJson", () => {
  it("writes exactly what JSON.stringify writes, for 2,000 random values parsed from plain lines", () => {
    const next = generator(20261124);
    let checked = 0;
    for (let i = 0; i < 2000; i++) {
      const line = Buffer.from(JSON.stringify(randomValue(next, 0)));
      if (lineTextOf(line, false) === "escaped") continue;
      const parsed: unknown = JSON.parse(line.toString("utf8"));
      expect(plainJson(parsed)).toBe(JSON.stringify(parsed));
      checked++;
    }
    expect(checked).toBeGreaterThan(1500);
  });

  it("keeps a __proto__ member as a member, and integer-like keys first, as JSON.stringify does", () => {
    const parsed: unknown = JSON.parse('{"b":1,"__proto__":{"x":2},"10":3,"2":4}');
    expect(plainJson(parsed)).toBe('{"2":4,"10":3,"b":1,"__proto__":{"x":2}}');
    expect(plainJson(parsed)).toBe(JSON.stringify(parsed));
  });

  it("writes a number too large for a double as null, as JSON.stringify does", () => {
    const parsed: unknown = JSON.parse('{"n":1e400,"m":-1e400}');
    expect(plainJson(parsed)).toBe('{"n":null,"m":null}');
  });
});

describe("lineTextOf", () => {
  it("is escaped for any line with an escape, so escaped strings go to JSON.stringify", () => {
    for (const text of ['{"a":"x\\"y"}', '{"a":"\\u0041"}', '{"a":"\\/"}', '{"a\\n":1}', '{"a":"\\\\"}'])
      expect(lineTextOf(Buffer.from(text), true)).toBe("escaped");
    expect(lineTextOf(Buffer.from('{"a":"plain text, é 日 😀"}'), false)).toBe("plain");
    expect(lineTextOf(Buffer.from('{"a":"plain ASCII text"}'), true)).toBe("ascii");
  });
});

describe("serializeParsed", () => {
  it("falls back to JSON.stringify for lines with escapes", () => {
    const parsed: unknown = JSON.parse('{"a":"line\\nbreak \\"quoted\\" \\u0001"}');
    expect(serializeParsed(parsed, "escaped")).toBe(JSON.stringify(parsed));
  });

  it("lets JSON.stringify decide for nesting deeper than its own recursion", () => {
    let deep: unknown = [];
    for (let i = 0; i < 1_000_000; i++) deep = [deep];
    expect(() => serializeParsed(deep, "plain")).toThrow(RangeError);
  });
});
