import { describe, expect, it } from "vitest";
import { decideToolCall } from "../../src/policy/decide.js";
import { ExactNumber } from "../../src/wire/exact-number.js";
import { policyFrom, readLow } from "./helpers.js";

/** Whether a single-condition deny rule matches the call's arguments (the default is allow). */
function matches(condition: string, args: Record<string, unknown>, tool = "t"): boolean {
  const policy = policyFrom(
    `version: 1\ndefault: allow\nrules:\n  - when: [${condition}]\n    action: deny\n`,
  );
  return decideToolCall(policy, { name: tool, arguments: args }, readLow).action === "deny";
}

// For each operator: a call that matches, one that does not, and one where the path is absent.
const cases: [string, Record<string, unknown>, Record<string, unknown>][] = [
  ["{ path: args.a, op: eq, value: { x: [1, 2] } }", { a: { x: [1, 2] } }, { a: { x: [2, 1] } }],
  ["{ path: args.a, op: neq, value: 5 }", { a: 6 }, { a: 5 }],
  ["{ path: args.a, op: in, value: [deploy, delete] }", { a: "delete" }, { a: "describe" }],
  ["{ path: args.a, op: not_in, value: [describe] }", { a: "delete" }, { a: "describe" }],
  ["{ path: args.a, op: lt, value: 10 }", { a: 9 }, { a: 10 }],
  ["{ path: args.a, op: lte, value: 10 }", { a: 10 }, { a: 11 }],
  ["{ path: args.a, op: gt, value: 10 }", { a: 11 }, { a: 10 }],
  ["{ path: args.a, op: gte, value: 10 }", { a: 10 }, { a: 9 }],
  ["{ path: args.a, op: regex, value: 'prod-\\d+' }", { a: "eu-prod-12" }, { a: "staging" }],
  ["{ path: args.a, op: glob, value: '/etc/*.conf' }", { a: "/etc/x/y.conf" }, { a: "/etc/y.conf.bak" }],
  ["{ path: args.a, op: contains, value: secret }", { a: "top-secret-file" }, { a: "public" }],
  ["{ path: args.a, op: contains, value: { id: 1 } }", { a: [{ id: 2 }, { id: 1 }] }, { a: [{ id: 2 }] }],
  ["{ path: args.a, op: starts_with, value: /tmp/ }", { a: "/tmp/x" }, { a: "/var/tmp/x" }],
  ["{ path: args.a, op: exists }", { a: null }, { b: 1 }],
];

describe("condition operators", () => {
  for (const [condition, matching, notMatching] of cases) {
    it(`${condition} matches ${JSON.stringify(matching)}`, () => {
      expect(matches(condition, matching)).toBe(true);
    });
    it(`${condition} does not match ${JSON.stringify(notMatching)}`, () => {
      expect(matches(condition, notMatching)).toBe(false);
    });
    if (!condition.includes("op: exists")) {
      it(`${condition} does not match when args.a is absent`, () => {
        expect(matches(condition, { other: 1 })).toBe(false);
      });
    }
  }

  it("exists: false matches only an absent path", () => {
    expect(matches("{ path: args.a, op: exists, value: false }", { b: 1 })).toBe(true);
    expect(matches("{ path: args.a, op: exists, value: false }", { a: 0 })).toBe(false);
  });

  it("indexes lists with numeric path segments and treats a missing index as absent", () => {
    expect(
      matches("{ path: args.files.1.path, op: eq, value: b }", { files: [{ path: "a" }, { path: "b" }] }),
    ).toBe(true);
    expect(matches("{ path: args.files.2.path, op: exists }", { files: [{ path: "a" }] })).toBe(false);
  });

  it("treats inherited properties such as constructor as absent", () => {
    expect(matches("{ path: args.constructor, op: exists }", {})).toBe(false);
    expect(matches("{ path: args.a.toString, op: exists }", { a: "x" })).toBe(false);
  });

  it("tests the tool name with path tool", () => {
    expect(matches("{ path: tool, op: glob, value: 'delete_*' }", {}, "delete_stack")).toBe(true);
    expect(matches("{ path: tool, op: glob, value: 'delete_*' }", {}, "describe_stack")).toBe(false);
  });

  it("matches a deny rule's number condition with a string that a server reads as a number (issue 15)", () => {
    expect(matches("{ path: args.a, op: lt, value: 10 }", { a: "9" })).toBe(true);
    expect(matches("{ path: args.a, op: gte, value: 10 }", { a: " 1_0 " })).toBe(true);
    expect(matches("{ path: args.a, op: lt, value: 10 }", { a: "nine" })).toBe(false);
  });

  it("compares exact numbers by their value: 5000.0 and 1E4 above 1000, 2^53 + 1 above 2^53", () => {
    const exact = (text: string) => new ExactNumber(text);
    expect(matches("{ path: args.a, op: gt, value: 1000 }", { a: exact("5000.0") })).toBe(true);
    expect(matches("{ path: args.a, op: gte, value: 1000 }", { a: exact("1E4") })).toBe(true);
    expect(matches("{ path: args.a, op: lt, value: 1000 }", { a: exact("1e400") })).toBe(false);
    expect(matches("{ path: args.a, op: lte, value: 0 }", { a: exact("-0.0") })).toBe(true);
    expect(
      matches("{ path: args.a, op: gt, value: 9007199254740992 }", { a: exact("9007199254740993") }),
    ).toBe(true);
  });

  it("holds eq, neq, in and contains to numeric equality for exact numbers", () => {
    const exact = (text: string) => new ExactNumber(text);
    expect(matches("{ path: args.a, op: eq, value: 5 }", { a: exact("5.0") })).toBe(true);
    expect(matches("{ path: args.a, op: neq, value: 5 }", { a: exact("5.0") })).toBe(false);
    expect(matches("{ path: args.a, op: in, value: [1, 0] }", { a: exact("-0") })).toBe(true);
    expect(matches("{ path: args.a, op: contains, value: 5 }", { a: [exact("5E0")] })).toBe(true);
    // Exactly, 12345678901234567890 is not the policy's number; as the double a server's JSON parser
    // makes of it (Python's json.loads, then a float field), it is: a deny rule holds on that reading,
    // an allow rule only where every reading holds.
    const huge = { a: exact("12345678901234567890") };
    expect(matches("{ path: args.a, op: eq, value: 12345678901234567000 }", huge)).toBe(true);
    const allowOnly = policyFrom(
      "version: 1\ndefault: deny\nrules:\n  - when: [{ path: args.a, op: eq, value: 12345678901234567000 }]\n    action: allow\n",
    );
    expect(decideToolCall(allowOnly, { name: "t", arguments: huge }, readLow).action).toBe("deny");
  });

  it("decides a deny rule on the double a server would make of an exact number too", () => {
    const exact = (text: string) => new ExactNumber(text);
    expect(matches("{ path: args.a, op: gte, value: 1000 }", { a: exact("999.99999999999999999") })).toBe(
      true,
    );
    expect(
      matches("{ path: args.a, op: eq, value: 9007199254740992 }", { a: exact("9007199254740993.0") }),
    ).toBe(true);
    expect(matches("{ path: args.a, op: lte, value: 0 }", { a: exact("1e-400") })).toBe(true);
    expect(matches("{ path: args.a, op: gte, value: 1000 }", { a: exact("999.9999999") })).toBe(false);
  });

  it("decides a number condition on the number Python's own int(), float() or Decimal() makes of a string", () => {
    for (const text of [
      "５０００",
      "١٢٣٤٥",
      "𝟓𝟎𝟎𝟎",
      "_5000",
      "5__000",
      "5000_",
      "\u001f5000",
      "10000/2",
      " 5000\u3000",
      // Python 3.12 and later: Fraction() takes whitespace around the slash (pydantic's Fraction field too).
      "5000 / 1",
      "10_000/\t2",
      "5000\u3000/\u30001",
    ])
      expect([text, matches("{ path: args.amount, op: gt, value: 1000 }", { amount: text })]).toEqual([
        text,
        true,
      ]);
    for (const text of ["_inf", "inf_", "\u001cinf", "_Infinity_", `1${"0".repeat(400)}/1${"0".repeat(396)}`])
      expect([text, matches("{ path: args.amount, op: gt, value: 1000 }", { amount: text })]).toEqual([
        text,
        true,
      ]);
    expect(matches("{ path: args.amount, op: gt, value: 1000 }", { amount: "５" })).toBe(false);
    expect(matches("{ path: args.amount, op: gt, value: 1000 }", { amount: "_nan_" })).toBe(false);
    expect(matches("{ path: args.amount, op: gt, value: 1000 }", { amount: "5000 kb" })).toBe(false);
  });

  it("looks under every key a dict[int, ...] field reads as the integer of the path, for a deny rule", () => {
    const limit = "{ path: args.limits.1, op: gt, value: 1000 }";
    expect(matches(limit, { limits: { " 1": 5000 } })).toBe(true);
    expect(matches(limit, { limits: { "1": 5, "01": 5000 } })).toBe(true);
    expect(matches(limit, { limits: { "+1": 5000 } })).toBe(true);
    expect(matches(limit, { limits: { "1": 5, "2": 5000 } })).toBe(false);
    expect(matches(limit, { limits: { "1.5": 5000 } })).toBe(false);
    // An allow rule holds only on the key as spelled.
    const allowOnly = policyFrom(
      "version: 1\ndefault: deny\nrules:\n  - when: [{ path: args.limits.1, op: lt, value: 10 }]\n    action: allow\n",
    );
    expect(decideToolCall(allowOnly, { name: "t", arguments: { limits: { "01": 5 } } }, readLow).action).toBe(
      "deny",
    );
    const allows = (limits: Record<string, number>) =>
      decideToolCall(allowOnly, { name: "t", arguments: { limits } }, readLow).action === "allow";
    expect(allows({ "1": 5 })).toBe(true);
    // Every key that reads as 1 must hold for the allow rule: pydantic keeps the last one given.
    expect(allows({ "1": 5, " 1": 5000 })).toBe(false);
    expect(allows({ "1": 5, " 1": 6 })).toBe(true);
  });

  it("reads JSON text as Python's json.loads does, NaN and Infinity included, for a path through it", () => {
    expect(matches("{ path: args.x.amount, op: gt, value: 1000 }", { x: '{"amount": 5000, "z": NaN}' })).toBe(
      true,
    );
    expect(matches("{ path: args.v.*, op: gt, value: 1000 }", { v: "[1, 5000, NaN]" })).toBe(true);
    expect(matches("{ path: args.v.*, op: gt, value: 1000 }", { v: "[1, -Infinity]" })).toBe(false);
    expect(matches("{ path: args.v.*, op: gt, value: 1000 }", { v: "[1, Infinity]" })).toBe(true);
    expect(matches("{ path: args.v.*, op: gt, value: 1000 }", { v: '["NaN Infinity", 1]' })).toBe(false);
  });

  it("requires every condition of a rule to hold", () => {
    const both = "{ path: args.a, op: eq, value: 1 }, { path: args.b, op: eq, value: 2 }";
    expect(matches(both, { a: 1, b: 2 })).toBe(true);
    expect(matches(both, { a: 1, b: 3 })).toBe(false);
  });
});
