// A peer that stops reading: whatever feeds its output is paused, so nothing piles up in memory.
import { join } from "node:path";
import { PassThrough, Writable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { AuditLog } from "../../src/audit/log.js";
import { Gate } from "../../src/proxy/gate.js";
import { ProxySession, UNREAD_ANSWERS_BYTES } from "../../src/proxy/session.js";
import { STREAM_FROM_BYTES } from "../../src/wire/lines.js";
import { BatchedOutput, PausableInput } from "../../src/wire/output.js";
import { within } from "../helpers/deadline.js";
import { tempDir } from "../helpers/tmp.js";
import { policyFrom } from "../policy/helpers.js";

const dir = tempDir();
afterAll(() => dir.cleanup());

/** Resolves once `input` runs again (it is resumed when the output that paused it drains). */
function resumed(input: PassThrough, what: string): Promise<void> {
  return within(
    new Promise<void>((resolve) => input.once("resume", () => resolve())),
    5000,
    `${what} to be resumed`,
  );
}

/**
 * A stream whose reader reads nothing until `read()` is called: each write is finished only then.
 * Full (write returns false) once `highWaterMark` bytes wait.
 */
class StalledReader extends Writable {
  private readonly unfinished: Array<() => void> = [];
  private reading = false;
  /** What its reader has read, in order. */
  private readonly written: Buffer[] = [];
  constructor(highWaterMark = 1024) {
    super({
      highWaterMark,
      write: (chunk: Buffer, _encoding, done) => {
        this.written.push(chunk);
        if (this.reading) done();
        else this.unfinished.push(done);
      },
    });
  }
  /** The reader reads everything written so far, and from now on all that comes. */
  read(): void {
    this.reading = true;
    for (const done of this.unfinished.splice(0)) done();
  }
  /** The lines written so far, without their newlines. */
  lines(): string[] {
    return Buffer.concat(this.written).toString("utf8").split("\n").slice(0, -1);
  }
}

/** A session with a default-deny policy whose client reads nothing until told, and whose server is this process. */
function sessionWithStalledClient(clientOutput: StalledReader) {
  const clientInput = new PassThrough();
  const serverOutput = new PassThrough();
  const audit = AuditLog.open(join(dir.path, `audit-${Math.random()}.jsonl`), { event: "session_start" });
  const warn = () => {};
  const gate = new Gate({
    policy: policyFrom("version: 1\ndefault: deny\n"),
    audit,
    sessionId: "backpressure",
    serverLabel: "server",
    warn,
  });
  const session = new ProxySession({
    clientInput,
    clientOutput,
    serverInput: new PassThrough(),
    serverOutput,
    gate,
    maxLineBytes: 1024 * 1024,
    warn,
  });
  session.start();
  return { clientInput, serverOutput, audit };
}

const line = (message: unknown) => Buffer.from(`${JSON.stringify(message)}\n`);

/**
 * A session in which the server's answer to "long" is being passed on as it comes (its head is
 * past STREAM_FROM_BYTES, its end not yet come): policylayer's own lines wait behind it.
 * Returns the rest of the answer's line, for the server to send.
 */
function answerBeingPassedOn(clientOutput: StalledReader) {
  const streams = sessionWithStalledClient(clientOutput);
  const { clientInput, serverOutput } = streams;
  // The whole list is known (no tools): every call is decided at once, a denial of the default.
  clientInput.emit("data", line({ jsonrpc: "2.0", id: "list", method: "tools/list" }));
  serverOutput.emit("data", line({ jsonrpc: "2.0", id: "list", result: { tools: [] } }));
  clientInput.emit("data", line({ jsonrpc: "2.0", id: "long", method: "resources/read", params: {} }));
  const head = `{"jsonrpc":"2.0","id":"long","result":{"contents":[{"uri":"x","text":"${"a".repeat(STREAM_FROM_BYTES + 1024)}`;
  serverOutput.emit("data", Buffer.from(head));
  const rest = '"}]}}\n';
  return { ...streams, answer: head + rest.slice(0, -1), rest };
}

/** Denied calls from the client, one line at a time, until its input is paused (at most `most`); how many were sent. */
function floodDeniedCalls(clientInput: PassThrough, most: number): number {
  let calls = 0;
  while (calls < most && !clientInput.isPaused()) {
    calls++;
    clientInput.emit(
      "data",
      line({ jsonrpc: "2.0", id: calls, method: "tools/call", params: { name: "delete_stack" } }),
    );
  }
  return calls;
}

describe("a peer that does not read", () => {
  it("pauses the client's input when the client does not read the answers policylayer gives it", async () => {
    const clientOutput = new StalledReader();
    const { clientInput, serverOutput, audit } = sessionWithStalledClient(clientOutput);
    // Lines that never reach the server: each is answered by policylayer alone.
    const unreadable = '{"jsonrpc":"2.0","id":1,"method":\n';
    let lines = 0;
    for (; lines < 100_000 && !clientInput.isPaused(); lines++)
      clientInput.emit("data", Buffer.from(unreadable));
    expect(clientInput.isPaused()).toBe(true);
    expect(serverOutput.isPaused()).toBe(true);
    // Paused once the unread answers reach UNREAD_ANSWERS_BYTES, not before.
    expect(clientOutput.writableLength).toBeGreaterThanOrEqual(UNREAD_ANSWERS_BYTES);
    expect(clientOutput.writableLength).toBeLessThan(UNREAD_ANSWERS_BYTES + 1024);
    const both = Promise.all([
      resumed(clientInput, "the client's input"),
      resumed(serverOutput, "the server's output"),
    ]);
    clientOutput.read();
    await both;
    audit.close();
  });

  it("pauses the client's input once policylayer's answers held back behind an answer passed on as it comes reach UNREAD_ANSWERS_BYTES, and resumes it once they are written and drained", async () => {
    const clientOutput = new StalledReader();
    const { clientInput, serverOutput, audit, answer, rest } = answerBeingPassedOn(clientOutput);
    // Far more than the bound holds: without it, every one of their denials would wait in memory.
    const calls = floodDeniedCalls(clientInput, 100_000);
    expect(clientInput.isPaused()).toBe(true);
    expect(calls).toBeLessThan(100_000);
    serverOutput.emit("data", Buffer.from(rest));
    // The held denials are in the client's output now, unread: the input waits for them to drain.
    expect(clientInput.isPaused()).toBe(true);
    // What waited unread (the answer and the denials) came to the bound and one denial more at most.
    expect(clientOutput.writableLength).toBeGreaterThanOrEqual(UNREAD_ANSWERS_BYTES);
    expect(clientOutput.writableLength).toBeLessThan(UNREAD_ANSWERS_BYTES + 1024);
    const again = resumed(clientInput, "the client's input once the held denials drained");
    clientOutput.read();
    await again;
    // In order: the list, the answer whole, then a denial for every call, by id.
    const [list, passedOn, ...denials] = clientOutput.lines();
    expect(JSON.parse(list as string)).toMatchObject({ id: "list" });
    expect(passedOn === answer).toBe(true);
    expect(denials.map((text) => JSON.parse(text).id)).toEqual(
      Array.from({ length: calls }, (_, index) => index + 1),
    );
    expect(denials.every((text) => JSON.parse(text).result?.isError === true)).toBe(true);
    audit.close();
  });

  it("never pauses the server's output for lines held back behind its answer, and resumes the client's input at the answer's end when the client's output is not full", async () => {
    // A buffer that never reports full: only the bound on what waits unread pauses anything.
    const clientOutput = new StalledReader(64 * 1024 * 1024);
    const { clientInput, serverOutput, audit, rest } = answerBeingPassedOn(clientOutput);
    floodDeniedCalls(clientInput, 100_000);
    expect(clientInput.isPaused()).toBe(true);
    expect(serverOutput.isPaused()).toBe(false);
    const again = resumed(clientInput, "the client's input once the answer ended");
    serverOutput.emit("data", Buffer.from(rest));
    await again;
    audit.close();
  });

  it("resumes the client's input paused by lines held back when the client's output closes, since they are never written then", async () => {
    const clientOutput = new StalledReader(64 * 1024 * 1024);
    const { clientInput, audit } = answerBeingPassedOn(clientOutput);
    floodDeniedCalls(clientInput, 100_000);
    expect(clientInput.isPaused()).toBe(true);
    const again = resumed(clientInput, "the client's input once its output closed");
    clientOutput.on("error", () => {});
    clientOutput.destroy(new Error("EPIPE"));
    await again;
    audit.close();
  });

  it("resumes an input two outputs paused only once both have drained", async () => {
    const input = new PassThrough();
    const shared = { input: new PausableInput(input), fromBytes: 0 };
    const first = new StalledReader();
    const second = new StalledReader();
    const toFirst = new BatchedOutput(first, [shared]);
    const toSecond = new BatchedOutput(second, [shared]);
    toFirst.write("x".repeat(2048));
    toSecond.write("y".repeat(2048));
    expect(input.isPaused()).toBe(true);
    let resumes = 0;
    input.on("resume", () => resumes++);
    const drained = within(
      new Promise((resolve) => first.once("drain", resolve)),
      5000,
      "the first output's drain",
    );
    first.read();
    await drained;
    expect(input.isPaused()).toBe(true);
    const again = resumed(input, "the input");
    second.read();
    await again;
    expect(resumes).toBe(1);
  });

  it("resumes what an output paused when the output fails, since it never drains then", async () => {
    const input = new PassThrough();
    const stalled = new StalledReader();
    const output = new BatchedOutput(stalled, [{ input: new PausableInput(input), fromBytes: 0 }]);
    output.write("x".repeat(2048));
    expect(input.isPaused()).toBe(true);
    const again = resumed(input, "the input after its output failed");
    stalled.on("error", () => {});
    stalled.destroy(new Error("EPIPE"));
    await again;
  });
});
