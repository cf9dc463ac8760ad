// A peer that stops reading: whatever feeds its output is paused, so nothing piles up in memory.
import { join } from "node:path";
import { PassThrough, Writable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { AuditLog } from "../../src/audit/log.js";
import { Gate } from "../../src/proxy/gate.js";
import { ProxySession, UNREAD_ANSWERS_BYTES } from "../../src/proxy/session.js";
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

/** A stream whose reader reads nothing until `read()` is called: each write is finished only then. */
class StalledReader extends Writable {
  private readonly unfinished: Array<() => void> = [];
  constructor() {
    super({
      highWaterMark: 1024,
      write: (_chunk, _encoding, done) => {
        this.unfinished.push(done);
      },
    });
  }
  /** The reader reads everything written so far. */
  read(): void {
    for (const done of this.unfinished.splice(0)) done();
  }
}

describe("a peer that does not read", () => {
  it("pauses the client's input when the client does not read the answers policylayer gives it", async () => {
    const clientInput = new PassThrough();
    const serverOutput = new PassThrough();
    const clientOutput = new StalledReader();
    const audit = AuditLog.open(join(dir.path, "audit.jsonl"), { event: "session_start" });
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
