import { describe, expect, it } from "vitest";
import { parsePolicy } from "../../src/policy/load.js";

describe("one parser decides, the other only places errors", () => {
  it("reads date-like and number-like scalars as YAML 1.2 core does (a date stays a string)", () => {
    const result = parsePolicy(
      "version: 1\ndefault: allow\nrules:\n  - tool: x\n    action: deny\n    reason: 2024-01-01\n",
      "p.yaml",
    );
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.policy.rules[0]?.reason).toBe("2024-01-01");
  });

  it("refuses a duplicate key with its position", () => {
    const result = parsePolicy("version: 1\ndefault: allow\ndefault: deny\n", "p.yaml");
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors[0]).toMatchObject({ line: 3, col: 1 });
  });

  it("refuses an alias bomb quickly instead of expanding it", () => {
    const levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let level = 1; level < 9; level++) {
      const prev = String.fromCharCode(96 + level);
      const next = String.fromCharCode(97 + level);
      levels.push(
        `${next}: &${next} [*${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}]`,
      );
    }
    const text = `version: 1\ndefault: allow\nx-bomb:\n${levels.map((line) => `  ${line}`).join("\n")}\n`;
    const result = parsePolicy(text, "bomb.yaml");
    expect(result.ok).toBe(false);
  });

  it("refuses YAML that is not well formed, with the place", () => {
    const result = parsePolicy("version: 1\ndefault: [allow\n", "p.yaml");
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors[0]?.line).toBeGreaterThan(0);
  });
});
