import { describe, expect, it } from "vitest";
import { ExactNumber } from "../../src/wire/exact-number.js";
import { parseClientLine, toolCallLine } from "../../src/wire/jsonrpc.js";
import { parseRange, peekMembers, scanMembers } from "../../src/wire/peek.js";
import { plainJson } from "../../src/wire/serialize.js";

const parse = (text: string) => parseClientLine(Buffer.from(text));

describe("parseClientLine", () => {
  it("classifies requests, notifications and responses", () => {
    expect(parse('{"jsonrpc":"2.0","id":1,"method":"ping"}')).toMatchObject({
      kind: "request",
      id: 1,
      method: "ping",
    });
    expect(parse('{"jsonrpc":"2.0","method":"notifications/initialized"}')).toMatchObject({
      kind: "notification",
    });
    expect(parse('{"jsonrpc":"2.0","id":"a","result":{}}')).toMatchObject({ kind: "response", id: "a" });
  });

  it.each([
    ["invalid JSON", "{", -32700, null],
    ["a batch", '[{"jsonrpc":"2.0","id":1,"method":"ping"}]', -32600, null],
    ["a non-object", '"hello"', -32600, null],
    ["a wrong jsonrpc version", '{"jsonrpc":"1.0","id":4,"method":"ping"}', -32600, 4],
    ["a fractional id", '{"jsonrpc":"2.0","id":1.5,"method":"ping"}', -32600, 1.5],
    // Answered with its exact digits (see exact-numbers.test.ts), no longer dropped unanswered.
    [
      "an unsafe integer id",
      '{"jsonrpc":"2.0","id":12345678901234567890,"method":"ping"}',
      -32600,
      new ExactNumber("12345678901234567890"),
    ],
    ["a null id", '{"jsonrpc":"2.0","id":null,"method":"ping"}', -32600, null],
    ["an empty method", '{"jsonrpc":"2.0","id":5,"method":""}', -32600, 5],
    ["array params", '{"jsonrpc":"2.0","id":6,"method":"x","params":[1]}', -32600, 6],
    ["an extra member", '{"jsonrpc":"2.0","id":7,"method":"x","extra":true}', -32600, 7],
    [
      "a response with both result and error",
      '{"jsonrpc":"2.0","id":8,"result":{},"error":{}}',
      -32600,
      null,
    ],
    ["trailing bytes", '{"jsonrpc":"2.0","id":9,"method":"x"}x', -32700, null],
  ])("refuses %s", (_label, text, code, id) => {
    expect(parse(text)).toMatchObject({ kind: "invalid", code, id });
  });

  it("refuses invalid UTF-8", () => {
    const bytes = Buffer.concat([
      Buffer.from('{"jsonrpc":"2.0","id":1,"method":"'),
      Buffer.from([0xff]),
      Buffer.from('"}'),
    ]);
    expect(parseClientLine(bytes)).toMatchObject({ kind: "invalid", code: -32700 });
  });
});

describe("peekMembers", () => {
  const wanted = ["id", "result", "error", "method"];

  it("finds the id wherever it stands, past large strings with escapes", () => {
    const line = Buffer.from(
      JSON.stringify({ result: { text: 'a "quoted" \\ text}{][', isError: false }, jsonrpc: "2.0", id: 42 }),
    );
    const members = peekMembers(line, wanted);
    const id = members?.get("id");
    expect(id && parseRange(line, id)).toBe(42);
    const result = members?.get("result");
    expect(result && parseRange(line, result)).toEqual({ text: 'a "quoted" \\ text}{][', isError: false });
  });

  it("reads only top-level members, not nested ones with the same name", () => {
    const line = Buffer.from('{"result":{"id":"inner","method":"x"},"id":"outer"}');
    const members = peekMembers(line, wanted);
    expect(members?.has("method")).toBe(false);
    const id = members?.get("id");
    expect(id && parseRange(line, id)).toBe("outer");
  });

  it("returns null for bytes it cannot walk", () => {
    expect(peekMembers(Buffer.from('{"id":1,'), wanted)).toBeNull();
    expect(peekMembers(Buffer.from("[1,2]"), wanted)).toBeNull();
  });

  it("with partial, returns what the head of a cut line shows", () => {
    const head = Buffer.from('{"jsonrpc":"2.0","id":9,"result":{"content":[{"text":"xxxx');
    const id = peekMembers(head, wanted, 0, head.length, true)?.get("id");
    expect(id && parseRange(head, id)).toBe(9);
  });
});

describe("scanMembers with a nested scan", () => {
  const wanted = ["id", "result", "error", "method"];
  /** The id and the text of isError inside result, as one pass finds them; null when the line is not walkable. */
  function scan(text: string): { id: unknown; isError: string | null } | null {
    const line = Buffer.from(text);
    const ranges = new Int32Array(8);
    const nested = { member: 1, wanted: ["isError"], ranges: new Int32Array(2) };
    if (!scanMembers(line, { wanted, ranges, nested })) return null;
    const id = ranges[0] === -1 ? undefined : parseRange(line, [ranges[0] as number, ranges[1] as number]);
    const [start, end] = nested.ranges as unknown as [number, number];
    return { id, isError: start === -1 ? null : line.toString("utf8", start, end) };
  }

  it("finds isError inside result in the same pass, wherever it stands", () => {
    expect(scan('{"jsonrpc":"2.0","id":1,"result":{"content":[],"isError":true}}')).toEqual({
      id: 1,
      isError: "true",
    });
    expect(scan('{"result":{"isError" : false,"content":[{"text":"x"}]},"id":2}')).toEqual({
      id: 2,
      isError: "false",
    });
    expect(scan('{"id":3,"result":{"content":[{"type":"text","text":"}{"}]}}')).toEqual({
      id: 3,
      isError: null,
    });
  });

  it("reads isError only one level down, and not inside strings", () => {
    expect(scan('{"id":4,"result":{"content":[{"isError":true}],"text":"\\"isError\\":true"}}')).toEqual({
      id: 4,
      isError: null,
    });
    expect(scan('{"id":5,"error":{"isError":true}}')).toEqual({ id: 5, isError: null });
  });

  it("reads what JSON.parse reads: the last duplicate result, escaped keys", () => {
    expect(scan('{"id":6,"result":{"isError":true},"result":{"content":[]}}')).toEqual({
      id: 6,
      isError: null,
    });
    expect(scan('{"id":7,"result":{"isError":true},"result":"text"}')).toEqual({ id: 7, isError: null });
    expect(scan('{"id":8,"result":{"content":[]},"result":{"is\\u0045rror":true}}')).toEqual({
      id: 8,
      isError: "true",
    });
    expect(scan('{"id":9,"result":{"isError":false,"isError":true}}')).toEqual({ id: 9, isError: "true" });
  });

  it("skips a result it cannot walk as any other value, and still finds the id", () => {
    // Braces match, so the outer walk goes on; the inner one gives up on the missing colon.
    expect(scan('{"result":{"isError":true,"x" 1},"id":10}')).toEqual({ id: 10, isError: null });
    expect(scan('{"id":11,"result":{"isError":true')).toBeNull();
  });
});

describe("toolCallLine", () => {
  it("means exactly what the message means, with the arguments' text reused", () => {
    const params = {
      name: "echo",
      arguments: { b: [1, { c: 'é\n"' }], a: null },
      _meta: { progressToken: 7 },
    };
    const line = toolCallLine(42, params, JSON.stringify(params.arguments));
    expect(line.endsWith("}\n")).toBe(true);
    expect(JSON.parse(line)).toEqual({ jsonrpc: "2.0", id: 42, method: "tools/call", params });
  });

  it("writes the same text by the plain path for a line without escapes", () => {
    const message = {
      jsonrpc: "2.0",
      id: "req-7",
      method: "tools/call",
      params: {
        name: "write_file",
        arguments: { path: "/tmp/é.txt", lines: [1, 2.5, null, true] },
        _meta: { progressToken: 3 },
      },
    };
    const line = Buffer.from(JSON.stringify(message));
    const parsed = parseClientLine(line);
    if (parsed.kind !== "request") throw new Error("expected a request");
    // Not ASCII (é), but without an escape: plain.
    expect(parsed.text).toBe("plain");
    const params = parsed.message.params as Record<string, unknown>;
    expect(toolCallLine(parsed.id, params, plainJson(params.arguments), parsed.text)).toBe(
      `${line.toString()}\n`,
    );
  });

  it("keeps string ids as strings", () => {
    const line = toolCallLine("a-1", { name: "x" }, "{}");
    expect(JSON.parse(line)).toEqual({
      jsonrpc: "2.0",
      id: "a-1",
      method: "tools/call",
      params: { name: "x" },
    });
  });
});

describe("peekMembers reads what JSON.parse reads", () => {
  const wanted = ["id", "result"];
  it("takes the last of duplicate members, as the client's JSON.parse does", () => {
    const line = Buffer.from('{"id":999,"result":{},"id":5}');
    const id = peekMembers(line, wanted)?.get("id");
    expect(id && parseRange(line, id)).toBe(JSON.parse(line.toString()).id);
  });

  it("decodes escaped keys", () => {
    const line = Buffer.from('{"\\u0069d":7,"result":{}}');
    const id = peekMembers(line, wanted)?.get("id");
    expect(id && parseRange(line, id)).toBe(7);
  });
});

describe("parseRange", () => {
  it("reads every id form exactly as JSON.parse does, digits read directly or not", () => {
    for (const text of [
      "0",
      "7",
      "42",
      "123456789012345",
      "1234567890123456789",
      "-5",
      "1.5",
      "1e3",
      '"7"',
      "null",
    ]) {
      const bytes = Buffer.from(`{"id":${text}}`);
      expect(parseRange(bytes, [6, 6 + text.length])).toStrictEqual(JSON.parse(text));
    }
  });

  it("refuses what JSON.parse refuses (a leading zero)", () => {
    const bytes = Buffer.from('{"id":007}');
    expect(() => parseRange(bytes, [6, 9])).toThrow();
  });
});
