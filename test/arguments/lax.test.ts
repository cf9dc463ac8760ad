import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { isLaxFailure, readBooleanText, readIntegerText, readNumberText } from "../../src/arguments/lax.js";
import { ExactNumber } from "../../src/wire/exact-number.js";
import { pythonWithMcp } from "../helpers/python-sdk.js";

const pydanticLax = fileURLToPath(new URL("../servers/pydantic_lax.py", import.meta.url));

/** The spellings the issue names, then every short string over the characters that matter, then some longer ones. */
function spellings(): string[] {
  const named = [
    " 5000 ",
    "5_000",
    "5000.0",
    "+5000",
    "05000",
    "5000\n",
    "12345678901234567890",
    "5000",
    "true",
    "True",
    "TRUE",
    "1",
    "yes",
    "on",
    "t",
    "y",
    "false",
    "no",
    "off",
    "f",
    "n",
    "0",
    "\u00a05000",
    "\u20035000",
    "5000\u000b",
    "5000\u001c",
    "\ufeff5000",
    "5000\u0085",
    "١٢٣",
    "0__5",
    "00.0",
    "-0.0",
    "-0",
    "-05",
    "--5",
    "-+5",
    "+-5",
    "1e400",
    "-1e400",
    "inf",
    "-Infinity",
    "NaN",
    "nan",
    "1_e3",
    "5_.0",
    "5._0",
    " 5_000 ",
    "5_000.000 ",
    "   +5000.000  ",
    "9007199254740993",
    "9007199254740992",
    "1152921504606846976",
    "0x10",
    "0b1",
    "0o7",
    "1E+3",
    ".5",
    "5.",
    ".",
    "e5",
    "",
    " ",
    "_",
  ];
  const alphabet = ["0", "1", "5", "_", ".", "+", "-", "e", " "];
  const generated: string[] = [];
  let layer = [""];
  for (let length = 1; length <= 3; length++) {
    layer = layer.flatMap((prefix) => alphabet.map((char) => prefix + char));
    generated.push(...layer);
  }
  // A seeded walk over longer strings, so a failure is reproducible.
  let seed = 15;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const wide = [...alphabet, "9", "E", "\t", "\n", "i", "n", "f", "a", "t", "r", "u"];
  for (let i = 0; i < 3000; i++) {
    const length = 4 + Math.floor(random() * 6);
    let text = "";
    for (let k = 0; k < length; k++) text += wide[Math.floor(random() * wide.length)];
    generated.push(text);
  }
  return [...new Set([...named, ...generated])];
}

interface PydanticReadings {
  integer: (string | null)[];
  number: (string | null)[];
  boolean: (string | null)[];
}

const texts = spellings();
let pydantic: PydanticReadings;

beforeAll(async () => {
  const python = await pythonWithMcp(1);
  pydantic = await new Promise<PydanticReadings>((resolve, reject) => {
    const child = execFile(python, [pydanticLax], { maxBuffer: 64 << 20 }, (error, stdout) => {
      if (error) reject(new Error(`${pydanticLax} failed: ${error.message}`));
      else resolve(JSON.parse(stdout) as PydanticReadings);
    });
    child.stdin?.end(JSON.stringify(texts));
  });
}, 120_000);

/** Our reading in pydantic's terms: the text of the value (an ExactNumber's own), or null where we refuse; an inexact one is kept as its digits. */
function ours(reading: number | boolean | ExactNumber | { fails: string; reading?: string }): string | null {
  if (isLaxFailure(reading)) return reading.fails === "inexact" ? `inexact ${reading.reading}` : null;
  return String(reading);
}

describe("reading strings as pydantic's lax mode does", () => {
  it(`reads ${texts.length} spellings as integers exactly as pydantic does, digit for digit`, () => {
    const differences = texts.flatMap((text, i) => {
      const theirs = pydantic.integer[i] ?? null;
      const mine = ours(readIntegerText(text));
      return mine === theirs ? [] : [{ text, pydantic: theirs, policylayer: mine }];
    });
    expect(differences).toEqual([]);
  });

  it("reads 2^60 as that integer exactly: a double holds it, but would be written as 1152921504606847000", () => {
    const reading = readIntegerText("1152921504606846976");
    expect(reading).toBeInstanceOf(ExactNumber);
    expect(String(reading)).toBe("1152921504606846976");
    expect(readIntegerText("100000000000000000000")).toBe(1e20);
  });

  it(`reads ${texts.length} spellings as numbers as pydantic does (-0.0 kept), refusing infinities and NaN`, () => {
    const differences = texts.flatMap((text, i) => {
      const theirs = pydantic.number[i] ?? null;
      const mine = ours(readNumberText(text));
      const unrepresentable = theirs !== null && /inf|nan/.test(theirs);
      if (unrepresentable)
        return mine?.startsWith("inexact ") ? [] : [{ text, pydantic: theirs, policylayer: mine }];
      const same = theirs === null ? mine === null : mine !== null && Object.is(Number(mine), Number(theirs));
      return same ? [] : [{ text, pydantic: theirs, policylayer: mine }];
    });
    expect(differences).toEqual([]);
  });

  it(`reads ${texts.length} spellings as booleans as pydantic does`, () => {
    const differences = texts.flatMap((text, i) => {
      const theirs = pydantic.boolean[i] ?? null;
      const mine = ours(readBooleanText(text));
      return mine === theirs ? [] : [{ text, pydantic: theirs, policylayer: mine }];
    });
    expect(differences).toEqual([]);
  });

  it("reads the issue's numeric spellings as 5000", () => {
    for (const text of [" 5000 ", "5_000", "5000.0", "+5000", "05000", "5000\n"]) {
      expect(readIntegerText(text)).toBe(5000);
      expect(readNumberText(text)).toBe(5000);
    }
  });

  it("reads 12345678901234567890 exactly, as pydantic does, and -0 as the integer 0", () => {
    const reading = readIntegerText("12345678901234567890");
    expect(reading).toBeInstanceOf(ExactNumber);
    expect(String(reading)).toBe("12345678901234567890");
    expect(readIntegerText("-0")).toBe(0);
    expect(String(readNumberText("-0"))).toBe("-0.0");
  });
});
