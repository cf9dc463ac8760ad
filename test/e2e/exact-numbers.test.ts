import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { exactNumbersServer } from "../helpers/paths.js";
import { RawSession } from "../helpers/raw-session.js";
import { tempDir, writePolicy } from "../helpers/tmp.js";

// Each literal JSON.parse + JSON.stringify would change: 12345678901234567000, 9007199254740992,
// 1.2345678901234568e+29, null and 0.
const LITERALS = [
  "12345678901234567890",
  "9007199254740993",
  "123456789012345678901234567890",
  "1e400",
  "-0.0",
];

let dir: { path: string; cleanup: () => void };
let session: RawSession;
let recordFile: string;

/** Lines the server received, as text. */
function received(): string[] {
  try {
    return readFileSync(recordFile, "utf8").split("\n").filter(Boolean);
  } catch {
    return [];
  }
}

async function receivedMatching(pattern: RegExp, what: string): Promise<string> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const line = received().find((text) => pattern.test(text));
    if (line !== undefined) return line;
    if (Date.now() > deadline) throw new Error(`the server never received ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

beforeEach(async () => {
  dir = tempDir();
  recordFile = join(dir.path, "received.jsonl");
  const policy = writePolicy(
    dir.path,
    "version: 1\ndefault: allow\nrules:\n  - tool: echo\n    when: [{ path: args.n, op: gt, value: 1000 }]\n    action: deny\n  - tool: wait_for_person\n    action: require_approval\n# The arguments below carry keys echo's inputSchema does not declare.\nallow_undeclared_arguments: echo\n",
  );
  session = new RawSession(["--policy", policy, "--", process.execPath, exactNumbersServer], {
    RECORD_FILE: recordFile,
    POLICYLAYER_STATE_DIR: join(dir.path, "state"),
  });
  await session.initialize();
});

afterEach(async () => {
  session.closeInput();
  await session.exited;
  dir.cleanup();
});

describe("numbers JavaScript cannot hold", () => {
  it("reach the server with their exact digits in arguments and _meta", async () => {
    const args = LITERALS.map((literal, index) => `"a${index}":${literal}`).join(",");
    const meta = `"_meta":{"progressToken":9007199254740993,"x":[1e400,-0.0]}`;
    session.write(
      `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"n":5,${args},"list":[${LITERALS.join(",")}]},${meta}}}\n`,
    );
    await session.lineMatching(/^\{"jsonrpc":"2\.0","id":1,"result"/, "the answer to call 1");
    const line = await receivedMatching(/"id":1,"method":"tools\/call"/, "call 1");
    expect(line).toContain(`"arguments":{"n":5,${args},"list":[${LITERALS.join(",")}]}`);
    expect(line).toContain(meta);
  });

  it("are decided by their exact value: n 5000.0 and n 1e400 are above 1000", async () => {
    for (const [index, literal] of ["5000.0", "1e400", "12345678901234567890"].entries()) {
      const id = 10 + index;
      session.write(
        `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"echo","arguments":{"n":${literal}}}}\n`,
      );
      const answer = await session.responseTo(id);
      expect((answer.result as { isError?: boolean }).isError, literal).toBe(true);
    }
    expect(received().some((text) => text.includes('"name":"echo"'))).toBe(false);
  });

  it("refuse a line with a number where a member name must be, and the server never sees it", async () => {
    session.write(
      '{"jsonrpc":"2.0","id":20,"method":"tools/call","params":{"name":"echo","arguments":{1.0:2}}}\n',
    );
    const answer = await session.responseTo(null);
    expect(answer.error).toMatchObject({ code: -32700 });
    await session.request(21, "ping");
    expect(received().some((text) => text.includes('"id":20'))).toBe(false);
  });

  it("reach the client with their exact digits in a tools/list we re-encode", async () => {
    session.write('{"jsonrpc":"2.0","id":2,"method":"tools/list"}\n');
    const line = await session.lineMatching(/^\{"jsonrpc":"2\.0","id":2,/, "the answer to tools/list");
    expect(line).toContain('"default":12345678901234567890,"maximum":1e400,"minimum":-0.0,"multipleOf":1.0');
  });

  it("reach the client with their exact digits in a result", async () => {
    session.write(
      '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echo","arguments":{"n":1}}}\n',
    );
    const line = await session.lineMatching(/^\{"jsonrpc":"2\.0","id":3,/, "the answer to call 3");
    expect(line).toContain('"structuredContent":{"big":123456789012345678901234567890,"z":-0.0}');
  });

  it("refuse a request whose id is an integer beyond 2^53 with a JSON-RPC error carrying that id", async () => {
    session.write('{"jsonrpc":"2.0","id":12345678901234567890,"method":"tools/list"}\n');
    const line = await session.lineMatching(
      /"id":12345678901234567890/,
      "an answer to id 12345678901234567890",
    );
    expect(line).toMatch(/^\{"jsonrpc":"2\.0","id":12345678901234567890,"error":\{"code":-32600,/);
    expect(line).toContain("integer beyond 2^53");
    // The next request gets through: nothing of the refused one reached the server.
    await session.request(4, "ping");
    expect(received().some((text) => text.includes("12345678901234567890"))).toBe(false);
  });

  it("keep a progress token exact in policylayer's own progress while a call waits for a person", async () => {
    session.write(
      '{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"wait_for_person","arguments":{},"_meta":{"progressToken":12345678901234567890}}}\n',
    );
    const progress = await session.lineMatching(
      /notifications\/progress.*waiting for a person/,
      "policylayer's progress notification for call 6",
    );
    expect(progress).toContain('"progressToken":12345678901234567890,');
  });

  it("keep a server request's id and a progress token exact both ways", async () => {
    session.write(
      '{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"ask","arguments":{},"_meta":{"progressToken":12345678901234567891}}}\n',
    );
    const progress = await session.lineMatching(
      /notifications\/progress/,
      "the server's progress notification",
    );
    expect(progress).toContain('"progressToken":12345678901234567891,"progress":9007199254740993');
    const request = await session.lineMatching(/"method":"roots\/list"/, "the server's roots/list request");
    expect(request).toContain('"id":12345678901234567890');
    session.write('{"jsonrpc":"2.0","id":12345678901234567890,"result":{"roots":[]}}\n');
    await session.lineMatching(/^\{"jsonrpc":"2\.0","id":5,"result".*roots seen/, "the answer to call 5");
    expect(received()).toContain('{"jsonrpc":"2.0","id":12345678901234567890,"result":{"roots":[]}}');
  });
});
