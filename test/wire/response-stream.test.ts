// The piecewise read of a long server line must read what the whole-line scan reads: over
// generated lines cut at random places (inside strings, escapes, keys and numbers), and over the
// same lines with a byte changed, a read that completes finds exactly the members scanMembers finds.
import { describe, expect, it } from "vitest";
import { scanMembers } from "../../src/wire/peek.js";
import { answerIdsOf, type MemberValue, ResponseStreamScan } from "../../src/wire/response-stream.js";
import { object, space } from "../helpers/generated-json.js";
import { type Random, seededRandom } from "../helpers/random.js";

const TOP = ["id", "result", "error", "method"] as const;
const INNER = ["isError", "resultType", "requestState"] as const;

/** The bytes cut into one to eight pieces at random places (pieces of one byte included). */
function cut(random: Random, bytes: Buffer): Buffer[] {
  const cuts = new Set<number>();
  const count = Math.floor(random.next() * 8);
  for (let index = 0; index < count; index++) cuts.add(Math.floor(random.next() * bytes.length));
  const at = [0, ...[...cuts].sort((a, b) => a - b).filter((cut) => cut > 0), bytes.length];
  return at.slice(1).map((end, index) => bytes.subarray(at[index], end));
}

function streamed(pieces: Buffer[]): ResponseStreamScan {
  const scan = new ResponseStreamScan();
  for (const piece of pieces) scan.feed(piece);
  return scan;
}

/** What scanMembers finds of the same members in the whole line, as values; null when it cannot walk it. */
function wholeLine(bytes: Buffer): { top: MemberValue[]; inner: MemberValue[] } | null {
  const ranges = new Int32Array(2 * TOP.length);
  const innerRanges = new Int32Array(2 * INNER.length);
  const found = scanMembers(bytes, {
    wanted: TOP,
    ranges,
    nested: { member: 1, wanted: INNER, ranges: innerRanges },
  });
  if (!found) return null;
  const values = (from: Int32Array, count: number) =>
    Array.from({ length: count }, (_, index) => {
      const start = from[2 * index] as number;
      return start === -1 ? null : Buffer.from(bytes.subarray(start, from[2 * index + 1]));
    });
  return { top: values(ranges, TOP.length), inner: values(innerRanges, INNER.length) };
}

function expectSameReading(scan: ResponseStreamScan, bytes: Buffer, where: string): void {
  const whole = wholeLine(bytes);
  expect(whole, `${where}: the whole-line scan walks it too`).not.toBeNull();
  if (whole === null) return;
  TOP.forEach((name, index) => {
    const mine = scan.member(name);
    const theirs = whole.top[index] ?? null;
    if (name === "result" && mine === "long") expect(theirs, `${where}: result`).not.toBeNull();
    else expect(mine, `${where}: ${name}`).toEqual(theirs);
  });
  INNER.forEach((name, index) => {
    expect(scan.resultMember(name), `${where}: result.${name}`).toEqual(whole.inner[index] ?? null);
  });
}

describe("ResponseStreamScan against scanMembers, over generated lines cut into pieces", () => {
  it("reads every generated object to its end, with the members the whole-line scan finds", () => {
    for (let seed = 1; seed <= 3000; seed++) {
      const random = seededRandom(seed);
      const line = `${space(random)}${object(random, 0)}${space(random)}\n`;
      const bytes = Buffer.from(line);
      const where = `seed ${seed}: ${line}`;
      const scan = streamed(cut(random, bytes));
      expect(scan.complete, `${where}: complete`).toBe(true);
      expectSameReading(scan, bytes, where);
    }
  });

  it("completes a line with a byte changed only when the whole-line scan reads the same members", () => {
    const replacements = [...'{}[]":,\\ 0a'].map((c) => c.charCodeAt(0));
    let completed = 0;
    let failed = 0;
    for (let seed = 1; seed <= 4000; seed++) {
      const random = seededRandom(seed);
      const bytes = Buffer.from(`${object(random, 0)}\n`);
      const at = Math.floor(random.next() * (bytes.length - 1));
      bytes[at] = random.pick(replacements);
      const scan = streamed(cut(random, bytes));
      if (!scan.complete) {
        failed++;
        continue;
      }
      completed++;
      expectSameReading(scan, bytes, `seed ${seed}: ${bytes.toString()}`);
    }
    // Both kinds occur, so both paths were exercised.
    expect(completed).toBeGreaterThan(500);
    expect(failed).toBeGreaterThan(500);
  });

  it("knows the id as soon as its value is complete, before the rest of the line has come", () => {
    const scan = new ResponseStreamScan();
    scan.feed(Buffer.from('{"jsonrpc":"2.0","id":12'));
    expect(scan.idSoFar).toBeNull();
    scan.feed(Buffer.from('3,"result":{"content":[{"type":"text","text":"xx'));
    expect(scan.idSoFar).toEqual(Buffer.from("123"));
    scan.feed(Buffer.from('x"}],"isError":true}}\r\n'));
    expect(scan.complete).toBe(true);
    expect(scan.resultMember("isError")).toEqual(Buffer.from("true"));
  });

  it("has no id so far before a result or an error, or once a method was seen, and fails on bytes after the object", () => {
    const request = new ResponseStreamScan();
    request.feed(Buffer.from('{"id":1,"method":"sampling/createMessage","params":{"x":'));
    expect(request.idSoFar).toBeNull();
    // A request of the server's may put its params before its method: its id is of the server's space.
    const paramsFirst = new ResponseStreamScan();
    paramsFirst.feed(Buffer.from('{"jsonrpc":"2.0","id":1,"params":{"x":"'));
    expect(paramsFirst.idSoFar).toBeNull();
    const error = new ResponseStreamScan();
    error.feed(Buffer.from('{"jsonrpc":"2.0","id":1,"error":{"code":-1,"message":"'));
    expect(error.idSoFar).toEqual(Buffer.from("1"));
    const trailing = new ResponseStreamScan();
    trailing.feed(Buffer.from('{"id":1,"result":{}} x\n'));
    expect(trailing.complete).toBe(false);
  });

  it("keeps a value up to 64 KB and only marks a longer one as there", () => {
    const scan = new ResponseStreamScan();
    scan.feed(Buffer.from(`{"id":"${"i".repeat(70 * 1024)}","result":{"requestState":"s"}}`));
    expect(scan.complete).toBe(true);
    expect(scan.member("id")).toBe("long");
    expect(scan.resultMember("requestState")).toEqual(Buffer.from('"s"'));
  });

  it("names the answers of a line that is not passed on: each object's while they can be read, no request's", () => {
    const ids = (line: string) => answerIdsOf(Buffer.from(line));
    expect(ids('{"id":5,"result":{}}{"id":"six","error":{"code":1}} {"method":"m","id":7}')).toEqual([
      5,
      "six",
    ]);
    expect(ids('\ufeff{"jsonrpc":"2.0","id":10,"result":{}}')).toEqual([10]);
    expect(ids('{"jsonrpc":"2.0","id":42,"result":{"content":[]}')).toEqual([42]);
    expect(ids('{"id":1,"method":"sampling/createMessage","params":{}} x')).toEqual([]);
    expect(ids('{"id":1,"params":{},"result":{}}')).toEqual([1]);
    // A method that is not a string makes no request: the id names the answer a lenient client would read.
    expect(ids('{"id":2,"method":null,"result":{}}')).toEqual([2]);
    expect(ids('{"id":3,"method":{"a":1},"error":{}}')).toEqual([3]);
    expect(ids('{"id":12345678901234567890,"result":{}}')).toEqual([]);
    // A batch: the answers in it, so that the requests they name are answered with an error.
    expect(ids('[{"id":3,"result":{}}]')).toEqual([3]);
    expect(
      ids(
        ' [ {"id":3,"result":{"a":[1,{"id":9,"result":{}}]}} , {"id":4,"error":{}} ,{"method":"m","id":5}]',
      ),
    ).toEqual([3, 4]);
    expect(ids('[[{"id":6,"result":{}}]]')).toEqual([6]);
    expect(ids('[1,{"id":7,"result":{}}]')).toEqual([]);
  });
});
