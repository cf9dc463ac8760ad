import { describe, expect, it } from "vitest";
import { decideToolCall } from "../../src/policy/decide.js";
import { parsePolicy } from "../../src/policy/load.js";
import { policyFrom, readLow } from "./helpers.js";

/** The errors of a policy that must not validate, as LINE:COL: message. */
function errorsOf(text: string): string[] {
  const result = parsePolicy(text, "p.yaml");
  if (result.ok) throw new Error("the policy validated");
  return result.errors.map((error) => `${error.line}:${error.col}: ${error.message}`);
}

describe("numbers in a policy", () => {
  it("refuses, at its place, a number a double would round: in when.value, in a list, in a limit", () => {
    expect(
      errorsOf(
        "version: 1\ndefault: allow\nrules:\n  - tool: echo\n    when:\n      - { path: args.account, op: eq, value: 9007199254740993 }\n      - { path: args.n, op: in, value: [1, 0.30000000000000001, 0x20000000000001] }\n    action: allow\n    rate_limit: { max: 123456789012345678901234567890, window: 60 }\n",
      ),
    ).toEqual([
      "6:46: rules[0].when[0].value is 9007199254740993, a number policylayer cannot hold exactly (as a double it would be 9007199254740992, another number); write one with fewer digits, an integer within ±2^53",
      "7:44: rules[0].when[1].value[1] is 0.30000000000000001, a number policylayer cannot hold exactly (as a double it would be 0.3, another number); write one with fewer digits, an integer within ±2^53",
      "7:65: rules[0].when[1].value[2] is 0x20000000000001, a number policylayer cannot hold exactly (as a double it would be 9007199254740992, another number); write one with fewer digits, an integer within ±2^53",
      "9:24: rules[0].rate_limit.max is 123456789012345678901234567890, a number policylayer cannot hold exactly (as a double it would be 1.2345678901234568e+29, another number); write one with fewer digits, an integer within ±2^53",
    ]);
  });

  it("refuses numbers that are not finite: .inf, .nan, 1e400, and 1e-400 that underflows to 0", () => {
    expect(
      errorsOf(
        "version: 1\ndefault: allow\nrules:\n  - tool: echo\n    when:\n      - { path: args.n, op: lt, value: .inf }\n      - { path: args.n, op: in, value: [.nan, 1e400, 1e-400] }\n    action: deny\n",
      ),
    ).toEqual([
      "6:40: rules[0].when[0].value is .inf, not a finite number; write a finite number",
      "7:41: rules[0].when[1].value[0] is .nan, not a finite number; write a finite number",
      "7:47: rules[0].when[1].value[1] is 1e400, not a finite number; write a finite number",
      "7:54: rules[0].when[1].value[2] is 1e-400, a number policylayer cannot hold exactly (as a double it would be 0, another number); write one with fewer digits, an integer within ±2^53",
    ]);
  });

  it("takes every spelling that denotes exactly the double it becomes", () => {
    const policy = policyFrom(
      "version: 1\ndefault: allow\nrules:\n  - tool: echo\n    when:\n      - { path: args.n, op: in, value: [9007199254740992, 0.1, 5000.0, 1e5, +12, .5, 0x1F, 0o17, -0, 1.] }\n    action: deny\n",
    );
    const action = (n: unknown) => decideToolCall(policy, { name: "echo", arguments: { n } }, readLow).action;
    for (const n of [9007199254740992, 0.1, 5000, 100000, 12, 0.5, 31, 15, 0, 1])
      expect(action(n), String(n)).toBe("deny");
    expect(action(0.2)).toBe("allow");
  });
});

describe("integers with a leading zero", () => {
  it("refuses 010, which YAML 1.1 reads as octal 8 and YAML 1.2 as 10, and takes 007 and 0o10", () => {
    const limited = (max: string) =>
      `version: 1\ndefault: deny\nrules:\n  - tool: t\n    action: allow\n    rate_limit: { max: ${max}, window: 60 }\n`;
    expect(errorsOf(limited("010"))).toEqual([
      "6:24: rules[0].rate_limit.max is 010, which YAML 1.1 reads as the octal 8 and YAML 1.2 (policylayer) as 10; write 10, or 0o10 for 8",
    ]);
    for (const [max, read] of [
      ["007", 7],
      ["0o10", 8],
      ["10", 10],
    ] as const)
      expect(policyFrom(limited(max)).rules[0]?.rateLimit?.max, max).toBe(read);
  });
});
