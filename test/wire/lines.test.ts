import { describe, expect, it } from "vitest";
import { framedLine, LineSplitter } from "../../src/wire/lines.js";

function split(chunks: Array<string | Buffer>, maxLineBytes = 1024) {
  const lines: string[] = [];
  const framed: string[] = [];
  const oversize: Array<{ seen: number; head: string }> = [];
  const splitter = new LineSplitter(
    {
      line: (content, framedBytes) => {
        lines.push(content.toString("utf8"));
        framed.push(framedLine(content, framedBytes).toString("utf8"));
      },
      oversize: (seen, head) => oversize.push({ seen, head: head.toString("utf8") }),
    },
    maxLineBytes,
  );
  for (const chunk of chunks) splitter.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return { lines, framed, oversize, partial: splitter.endInput()?.toString("utf8") ?? null };
}

describe("LineSplitter", () => {
  it("splits several lines in one chunk", () => {
    expect(split(["a\nb\nc\n"]).lines).toEqual(["a", "b", "c"]);
  });

  it("joins a line that arrives in many chunks", () => {
    const result = split(['{"a":', '1,"b"', ":2}", "\n"]);
    expect(result.lines).toEqual(['{"a":1,"b":2}']);
    expect(result.framed).toEqual(['{"a":1,"b":2}\n']);
  });

  it("strips a trailing carriage return but keeps it in the framed bytes", () => {
    const result = split(["x\r\n"]);
    expect(result.lines).toEqual(["x"]);
    expect(result.framed).toEqual(["x\r\n"]);
  });

  it("frames each line of a chunk with its own terminator, also when \\r and \\n arrive apart", () => {
    const result = split(["a\nb\r\nc\r", "\nd\n"]);
    expect(result.lines).toEqual(["a", "b", "c", "d"]);
    expect(result.framed).toEqual(["a\n", "b\r\n", "c\r\n", "d\n"]);
  });

  it("keeps a multi-byte character split across chunks intact", () => {
    const bytes = Buffer.from("é\n");
    expect(split([bytes.subarray(0, 1), bytes.subarray(1)]).lines).toEqual(["é"]);
  });

  it("holds an unfinished line until its newline comes", () => {
    const result = split(["ab", "c"]);
    expect(result.lines).toEqual([]);
    expect(result.partial).toBe("abc");
  });

  it("hands back nothing at the input's end after a whole line, or inside a line over the ceiling (oversize told of it)", () => {
    expect(split(["abc\n"]).partial).toBeNull();
    const result = split(["x".repeat(20), "y"], 16);
    expect(result.oversize).toHaveLength(1);
    expect(result.partial).toBeNull();
  });

  it("has no 64 KB limit", () => {
    const long = "x".repeat(200_000);
    expect(split([long.slice(0, 70_000), long.slice(70_000), "\n"], 1_000_000).lines).toEqual([long]);
  });

  it("reports a line over the ceiling once, drops it, and goes on with the next line", () => {
    const result = split(['{"id":7,"x":"', "y".repeat(600), "y".repeat(600), '"}\nnext\n'], 1000);
    expect(result.lines).toEqual(["next"]);
    expect(result.oversize).toHaveLength(1);
    expect(result.oversize[0]?.head.startsWith('{"id":7')).toBe(true);
  });

  it("hands the start of a line over the ceiling to oversize however the line was cut into chunks", () => {
    const result = split(['prev\n{"jsonrpc":', '"2.0","id":', '7,"x":"', "y".repeat(1200), '"}\n'], 1000);
    expect(result.lines).toEqual(["prev"]);
    expect(result.oversize).toHaveLength(1);
    expect(result.oversize[0]?.head.startsWith('{"jsonrpc":"2.0","id":7,"x":"yyy')).toBe(true);
  });

  it("counts a line's content toward the ceiling, not its terminator, in one chunk or in many", () => {
    const atCeiling = "a".repeat(1000);
    const over = "b".repeat(1001);
    for (const chunks of [
      [`${atCeiling}\n${over}\n`],
      [atCeiling.slice(0, 400), atCeiling.slice(400), "\n", over.slice(0, 999), `${over.slice(999)}\n`],
      [atCeiling, "\n", over, "\n"],
      // A carriage return before the newline is content here, as in one chunk.
      [atCeiling.slice(0, 10), `${atCeiling.slice(10, 999)}\r\n`, over.slice(0, 1000), "\r\n"],
    ]) {
      const result = split(chunks, 1000);
      expect(result.lines).toEqual([
        chunks.join("").startsWith(`${"a".repeat(999)}\r`) ? "a".repeat(999) : atCeiling,
      ]);
      expect(result.oversize.map((entry) => entry.seen)).toEqual([1001]);
    }
  });

  it("reports a single-chunk line over the ceiling", () => {
    const result = split([`${"z".repeat(2000)}\nok\n`], 1000);
    expect(result.lines).toEqual(["ok"]);
    expect(result.oversize.map((entry) => entry.seen)).toEqual([2000]);
  });
});
