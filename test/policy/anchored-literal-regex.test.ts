import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { compileLinearRegex, isRegexProblem, type LinearRegex } from "../../src/policy/linear-regex.js";
import { seededRandom } from "../helpers/random.js";

const require = createRequire(import.meta.url);
const { RE2JS } = require("re2js") as typeof import("re2js");

function compiled(pattern: string): LinearRegex {
  const regex = compileLinearRegex(pattern);
  if (isRegexProblem(regex)) throw new Error(`${pattern}: ${regex.message}`);
  return regex;
}

/** Whether the pattern runs on JavaScript's engine (the anchored-literal fast path) rather than re2js. */
function native(pattern: string): boolean {
  return compiled(pattern) instanceof RegExp;
}

describe("anchored literal patterns on JavaScript's engine", () => {
  it("takes the commonest shapes of policy pattern: anchored, plain characters, groups and alternatives", () => {
    for (const pattern of [
      "^/(etc|root|var/lib/secret3)/",
      "^(prod|staging)$",
      "^/etc/",
      "^(?:a|b)(c|d)$",
      "^",
    ]) {
      expect(native(pattern), pattern).toBe(true);
    }
  });

  it("leaves every other pattern to re2js: quantifiers, classes, dots, escapes, flags, top-level alternatives, many paths", () => {
    const many = `^${"(a|b)".repeat(7)}`; // 128 ways through
    for (const pattern of [
      "(a+)+$",
      "^a+",
      "^a?",
      "^a{2}",
      "^[ab]",
      "^a.b",
      "^a\\d",
      "^(?i)abc",
      "^a|b",
      "prod",
      "^é",
      many,
    ]) {
      expect(native(pattern), pattern).toBe(false);
    }
  });

  it("agrees with re2js on random patterns of that shape against random texts", () => {
    const seed = 20261201;
    const random = seededRandom(seed);
    const atoms = ["a", "b", "/", "-", "$", "^", "ab", "ba"];
    const alphabet = ["a", "b", "/", "-", "\n", "\r", "é", "😀", "A"];
    const group = (depth: number): string => {
      const branches = Array.from({ length: 1 + Math.floor(random.next() * 3) }, () => sequence(depth + 1));
      return `(${random.chance(0.5) ? "?:" : ""}${branches.join("|")})`;
    };
    const sequence = (depth: number): string =>
      Array.from({ length: Math.floor(random.next() * 4) }, () =>
        depth < 3 && random.chance(0.3) ? group(depth) : random.pick(atoms),
      ).join("");
    let nativeCount = 0;
    for (let p = 0; p < 400; p++) {
      const pattern = `^${sequence(0)}`;
      const ours = compiled(pattern);
      if (ours instanceof RegExp) nativeCount++;
      const reference = RE2JS.compile(pattern);
      for (let t = 0; t < 40; t++) {
        const text = Array.from({ length: Math.floor(random.next() * 8) }, () => random.pick(alphabet)).join(
          "",
        );
        expect(ours.test(text), `seed ${seed}: ${JSON.stringify(pattern)} on ${JSON.stringify(text)}`).toBe(
          reference.test(text),
        );
      }
    }
    // The fast path must have been exercised, not skipped.
    expect(nativeCount).toBeGreaterThan(300);
  });
});
