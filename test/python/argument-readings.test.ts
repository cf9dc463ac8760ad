import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { readArguments } from "../../src/arguments/read.js";
import { otherReadings } from "../../src/arguments/readings.js";
import { compileInputSchema, Type } from "../../src/arguments/schema.js";
import { ExactNumber } from "../../src/wire/exact-number.js";
import { parseJsonString, stringifyJson } from "../../src/wire/json.js";
import { within } from "../helpers/deadline.js";
import { pythonWithMcp } from "../helpers/python-sdk.js";
import { type Random, seededRandom } from "../helpers/random.js";

// A differential test of src/arguments against the Python SDK itself: for tools whose one parameter
// `v` has each annotation in test/servers/pydantic_arguments.py, the inputSchema the SDK lists is read
// by policylayer, and the arguments policylayer forwards are validated by the SDK (its JSON-RPC
// parsing, pre_parse_json and the pydantic model func_metadata builds). What the tool receives must be
// what policylayer decided on.
const harness = fileURLToPath(new URL("../servers/pydantic_arguments.py", import.meta.url));
const SEED = 20261203;

/** One case's verdict from the harness: the tool's value from what was sent and from what was forwarded (null: refused). */
interface Verdict {
  sent: string | null;
  forwarded: string | null;
  agrees: boolean | null;
  same: boolean | null;
  /** The tool's value from what was sent is one of the readings of what was sent. */
  unschemed: boolean | null;
}

type Tagged = [string, ...unknown[]];

async function runHarness<T>(python: string, input: unknown): Promise<T> {
  const output = new Promise<T>((resolve, reject) => {
    const child = execFile(python, [harness], { maxBuffer: 256 << 20 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${harness} failed: ${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as T);
    });
    child.stdin?.end(JSON.stringify(input));
  });
  return within(output, 120_000, `${harness}`);
}

/** A reading as the harness compares it: numbers tagged as doubles or exact decimals, each scalar with the other readings conditions match. */
function tagged(value: unknown): Tagged {
  if (Array.isArray(value)) return ["l", value.map(tagged)];
  if (typeof value === "object" && value !== null && !(value instanceof ExactNumber))
    return ["d", Object.entries(value).map(([key, item]) => [key, tagged(item)])];
  // A reading that is a list or an object (JSON text) has its own items' readings, as a path walks into it.
  const others = otherReadings(value, ALL_TYPES).map((other) =>
    typeof other === "object" && other !== null && !(other instanceof ExactNumber)
      ? tagged(other)
      : scalarTag(other),
  );
  return [...scalarTag(value), others];
}

function scalarTag(value: unknown): Tagged {
  if (value instanceof ExactNumber) return ["x", value.text];
  if (typeof value === "number") return ["f", String(value)];
  if (typeof value === "string") return ["s", value];
  if (typeof value === "boolean") return ["b", value];
  return ["null"];
}

const ALL_TYPES = Object.values(Type).reduce((bits, bit) => bits | bit, 0);

/** Number literals, each also sent as a string. */
const NUMBER_LITERALS = [
  "5000",
  "5000.0",
  "5e3",
  "-0",
  "-0.0",
  "0",
  "1",
  "2",
  "0.0",
  "1.0",
  "1.5",
  "1e400",
  "-1e400",
  "1e-400",
  "12345678901234567890",
  "9007199254740993",
  "5000.0000000000001",
  "1.0000000000000001",
  "9007199254740993.0",
  "-9007199254740993.0",
  "1e21",
  "1e+21",
  "9.2e18",
  "9.3e18",
  "1e300",
  "123456789012345678901234.5",
  "1234567890123456789.5",
];
const NUMBER_SPELLINGS = [
  ...NUMBER_LITERALS,
  " 5000 ",
  "5_000",
  "5000.00",
  "5000.",
  "5E3",
  "5.0e3",
  "+5000",
  "05000",
  "-5000",
  "0x10",
  "0b1",
  "0o7",
  "inf",
  "-inf",
  "Infinity",
  "-Infinity",
  "nan",
  "NaN",
  "1000.0000000000000001",
  "\u00a05000",
  "\u30005000",
  "\u20285000",
  "\ufeff5000",
  "5000\u0085",
  "5000\u0000",
  "5000\t",
  "５０００",
  "١٢٣",
  "5__000",
  "_5000",
  "5000_",
  "1_000.000_1",
  "1/2",
];
const WORD_SPELLINGS = [
  "true",
  "True",
  "TRUE",
  "yes",
  "YES",
  "on",
  "t",
  "y",
  "false",
  "False",
  "no",
  "off",
  "f",
  "n",
  " true",
  "true\n",
  "red",
  "RED",
  "Red",
  " red",
  "green",
  "a",
  "A",
  "b",
  "HIGH",
  "LOW",
  "null",
  "NULL",
  "None",
  "",
  " ",
  "2024-01-01T00:00:00Z",
  "2024-01-01",
  "1700000000",
  "aGVsbG8=",
  "ab\u0000c",
  "hello",
  "héllo",
  "\ud800",
];
const TEXT_SPELLINGS = [
  "[]",
  "[1,2]",
  "[1, 2, 1]",
  " [ 1 , 2 ] ",
  '["1", "2"]',
  '[" 5 "]',
  "[1.0]",
  "[1.5]",
  "[1e400]",
  "[NaN]",
  "[Infinity]",
  "[12345678901234567890]",
  "[true]",
  "[null]",
  '[1, "a"]',
  '["a", 1]',
  "[[1]]",
  '["[1]"]',
  "{}",
  '{"a": 1}',
  '{"a": "1"}',
  '{"a": 1, "a": 2}',
  '{"1": "x"}',
  '{" 1": "x", "01": "y"}',
  '{"Count": 5}',
  '{"count": 5}',
  '{"Count": "5"}',
  '{"Count": 5, "count": 6}',
  '{"Count": "5", "label": 1}',
  '[{"Count": "50"}]',
  '{"items": [{"Count": "7"}]}',
  '{"items": "[{\\"Count\\": 7}]"}',
  '{"items": [], "limits": {"a": "1"}}',
  '{"a": [1, "2"]}',
  "[1,2",
  '"5"',
  '"[1]"',
  "5",
  "true",
  "\t[1]\n",
  "\ufeff[1]",
  '{"1": "\\ud800"}',
  '["\\ud83d\\ude00"]',
];
const JSON_VALUES = [
  ...NUMBER_LITERALS,
  "true",
  "false",
  "null",
  "[]",
  "[1, 2]",
  '["1", "2"]',
  '[" 5 "]',
  "[true]",
  "[1.5]",
  "[5000.0]",
  '["[1]"]',
  "[[1]]",
  "[1, 1]",
  '[1, "2"]',
  '["a", 1]',
  "{}",
  '{"a": 1}',
  '{"a": "1"}',
  '{"1": "x"}',
  '{" 1": "x", "01": "y"}',
  '{"Count": 5}',
  '{"count": 5}',
  '{"Count": "5", "label": 1}',
  '{"Count": 5, "count": 6}',
  '[{"Count": "50"}]',
  '{"items": [{"Count": "7"}]}',
  '{"items": "[{\\"Count\\": 7}]"}',
  '{"items": [], "limits": {"a": "1"}}',
  '{"a": [1, "2"]}',
  '{"a": "5", "b": "yes"}',
  '{"a": 5, "b": 1}',
  '{"a": 5.0}',
  '[[1, 1], ["2", "no"]]',
  "[[1.0, 1.0]]",
  '{"a": null, "b": "3"}',
  `[${"9".repeat(5000)}]`,
];

/** A number spelled at random from the pieces pydantic's readers treat specially. */
function randomNumberText(random: Random): string {
  const space = () =>
    random.chance(0.8) ? "" : random.pick([" ", "\t", "\n", "\u00a0", "\u3000", "\u0085"]);
  const digits = () =>
    Array.from({ length: 1 + Math.floor(random.next() * 4) }, () =>
      random.pick(["0", "1", "5", "9", "_", "0"]),
    ).join("");
  let text = space() + random.pick(["", "", "+", "-", "--", "+-"]) + digits();
  if (random.chance(0.4)) text += `.${random.chance(0.8) ? digits() : ""}`;
  if (random.chance(0.2)) text += random.pick(["e", "E"]) + random.pick(["", "+", "-"]) + digits();
  return text + space();
}

/** JSON text for a list or an object, at random, with spelled numbers inside. */
function randomContainerText(random: Random, depth: number): string {
  const item = (): string => {
    const kind = random.pick(["number", "string", "bool", "nested", "number"]);
    if (kind === "number") return random.pick(NUMBER_LITERALS.slice(0, 18));
    if (kind === "string")
      return JSON.stringify(random.chance(0.5) ? randomNumberText(random) : random.pick(WORD_SPELLINGS));
    if (kind === "bool") return random.pick(["true", "false", "null"]);
    return depth > 1 ? "1" : randomContainerText(random, depth + 1);
  };
  const count = Math.floor(random.next() * 4);
  const gap = () => random.pick(["", "", " ", "\n"]);
  if (random.chance(0.5)) return `[${Array.from({ length: count }, () => gap() + item() + gap()).join(",")}]`;
  const key = () =>
    JSON.stringify(random.pick(["a", "1", " 1", "01", "Count", "count", "label", "items", "limits"]));
  return `{${Array.from({ length: count }, () => `${gap()}${key()}:${gap()}${item()}`).join(",")}}`;
}

/** The values of `v` tried for every type, as JSON text: named ones, then seeded random ones. */
function valueTexts(): string[] {
  const random = seededRandom(SEED);
  const strings = [...NUMBER_SPELLINGS, ...WORD_SPELLINGS, ...TEXT_SPELLINGS];
  for (let i = 0; i < 150; i++) strings.push(randomNumberText(random));
  for (let i = 0; i < 60; i++) strings.push(randomContainerText(random, 0));
  const values = [...JSON_VALUES];
  for (let i = 0; i < 60; i++) values.push(randomContainerText(random, 0));
  return [...new Set([...values, ...strings.map((text) => JSON.stringify(text))])];
}

/**
 * Dates and times: a condition compares the text as sent, not the moment pydantic reads from it
 * ("1700000000" and "2023-11-14T22:13:20Z" are one datetime); their readings are not modeled.
 */
const UNMODELED = new Set(["datetime", "date"]);

/** An infinity or NaN (as text, in JSON text, or a literal beyond a double), which JSON cannot carry to the tool. */
const BEYOND_JSON = /inf|nan|e\+?0*[4-9]\d\d|e\+?\d{4}/i;

/**
 * The refusals of a call the tool would take that are by design: a value JSON cannot carry, a
 * field's own name beside its alias (undeclared, README), a number for a date; and a literal no
 * double holds for a Literal that has its double (1.0000000000000001 for Literal[1, "1"]), a gap left open.
 */
function knownRefusal(c: Case): boolean {
  if (BEYOND_JSON.test(c.value) || UNMODELED.has(c.type)) return true;
  if (c.problem?.includes("is not declared by the tool's inputSchema")) return true;
  // JSON text with "\ud800": Python's json.loads takes it, the server's parser refuses it passed on.
  if (c.problem?.includes("lone surrogate")) return true;
  // A union of models: a key one model does not declare (b, label) is refused there too, where pydantic drops it.
  if (c.type.includes("Small") && objectKeys(c.value).some((key) => key !== "a")) return true;
  return c.type.startsWith("Literal[") && c.value === "1.0000000000000001";
}

/** The keys of the object `json` is, or is JSON text of; none where it is no object. */
function objectKeys(json: string): string[] {
  let value: unknown = JSON.parse(json);
  if (typeof value === "string") {
    try {
      value = JSON.parse(value);
    } catch {
      return [];
    }
  }
  return typeof value === "object" && value !== null && !Array.isArray(value) ? Object.keys(value) : [];
}

interface Case {
  type: string;
  value: string;
  /** What policylayer forwards (the arguments' JSON text), or null where it refuses the call. */
  forwarded: string | null;
  ours: Tagged | null;
  problem: string | null;
  /** The value as sent, with the readings conditions match where no schema types it. */
  sent: Tagged;
}

function ourCases(schemas: Record<string, unknown>): Case[] {
  const cases: Case[] = [];
  for (const [type, schema] of Object.entries(schemas)) {
    const compiled = compileInputSchema(schema);
    if (compiled === null) throw new Error(`the schema for ${type} did not compile`);
    for (const value of valueTexts()) {
      const args = parseJsonString(`{"v": ${value}}`) as Record<string, unknown>;
      const reading = readArguments(compiled, args, { allowUndeclared: false });
      const sent = tagged(args.v);
      cases.push(
        reading.ok
          ? {
              type,
              value,
              forwarded: stringifyJson(reading.arguments),
              ours: "v" in reading.arguments ? tagged(reading.arguments.v) : ["missing"],
              problem: null,
              sent,
            }
          : { type, value, forwarded: null, ours: null, problem: reading.problem.problem, sent },
      );
    }
  }
  return cases;
}

for (const major of [1, 2] as const) {
  describe(`arguments read as the Python SDK ${major}.x reads them, type by type`, () => {
    let cases: Case[];
    let verdicts: Verdict[];

    beforeAll(async () => {
      const python = await pythonWithMcp(major);
      const schemas = await runHarness<Record<string, unknown>>(python, { schemas: true });
      cases = ourCases(schemas);
      verdicts = await runHarness<Verdict[]>(python, {
        cases: cases.map((c) => [c.type, `{"v": ${c.value}}`, c.forwarded, c.ours, c.sent]),
      });
    }, 240_000);

    /** The cases `keep` picks, each with what policylayer and the tool made of it. */
    function picked(keep: (c: Case, v: Verdict) => boolean) {
      return cases.flatMap((c, i) => {
        const v = verdicts[i] as Verdict;
        if (!keep(c, v)) return [];
        return [
          {
            type: c.type,
            value: c.value,
            ours: c.ours,
            problem: c.problem,
            policylayerForwards: c.forwarded,
            toolFromSent: v.sent,
            toolFromForwarded: v.forwarded,
            agrees: v.agrees,
          },
        ];
      });
    }

    it("decides on the value the tool receives from what is forwarded (or on readings that include it)", () => {
      expect(picked((c, v) => c.ours !== null && v.agrees === false && !UNMODELED.has(c.type))).toEqual([]);
    });

    it("without a schema, matches conditions on every reading, the tool's value among them", async () => {
      // A model's field given by its own name (count for Count) is a reading only its schema tells.
      const found = picked(
        (c, v) => v.unschemed === false && !UNMODELED.has(c.type) && !objectKeys(c.value).includes("count"),
      );
      (await import("node:fs")).writeFileSync(`/tmp/argfuzz-u${major}.json`, JSON.stringify(found, null, 1));
      expect(found).toEqual([]);
    });

    it("forwards what the tool reads as it would have read the arguments as sent", () => {
      expect(picked((_c, v) => v.same === false)).toEqual([]);
    });

    it("never forwards a call the tool refuses where it would have taken the call as sent", () => {
      expect(picked((c, v) => c.ours !== null && v.forwarded === null && v.sent !== null)).toEqual([]);
    });

    it("refuses what the tool takes only where it cannot be carried or decided", () => {
      expect(picked((c, v) => c.ours === null && v.sent !== null && !knownRefusal(c))).toEqual([]);
    });

    it("reads what the tool refuses only for an enum or a Literal, whose schema an IntEnum or a str Enum shares", () => {
      const invented = picked((c, v) => c.ours !== null && v.sent === null && v.forwarded !== null);
      expect(invented.filter((c) => !c.type.includes("Literal[") && c.type !== "Decimal")).toEqual([]);
      // Decimal takes no boolean; its schema (a number or a string) is that of float | str, which does.
      expect(invented.filter((c) => c.type === "Decimal").map((c) => c.value)).toEqual(["true", "false"]);
    });
  });
}
