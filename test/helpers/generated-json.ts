// Generated JSON text for the scanners' randomized tests: duplicates, escapes, whitespace and nesting.
import type { Random } from "./random.js";

const NAMES = [
  "id",
  "result",
  "error",
  "method",
  "isError",
  "resultType",
  "requestState",
  "i\\u0064",
  "idx",
  "resul",
  "",
];

function text(random: Random): string {
  const pieces = ["a", '\\"', "\\\\", "\\n", "é", "\\u00e9", "}", "]", ",", ":", "{", " ", "\\/"];
  return `"${Array.from({ length: Math.floor(random.next() * 6) }, () => random.pick(pieces)).join("")}"`;
}

export function space(random: Random): string {
  return random.chance(0.7) ? "" : random.pick([" ", "\t", "\r\n", "  \n "]);
}

export function value(random: Random, depth: number): string {
  const kind = random.pick(["number", "string", "literal", "array", "object", "object"]);
  if (depth > 3 || kind === "number") return random.pick(["0", "-1", "12.5e3", "123456789", "1E-7"]);
  if (kind === "string") return text(random);
  if (kind === "literal") return random.pick(["true", "false", "null"]);
  if (kind === "array") {
    const items = Array.from({ length: Math.floor(random.next() * 4) }, () => value(random, depth + 1));
    return `[${items.map((item) => space(random) + item + space(random)).join(",")}]`;
  }
  return object(random, depth + 1);
}

export function object(random: Random, depth: number): string {
  const members = Array.from({ length: Math.floor(random.next() * 6) }, () => {
    const name = random.chance(0.6) ? `"${random.pick(NAMES)}"` : text(random);
    return `${space(random)}${name}${space(random)}:${space(random)}${value(random, depth)}${space(random)}`;
  });
  return `{${members.join(",")}${members.length === 0 ? space(random) : ""}}`;
}

/** The line with one character replaced by one that JSON gives a meaning to (or a digit, a letter, a CR). */
export function withOneCharacterChanged(random: Random, line: string): string {
  const characters = [...line];
  characters[Math.floor(random.next() * characters.length)] = random.pick([...'{}[]":,\\ 0a\r']);
  return characters.join("");
}
