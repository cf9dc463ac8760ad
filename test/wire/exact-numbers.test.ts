import { describe, expect, it } from "vitest";
import { compareNumbers, ExactNumber, isIntegral, numberFromText } from "../../src/wire/exact-number.js";
import { inexactNumberRanges, parseJson, parseJsonString, stringifyJson } from "../../src/wire/json.js";
import { parseClientLine, toLine } from "../../src/wire/jsonrpc.js";
import { serializeParsed } from "../../src/wire/serialize.js";

/** The literals the issue names, each of which JSON.parse + JSON.stringify would change. */
const INEXACT = [
  "12345678901234567890",
  "9007199254740993",
  "123456789012345678901234567890",
  "1e400",
  "-0.0",
];
const ALSO_INEXACT = ["-0", "1.0", "5000.0", "1E5", "1e5", "0.10", "-1e-400", "2e-400"];
const EXACT = ["0", "5", "-5", "1000", "0.5", "-2.5e-7", "1e+21", "9007199254740991", "123456789012345"];

function bytes(text: string): Buffer {
  return Buffer.from(text, "utf8");
}

describe("numberFromText", () => {
  it("gives a JavaScript number where it writes back as the same text", () => {
    for (const text of EXACT) expect(numberFromText(text)).toBe(Number(text));
  });

  it("gives an ExactNumber holding the digits where a JavaScript number would change them", () => {
    for (const text of [...INEXACT, ...ALSO_INEXACT]) {
      const value = numberFromText(text);
      expect(value).toBeInstanceOf(ExactNumber);
      expect((value as ExactNumber).text).toBe(text);
    }
  });

  it("refuses text that is not a JSON number literal", () => {
    for (const text of ["Infinity", "NaN", "05", "+5", "5_000", " 5", "1.", ".5", "0x10", ""]) {
      expect(() => numberFromText(text), text).toThrow(/not a JSON number literal/);
    }
  });
});

describe("isIntegral", () => {
  it("says which numbers are integers exactly, as Python's json.loads then pydantic reads them", () => {
    for (const text of ["12345678901234567890", "5000.0", "1E5", "1.5e1", "-0.0", "0.0", "1.0e0"])
      expect(isIntegral(new ExactNumber(text)), text).toBe(true);
    for (const text of ["0.5", "1e400", "-1e400", "1.25e1", "9007199254740993.5"])
      expect(isIntegral(new ExactNumber(text)), text).toBe(false);
  });
});

describe("compareNumbers", () => {
  const exact = (text: string) => new ExactNumber(text);

  it("orders integers beyond 2^53 by every digit", () => {
    expect(compareNumbers(exact("9007199254740993"), 9007199254740992)).toBe(1);
    expect(compareNumbers(exact("12345678901234567890"), exact("12345678901234567891"))).toBe(-1);
    expect(compareNumbers(exact("123456789012345678901234567890"), 1e29)).toBe(1);
  });

  it("reads -0.0, 5000.0 and 5E3 as the numbers they are", () => {
    expect(compareNumbers(exact("-0.0"), 0)).toBe(0);
    expect(compareNumbers(exact("5000.0"), 5000)).toBe(0);
    expect(compareNumbers(exact("5E3"), exact("5000.00"))).toBe(0);
    expect(compareNumbers(exact("5000.0"), 1000)).toBe(1);
  });

  it("keeps 1e400 above every finite number and -1e400 below", () => {
    expect(compareNumbers(exact("1e400"), Number.MAX_VALUE)).toBe(1);
    expect(compareNumbers(exact("-1e400"), -Number.MAX_VALUE)).toBe(-1);
    expect(compareNumbers(exact("1e400"), exact("1e401"))).toBe(-1);
    expect(compareNumbers(exact("1e-400"), 0)).toBe(1);
    expect(compareNumbers(exact("-1e-400"), 0)).toBe(-1);
  });

  it("compares negative numbers the right way round", () => {
    expect(compareNumbers(exact("-12345678901234567890"), exact("-12345678901234567891"))).toBe(1);
    expect(compareNumbers(-3, exact("-2.0"))).toBe(-1);
  });
});

describe("inexactNumberRanges", () => {
  it("finds nothing in a common line, whose digits and dots sit in strings or read back exactly", () => {
    const line = bytes(
      '{"jsonrpc":"2.0","id":17,"method":"tools/call","params":{"name":"echo","arguments":{"v":"1e400 and 12345678901234567890","n":-5,"f":0.25,"big":9007199254740991,"t":true}}}',
    );
    expect(inexactNumberRanges(line)).toBeNull();
  });

  it("finds each literal JavaScript would change, outside strings only", () => {
    const text = '{"a":"-0.0","b":-0.0,"c":[1e400,"\\"12345678901234567890",12345678901234567890]}';
    const ranges = inexactNumberRanges(bytes(text)) ?? [];
    const found = [];
    for (let i = 0; i < ranges.length; i += 2) found.push(text.slice(ranges[i], ranges[i + 1]));
    expect(found).toEqual(["-0.0", "1e400", "12345678901234567890"]);
  });
});

describe("parseJson and stringifyJson", () => {
  it("carries every inexact literal through parse and serialization with its exact digits", () => {
    for (const literal of [...INEXACT, ...ALSO_INEXACT]) {
      const text = `{"value":${literal},"list":[${literal},{"deep":${literal}}],"s":"x"}`;
      const parsed = parseJson(bytes(text));
      expect(stringifyJson(parsed), literal).toBe(text);
      expect(serializeParsed(parsed, "plain"), literal).toBe(text);
      expect(serializeParsed(parsed, "escaped"), literal).toBe(text);
    }
  });

  it("parses a line without such literals exactly as JSON.parse does", () => {
    const text = '{"a":[1,-2,0.5,"1e400"],"b":{"__proto__":{"x":1}},"c":null,"d":"\\u00e9"}';
    expect(parseJson(bytes(text))).toStrictEqual(JSON.parse(text));
  });

  it("keeps JSON.parse's reading of everything else on the exact path (duplicates, __proto__, escapes)", () => {
    const text = '{"a":1,"a":-0,"__proto__":{"p":1e400},"s":"\\u0000\\"12345678901234567890"}';
    const parsed = parseJson(bytes(text)) as Record<string, unknown>;
    expect(Object.keys(parsed)).toEqual(["a", "__proto__", "s"]);
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect(parsed.s).toBe('\u0000"12345678901234567890');
    expect(stringifyJson(parsed)).toBe(
      '{"a":-0,"__proto__":{"p":1e400},"s":"\\u0000\\"12345678901234567890"}',
    );
  });

  it("refuses what JSON.parse refuses, also next to an inexact literal", () => {
    for (const text of [
      "[1e400,]",
      "[-0.0 1]",
      "[12345678901234567890x]",
      "[-05, 1e400]",
      "[1.2.3]",
      '{"a":1e400',
    ])
      expect(() => parseJson(bytes(text)), text).toThrow(SyntaxError);
  });

  it("reads UTF-8 text around an inexact literal", () => {
    const text = '{"é":"日本","n":1e400,"😀":"x"}';
    expect(stringifyJson(parseJson(bytes(text)))).toBe(text);
  });

  it("indents like JSON.stringify, with the exact digits", () => {
    const value = { a: [1, new ExactNumber("1e400")], b: {}, c: [] };
    expect(stringifyJson(value, 2)).toBe(
      JSON.stringify({ a: [1, 0], b: {}, c: [] }, null, 2).replace(/\n {4}0/, "\n    1e400"),
    );
  });

  it("makes JSON.stringify refuse an ExactNumber rather than write it changed", () => {
    expect(() => JSON.stringify({ n: new ExactNumber("1e400") })).toThrow(/stringifyJson/);
  });
});

describe("parseJson and parseJsonString on text that is not JSON", () => {
  it("refuses a number where a member name must be, even one it keeps exactly", () => {
    for (const text of ["{1.0:2}", '{"a":{12345678901234567890:1}}', "[{-0:1}]"]) {
      expect(() => parseJson(Buffer.from(text)), text).toThrow(SyntaxError);
      expect(() => parseJsonString(text), text).toThrow(SyntaxError);
    }
  });

  it("reads text with a string that never ends in time linear in its length, however many escaped quotes it holds", () => {
    // Each `\"` would start the scan of a string to the text's end again: quadratic, seconds per 64 KB.
    const text = `["${'\\"'.repeat(50_000)}`;
    const startedMs = performance.now();
    expect(() => parseJsonString(text)).toThrow(SyntaxError);
    const elapsedMs = performance.now() - startedMs;
    expect(elapsedMs, "milliseconds to refuse 100 KB of escaped quotes without a string end").toBeLessThan(
      500,
    );
  });

  it("compares a number with a long run of zeros ended by another digit in time linear in its length", () => {
    // /0+$/ tried from every zero of the run: quadratic, 35 s for 100,000 zeros inside one decision.
    const long = new ExactNumber(`1${"0".repeat(100_000)}1.5`);
    const startedMs = performance.now();
    expect(compareNumbers(long, 1000)).toBe(1);
    expect(isIntegral(long)).toBe(false);
    const zeros = "0".repeat(100_000);
    expect(compareNumbers(new ExactNumber(`1${zeros}.000`), new ExactNumber(`1${zeros}`))).toBe(0);
    const elapsedMs = performance.now() - startedMs;
    expect(elapsedMs, "milliseconds to compare three numbers of 100,000 digits").toBeLessThan(2000);
  });

  it("reads JSON text held as a string with its numbers exact, strings untouched", () => {
    const value = parseJsonString('[12345678901234567890, "12345678901234567890", -0.0, 5, "\\"1e400"]');
    expect(stringifyJson(value)).toBe('[12345678901234567890,"12345678901234567890",-0.0,5,"\\"1e400"]');
  });
});

describe("parseClientLine with exact numbers", () => {
  it("refuses a request whose id is an integer beyond 2^53, answering that id with its digits", () => {
    const result = parseClientLine(bytes('{"jsonrpc":"2.0","id":12345678901234567890,"method":"ping"}'));
    expect(result.kind).toBe("invalid");
    if (result.kind !== "invalid") return;
    expect(result.code).toBe(-32600);
    expect(result.message).toMatch(/id 12345678901234567890 is an integer beyond 2\^53/);
    expect(toLine({ jsonrpc: "2.0", id: result.id, error: {} })).toBe(
      '{"jsonrpc":"2.0","id":12345678901234567890,"error":{}}\n',
    );
  });

  it("refuses a request whose id is a number but no integer, answering that id as it was sent", () => {
    for (const id of ["1.0", "1e0", "-0", "1.5", "-2.50"]) {
      const result = parseClientLine(bytes(`{"jsonrpc":"2.0","id":${id},"method":"ping"}`));
      expect(result.kind).toBe("invalid");
      if (result.kind !== "invalid") return;
      expect(result.code).toBe(-32600);
      expect(toLine({ jsonrpc: "2.0", id: result.id, error: {} })).toBe(
        `{"jsonrpc":"2.0","id":${id},"error":{}}\n`,
      );
    }
    const boolean = parseClientLine(bytes('{"jsonrpc":"2.0","id":true,"method":"ping"}'));
    expect(boolean.kind === "invalid" && boolean.id).toBe(null);
  });

  it("passes a response to a server request with such an id, id exact", () => {
    const result = parseClientLine(bytes('{"jsonrpc":"2.0","id":9007199254740993,"result":{}}'));
    expect(result.kind).toBe("response");
    if (result.kind !== "response") return;
    expect(toLine(result.message)).toBe('{"jsonrpc":"2.0","id":9007199254740993,"result":{}}\n');
  });

  it("refuses ids 1.0 and -0, which are no integers a client can be answered with unchanged", () => {
    for (const id of ["1.0", "-0", "1e2"]) {
      const result = parseClientLine(bytes(`{"jsonrpc":"2.0","id":${id},"method":"ping"}`));
      expect(result.kind, id).toBe("invalid");
    }
  });

  it("forwards arguments, _meta and progress tokens with their exact digits", () => {
    const text =
      '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"t","arguments":{"n":12345678901234567890,"z":-0.0},"_meta":{"progressToken":9007199254740993,"x":1e400}}}';
    const result = parseClientLine(bytes(text));
    expect(result.kind).toBe("request");
    if (result.kind !== "request") return;
    expect(toLine(result.message)).toBe(`${text}\n`);
  });
});
