import { describe, expect, it } from "vitest";
import { decideToolCall } from "../../src/policy/decide.js";
import { parsePolicy } from "../../src/policy/load.js";
import { policyFrom, readLow } from "./helpers.js";

function regexPolicy(pattern: string): string {
  return `version: 1\ndefault: allow\nrules:\n  - tool: t\n    when:\n      - { path: args.s, op: regex, value: '${pattern}' }\n    action: deny\n`;
}

function denies(pattern: string, s: string): boolean {
  return (
    decideToolCall(policyFrom(regexPolicy(pattern)), { name: "t", arguments: { s } }, readLow).action ===
    "deny"
  );
}

describe("policy regexes on a linear-time engine", () => {
  it("decides (a+)+$ against a 100,000-character argument, which backtracking would never finish", () => {
    // JavaScript's engine tries 2^n ways to split the a's (27 of them took 11.6 s); RE2 reads each
    // character once. The bound is this test's timeout; bench/patterns.js gives the time per call.
    const argument = `${"a".repeat(100_000)}!`;
    expect(denies("(a+)+$", argument)).toBe(false);
    expect(denies("(a+)+$", "a".repeat(100_000))).toBe(true);
  });

  it("matches unanchored, as RegExp.test does, with RE2's inline flags", () => {
    expect(denies("prod-\\d+", "eu-prod-12")).toBe(true);
    expect(denies("^prod", "eu-prod-12")).toBe(false);
    expect(denies("(?i)secret", "TOP-SECRET")).toBe(true);
  });

  it("refuses a backreference or lookaround at its place in the file", () => {
    for (const [pattern, what] of [
      ["(\\w+)\\1", "the backreference \\1 at character 6"],
      ["a(?=b)", "the lookahead (?= at character 2"],
      ["(?<!x)y", "the negative lookbehind (?<! at character 1"],
      ["(?<n>a)\\k<n>", "the named backreference \\k< at character 8"],
    ]) {
      const result = parsePolicy(regexPolicy(pattern as string), "p.yaml");
      expect(result.ok, pattern).toBe(false);
      if (result.ok) continue;
      expect(result.errors[0]).toMatchObject({ line: 6, col: 43, path: "rules[0].when[0].value" });
      expect(result.errors[0]?.message).toContain(`${what} is not supported`);
    }
  });

  it("accepts an escaped backslash before a digit, which is no backreference", () => {
    expect(denies("a\\\\1", "a\\1")).toBe(true);
  });

  it("warns where a pattern is written with slashes and flags, naming the pattern to write", () => {
    const result = parsePolicy(regexPolicy("/secret/i"), "p.yaml");
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toMatchObject({ line: 6, col: 43, path: "rules[0].when[0].value" });
    expect(result.warnings[0]?.message).toMatch(
      /slashes and the flags "i" are matched as characters.*\(\?i\)secret/,
    );
    expect(parsePolicy(regexPolicy("secret"), "p.yaml")).toMatchObject({ ok: true, warnings: [] });
  });
});
