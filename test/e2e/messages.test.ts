import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { recordingServer } from "../helpers/paths.js";
import { RawSession } from "../helpers/raw-session.js";
import { readJsonLines, tempDir, writePolicy } from "../helpers/tmp.js";

let dir: { path: string; cleanup: () => void };
let session: RawSession;
let recordFile: string;

function start(flags: string[] = []): Promise<unknown> {
  recordFile = join(dir.path, "received.jsonl");
  const policy = writePolicy(dir.path, "version: 1\ndefault: allow\n");
  session = new RawSession(
    [
      "--policy",
      policy,
      "--audit",
      join(dir.path, "audit.jsonl"),
      ...flags,
      "--",
      process.execPath,
      recordingServer,
    ],
    { RECORD_FILE: recordFile },
  );
  return session.initialize();
}

beforeEach(() => {
  dir = tempDir();
});
afterEach(async () => {
  session.closeInput();
  await session.exited;
  dir.cleanup();
});

describe("large and oversize messages", () => {
  it("passes a 20 MB tool result intact", async () => {
    await start();
    const bytes = 20 * 1024 * 1024;
    const response = await session.request(1, "tools/call", { name: "huge", arguments: { bytes } });
    const text = (response.result as { content: Array<{ text: string }> }).content[0]?.text ?? "";
    expect(text.length).toBe(bytes);
    expect(text).toBe("x".repeat(bytes));
  });

  it("passes a 20 MB argument to the server intact", async () => {
    await start();
    const payload = "y".repeat(20 * 1024 * 1024);
    const response = await session.request(2, "tools/call", { name: "echo", arguments: { payload } });
    const text = (response.result as { content: Array<{ text: string }> }).content[0]?.text ?? "";
    expect(JSON.parse(text)).toEqual({ payload });
  });

  it("refuses a client message over the ceiling with -32001, forwards nothing, and keeps running", async () => {
    await start(["--max-line-bytes", "1000000"]);
    const response = await session.request(3, "tools/call", {
      name: "echo",
      arguments: { payload: "z".repeat(2_000_000) },
    });
    expect((response.error as { code: number }).code).toBe(-32001);
    const echo = await session.request(4, "tools/call", { name: "echo", arguments: { small: true } });
    expect((echo.result as { isError: boolean }).isError).toBe(false);
    expect(readJsonLines(recordFile).filter((message) => message.method === "tools/call")).toHaveLength(1);
  });

  it("answers a server result over the ceiling with -32001 instead of crashing", async () => {
    await start(["--max-line-bytes", "1000000"]);
    const response = await session.request(5, "tools/call", {
      name: "huge",
      arguments: { bytes: 3_000_000 },
    });
    expect((response.error as { code: number }).code).toBe(-32001);
    // Its id came first, so it was passed on as it came: what got out of it ends where no JSON parser reads on.
    const cut = session.lines.find((line) => line.includes('"id":5') && !line.includes('"error"'));
    expect(cut?.endsWith("\u0001")).toBe(true);
    expect(Buffer.byteLength(cut ?? "")).toBeLessThanOrEqual(1_000_001);
    const echo = await session.request(6, "tools/call", { name: "echo", arguments: {} });
    expect((echo.result as { isError: boolean }).isError).toBe(false);
  });
});

describe("text encodings", () => {
  it("forwards ASCII, raw UTF-8 and escaped text in one chunk as exactly JSON.stringify of each message", async () => {
    await start();
    const messages = [
      { name: "echo", arguments: { text: "plain ascii" } },
      { name: "echo", arguments: { text: "raw é, 😀 and 中文" } },
      { name: "echo", arguments: { text: "ascii again" } },
    ].map((params, i) => ({ jsonrpc: "2.0", id: 100 + i, method: "tools/call", params }));
    const lines = messages.map((message) => `${JSON.stringify(message)}\n`);
    // Escapes that JSON.parse turns into non-ASCII text, and one that stays an escape (a lone surrogate).
    lines.push(
      '{"jsonrpc":"2.0","id":103,"method":"tools/call","params":{"name":"echo","arguments":{"text":"\\u00e9\\ud83d\\ude00 \\ud800"}}}\n',
    );
    messages.push(JSON.parse(lines[3] as string));
    session.write(lines.join(""));
    for (const message of messages) await session.responseTo(message.id);
    const received = readFileSync(recordFile, "utf8")
      .split("\n")
      .filter((line) => line.includes('"tools/call"'));
    expect(received).toEqual(messages.map((message) => JSON.stringify(message)));
    expect(received[3]).toContain('é😀 \\ud800"');
  });
});

describe("requests in flight", () => {
  it("refuses requests past 10,000 unanswered ones with -32002 and forwards nothing more", async () => {
    await start();
    const flood = Array.from({ length: 10_000 }, (_, n) =>
      JSON.stringify({
        jsonrpc: "2.0",
        id: `hang-${n}`,
        method: "tools/call",
        params: { name: "hang", arguments: {} },
      }),
    );
    session.write(`${flood.join("\n")}\n`);
    const refused = await session.request("one-too-many", "tools/call", { name: "echo", arguments: {} });
    expect((refused.error as { code: number }).code).toBe(-32002);
    // The server may still be reading the flood: wait until it has recorded every forwarded call.
    const callsReceived = () =>
      readJsonLines(recordFile).filter((message) => message.method === "tools/call");
    const deadline = Date.now() + 20_000;
    while (callsReceived().length < 10_000 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    const calls = callsReceived();
    expect(calls).toHaveLength(10_000);
    expect(calls.some((message) => message.id === "one-too-many")).toBe(false);
  });
});
