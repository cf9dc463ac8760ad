import { type ChildProcessByStdio, spawn } from "node:child_process";
import { once } from "node:events";
import { createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, type Readable, type Writable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import {
  GROW_START_MS,
  MAX_SPIN_MS,
  ReadSpin,
  runnableTasks,
  type SpinOptions,
  SpinWindow,
  spinnableFd,
} from "../../src/wire/read-spin.js";
import { within } from "../helpers/deadline.js";

describe("the busy-poll window", () => {
  it("opens on a wait a window would have caught, doubles up to its ceiling, and halves to closed on long waits", () => {
    const window = new SpinWindow();
    expect(window.ms).toBe(0);
    window.waited(0.03);
    expect(window.ms).toBe(GROW_START_MS);
    // Caught within the window: nothing to learn.
    window.waited(0.02);
    expect(window.ms).toBe(GROW_START_MS);
    window.waited(0.08);
    expect(window.ms).toBe(2 * GROW_START_MS);
    window.waited(0.15);
    window.waited(0.19);
    expect(window.ms).toBe(MAX_SPIN_MS);
    // A wait no window would have caught (an agent thinking, a slow tool) halves it.
    window.waited(5);
    expect(window.ms).toBe(MAX_SPIN_MS / 2);
    for (let i = 0; i < 10; i++) window.waited(1000);
    expect(window.ms).toBe(0);
  });
});

describe("the machine's runnable tasks", () => {
  it("are read from /proc/loadavg's fourth field, and a text that is not its shape counts as busy", () => {
    expect(runnableTasks("0.12 0.34 0.56 2/345 6789\n")).toBe(2);
    expect(runnableTasks("")).toBe(Number.POSITIVE_INFINITY);
    expect(runnableTasks("0.12 0.34 0.56 /345 6789\n")).toBe(Number.POSITIVE_INFINITY);
    if (process.platform === "linux") {
      const count = runnableTasks(readFileSync("/proc/loadavg", "latin1"));
      // This process is running while it reads it.
      expect(Number.isInteger(count) && count >= 1).toBe(true);
    }
  });
});

const children: ChildProcessByStdio<Writable, Readable, null>[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill("SIGKILL");
});

/** A child that answers every line it reads at once with the same line (a peer that answers fast). */
function echoChild(): ChildProcessByStdio<Writable, Readable, null> {
  const child = spawn(process.execPath, ["-e", "process.stdin.pipe(process.stdout)"], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  children.push(child);
  return child;
}

describe.runIf(process.platform === "linux" && availableParallelism() > 1)(
  "reading a pipe ahead of the event loop's sleep",
  () => {
    it("reads only non-blocking pipes and sockets with a handle: not a stream of our own, not a file", async () => {
      const dir = mkdtempSync(join(tmpdir(), "policylayer-spin-"));
      try {
        writeFileSync(join(dir, "f"), "x");
        const file = createReadStream(join(dir, "f"));
        await within(once(file, "open"), 5000, "the file stream's open");
        expect(spinnableFd(file)).toBe(-1);
        file.destroy();
        await within(once(file, "close"), 5000, "the file stream's close");
        expect(spinnableFd(new PassThrough())).toBe(-1);
        expect(spinnableFd(echoChild().stdout)).toBeGreaterThanOrEqual(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it("passes every byte on in order, and reads some of them itself once the peer answers fast", async () => {
      const child = echoChild();
      const received = new Received();
      const spin = new ReadSpin(
        [{ stream: child.stdout, onData: (chunk) => received.add(chunk) }],
        [],
        quietMachine(),
      );
      let sent = "";
      for (let i = 0; i < 2000; i++) {
        // Mostly one short line at a time; now and then three at once, or one of 40 KB (read in
        // pieces, some large enough to be handed over with the spin's buffer).
        const line =
          i % 50 === 7
            ? `${i} ${"y".repeat(40_000)}\n`
            : i % 10 === 3
              ? `${i}a\n${i}b\n${i}c\n`
              : `${i} ${"x".repeat(i % 97)}\n`;
        sent += line;
        child.stdin.write(line);
        await within(received.reach(sent.length), 5000, `the echo of line ${i}`);
      }
      expect(received.text).toBe(sent);
      expect(spin.windowMs).toBeGreaterThan(0);
      expect(spin.caught).toBeGreaterThan(0);
    });

    it("does not spin while a task waits for a CPU, nor while an output holds bytes not yet written", async () => {
      const busy = echoChild();
      const held = echoChild();
      const busyEchoes = new Received();
      const heldEchoes = new Received();
      let machineBusy = true;
      const onBusy = new ReadSpin([{ stream: busy.stdout, onData: (chunk) => busyEchoes.add(chunk) }], [], {
        ...quietMachine(),
        machineBusy: () => machineBusy,
      });
      // An output nobody reads: what was written to it waits there.
      const unread = new PassThrough({ highWaterMark: 1 });
      unread.write("x");
      expect(unread.writableLength).toBeGreaterThan(0);
      const behindOutput = new ReadSpin(
        [{ stream: held.stdout, onData: (chunk) => heldEchoes.add(chunk) }],
        [unread],
        quietMachine(),
      );
      let sent = "";
      for (let i = 0; i < 300; i++) {
        sent += `${i}\n`;
        busy.stdin.write(`${i}\n`);
        held.stdin.write(`${i}\n`);
        await within(busyEchoes.reach(sent.length), 5000, `the busy machine's echo of line ${i}`);
        await within(heldEchoes.reach(sent.length), 5000, `the held output's echo of line ${i}`);
      }
      expect(busyEchoes.text).toBe(sent);
      expect(heldEchoes.text).toBe(sent);
      expect(onBusy.caught).toBe(0);
      expect(behindOutput.caught).toBe(0);
      // Not because its window stayed shut: the waits opened it, the unwritten bytes kept it from spinning.
      expect(behindOutput.windowMs).toBeGreaterThan(0);
      // Once the machine is quiet again, spinning resumes (the spins skipped after busy ones are bounded).
      machineBusy = false;
      for (let i = 0; i < 300 || (onBusy.caught === 0 && i < 5000); i++) {
        sent += `${i}\n`;
        busy.stdin.write(`${i}\n`);
        await within(busyEchoes.reach(sent.length), 5000, `the quiet machine's echo of line ${i}`);
      }
      expect(busyEchoes.text).toBe(sent);
      expect(onBusy.caught).toBeGreaterThan(0);
    });

    it("stops reading its stdin in the spin once another process made that descriptor blocking, and so never hangs on it", async () => {
      // A proxy of its own on the build's ReadSpin: it echoes what it reads, and after "flip" has a
      // process it starts make its stdin blocking (the open file is shared), then says "tick" 50 ms later.
      const script = `
      import { spawnSync } from "node:child_process";
      import { ReadSpin } from ${JSON.stringify(join(process.cwd(), "dist", "wire", "read-spin.js"))};
      let ms = 0;
      new ReadSpin([{ stream: process.stdin, onData: (chunk) => {
        const text = chunk.toString("latin1");
        if (text === "flip\\n") {
          spawnSync("python3", ["-c", "import os; os.set_blocking(0, True)"], { stdio: ["inherit", "ignore", "inherit"] });
          setTimeout(() => process.stdout.write("tick\\n"), 50);
        }
        process.stdout.write(text);
      } }], [], { machineBusy: () => false, now: () => (ms += 0.001) });
    `;
      const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
        stdio: ["pipe", "pipe", "inherit"],
      });
      children.push(child);
      const received = new Received();
      child.stdout.on("data", (chunk: Buffer) => received.add(chunk));
      let sent = "";
      for (let i = 0; i < 100; i++) {
        sent += "x\n";
        child.stdin.write("x\n");
        await within(received.reach(sent.length), 5000, `the echo of ping ${i}`);
      }
      /** Sends `line`, and expects `answer` to be what comes next. */
      const exchange = async (line: string, answer: string, what: string) => {
        sent += answer;
        child.stdin.write(line);
        await within(received.reach(sent.length), 5000, what);
        expect(received.text).toBe(sent);
      };
      // Idle after it: a spin that read the blocking descriptor would wait for ever, and the timer never fire.
      await exchange("flip\n", "flip\ntick\n", "the tick 50 ms after the flip");
      await exchange("after\n", "after\n", "the echo after the flip");
    });

    it("leaves a paused input alone, and what it holds comes after resume in order", async () => {
      const child = echoChild();
      const other = echoChild();
      const received = new Received();
      const pings = new Received();
      const spin = new ReadSpin(
        [
          { stream: child.stdout, onData: (chunk) => received.add(chunk) },
          { stream: other.stdout, onData: (chunk) => pings.add(chunk) },
        ],
        [],
        quietMachine(),
      );
      /** 50 round trips on the other input, and more until the spin caught one of them (at most 5,000). */
      const ping = async (what: string) => {
        const caughtBefore = spin.caught;
        for (let i = 0; i < 50 || (spin.caught === caughtBefore && i < 5000); i++) {
          other.stdin.write("ping\n");
          await within(pings.reach(pings.text.length + 5), 5000, what);
        }
      };
      await ping("the other input's echo");
      expect(spin.windowMs).toBeGreaterThan(0);
      const caughtBefore = spin.caught;
      child.stdout.pause();
      child.stdin.write("held back\n");
      // Spins go on meanwhile (the other input keeps coming), and must not read the paused one.
      await ping("the other input's echo while one is paused");
      expect(spin.caught).toBeGreaterThan(caughtBefore);
      expect(received.text).toBe("");
      child.stdout.resume();
      child.stdin.write("after\n");
      await within(received.reach(16), 5000, "the paused input's data after resume");
      expect(received.text).toBe("held back\nafter\n");
    });
  },
);

/**
 * A machine where a task never waits for a CPU, and a clock at which every wait is short (a µs a
 * look): the window opens wide whatever the load the tests run beside, and a spin lasts till the
 * echo comes or 200 looks have passed.
 */
function quietMachine(): SpinOptions {
  let ms = 0;
  return { machineBusy: () => false, now: () => (ms += 0.001) };
}

/** The text an input gave so far, and promises of its reaching a length. */
class Received {
  text = "";
  private waiting: Array<{ length: number; resolve: () => void }> = [];

  add(chunk: Buffer): void {
    this.text += chunk.toString("latin1");
    this.waiting = this.waiting.filter((wait) => {
      if (this.text.length < wait.length) return true;
      wait.resolve();
      return false;
    });
  }

  reach(length: number): Promise<void> {
    if (this.text.length >= length) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push({ length, resolve }));
  }
}
