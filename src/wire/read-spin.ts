import { fstatSync, openSync, readFileSync, readSync } from "node:fs";
import { availableParallelism } from "node:os";
import type { Readable, Writable } from "node:stream";

/**
 * Busy polling of the proxy's two inputs, as the kernel's halt polling does for an idle CPU.
 *
 * A message through the proxy costs two wake-ups more than a direct connection: the server's
 * answer wakes policylayer, and so does the client's next request. On a virtual machine whose idle
 * vCPUs halt at once (cpuidle haltpoll with guest_halt_poll_ns 0, common in clouds), a wake-up of
 * a halted vCPU costs tens of µs: more than all our work on a call. So after the proxy handled
 * input, and before its event loop would sleep, it reads its inputs itself for a short window: an
 * answer that comes within it is read at once, by a CPU that never halted.
 *
 * The window adapts as halt polling's does (drivers/cpuidle/governors/haltpoll.c): a wait that a
 * longer window would have caught (at most MAX) doubles it, a wait longer than MAX halves it. A
 * session of slow tools and an agent that thinks between calls soon spins not at all; one of fast
 * round trips spins up to MAX µs between messages. It spins only while every task the machine
 * would run has a CPU (a peer that waits for one is only kept waiting by a spin), and after a
 * spin that found one waiting it skips the next ones (twice as many each time, up to 8); never
 * on one CPU, never while an output holds unwritten bytes. It reads only where that is safe: a pipe or
 * socket on Linux, non-blocking (checked in /proc), while its stream is flowing with nothing
 * buffered (so a paused input stays paused, and no byte overtakes one Node holds), and it hands
 * what it reads to the stream's one 'data' listener, in the stream's place.
 */

/** The longest window, in ms (the kernel's guest_halt_poll_ns default: 200 µs). */
export const MAX_SPIN_MS = 0.2;
/** The window a first short wait opens (guest_halt_poll_grow_start: 50 µs). */
export const GROW_START_MS = 0.05;
/** Below this a halved window is closed. */
const MIN_SPIN_MS = 0.001;
/**
 * A turn of the spin that took this long (a few µs is usual) means the CPU was taken from us: by
 * the peer we wait for, perhaps, on a machine with fewer CPUs than busy processes. Spinning on
 * would only keep it from answering, so the spin stops and its window halves.
 */
const PREEMPTED_MS = 0.05;

/** How long to spin before sleeping, learned from how long inputs kept us waiting. */
export class SpinWindow {
  /** The window now, in ms; 0: no spinning. */
  ms = 0;

  /** Halves the window (closed below MIN_SPIN_MS): a wait too long for it, or the CPU was taken from a spin. */
  halve(): void {
    const halved = this.ms / 2;
    this.ms = halved < MIN_SPIN_MS ? 0 : halved;
  }

  /** Input came `waitedMs` after the proxy was done with the last: while spinning or after. */
  waited(waitedMs: number): void {
    if (waitedMs > MAX_SPIN_MS) this.halve();
    else if (waitedMs > this.ms) {
      this.ms = Math.min(MAX_SPIN_MS, Math.max(GROW_START_MS, this.ms * 2));
    }
  }
}

export interface SpinOptions {
  /** False: the inputs are only registered, never read here. */
  enabled?: boolean;
  /** Milliseconds, monotonic. */
  now?: () => number;
  /** Whether a task waits for a CPU; default: from /proc/loadavg (runnableTasks). */
  machineBusy?: () => boolean;
}

/** One input: its stream, and the handler of its data (registered here as its 'data' listener). */
export interface SpinInput {
  stream: Readable;
  onData: (chunk: Buffer) => void;
}

/** O_NONBLOCK in a file's status flags (Linux, all architectures Node runs on but Alpha and SPARC, where no Node runs). */
const O_NONBLOCK = 0o4000;

/**
 * The descriptor a stream's libuv handle reads, when it is a pipe or a socket in non-blocking
 * mode on Linux and this process may run on more than one CPU: -1 otherwise (a file, a terminal,
 * another platform, a stream of our own, one CPU, where a spin would only hold the peer up).
 */
export function spinnableFd(stream: Readable): number {
  if (process.platform !== "linux" || availableParallelism() < 2) return -1;
  const fd = handleFd(stream);
  if (fd < 0) return -1;
  try {
    const stat = fstatSync(fd);
    if (!stat.isFIFO() && !stat.isSocket()) return -1;
    return isNonBlocking(readFileSync(`/proc/self/fdinfo/${fd}`, "latin1")) ? fd : -1;
  } catch {
    return -1;
  }
}

/** Whether the text of /proc/self/fdinfo/N says its file is in non-blocking mode. */
function isNonBlocking(fdinfo: string): boolean {
  const flags = /^flags:\s*([0-7]+)$/m.exec(fdinfo)?.[1];
  return flags !== undefined && (Number.parseInt(flags, 8) & O_NONBLOCK) !== 0;
}

/** A /proc file kept open and read again from its start (about 2 µs a read), for what it says now. */
class ProcFile {
  private readonly text = Buffer.allocUnsafe(512);

  private constructor(private readonly fd: number) {}

  static open(path: string): ProcFile | null {
    try {
      return new ProcFile(openSync(path, "r"));
    } catch {
      return null;
    }
  }

  /** Its text now; null when it cannot be read. */
  read(): string | null {
    try {
      return this.text.toString("latin1", 0, readSync(this.fd, this.text, 0, this.text.length, 0));
    } catch {
      return null;
    }
  }
}

/** The descriptor of the stream's libuv handle, while it has one; -1 once it is closed. */
function handleFd(stream: Readable): number {
  const fd = (stream as unknown as { _handle?: { fd?: unknown } | null })._handle?.fd;
  return typeof fd === "number" ? fd : -1;
}

/**
 * How many tasks the machine has running or ready to run, this process among them: the fourth
 * field of /proc/loadavg's text ("0.12 0.34 0.56 2/345 6789"); Infinity when it cannot be read. A spin
 * runs only while each of them has a CPU: spinning while a peer waits for one only keeps it waiting.
 */
export function runnableTasks(loadavg: string): number {
  const count = /^\S+ \S+ \S+ (\d+)\//.exec(loadavg)?.[1];
  return count === undefined ? Number.POSITIVE_INFINITY : Number(count);
}

/** The most spins skipped in a row after spins that found the machine busy. */
const MAX_SKIPPED = 8;

/** The byte that ends a message (stdio MCP: one JSON-RPC message a line). */
const NEWLINE = 0x0a;

/** The most one read of the spin takes: libuv's size, a chunk's size either way. */
const SPIN_READ_BYTES = 64 * 1024;

/** What a read of an input gave: bytes, nothing yet, or a reason to leave the input to libuv. */
const NOTHING_YET = -1;
const LEAVE_TO_LIBUV = -2;

export class ReadSpin {
  private readonly window = new SpinWindow();
  private readonly fds: number[];
  /**
   * For each standard descriptor (0 to 2) among the inputs, its /proc/self/fdinfo, read again
   * before each spin. Those came from whoever started us, who may share their open file with other
   * processes, and any of those may make it blocking at any time (a Node process that exits on a
   * signal resets its stdio so, and libuv does for the stdio of a child it starts): a read of it in
   * the spin could then wait for ever. The others are ours alone (the server's pipe is made by
   * libuv and closed on exec).
   */
  private readonly inherited: (ProcFile | null)[];
  private buffer: Buffer;
  private readonly now: () => number;
  /** Whether a task on the machine waits for a CPU (then the spin stops: see runnableTasks). */
  private readonly machineBusy: () => boolean;
  private scheduled = false;
  /** How many chunks the spin read itself (for tests). */
  caught = 0;
  /** How many spins are skipped after the last that found the machine busy, and how many are still to skip. */
  private backoff = 0;
  private skipped = 0;
  /** When the proxy was last done with its input (ms), while no input has come since; -1 otherwise. */
  private idleSinceMs = -1;

  constructor(
    private readonly inputs: readonly SpinInput[],
    /** Where the inputs' data goes: while any holds bytes not yet written, the next event is its drain, not input. */
    private readonly outputs: readonly Writable[],
    options: SpinOptions = {},
  ) {
    this.now = options.now ?? (() => performance.now());
    this.fds = inputs.map((input) => (options.enabled === false ? -1 : spinnableFd(input.stream)));
    this.inherited = this.fds.map((fd, at) => {
      if (fd < 0 || fd > 2) return null;
      const fdinfo = ProcFile.open(`/proc/self/fdinfo/${fd}`);
      // Its flag cannot be read again: it is not read in the spin.
      if (fdinfo === null) this.fds[at] = -1;
      return fdinfo;
    });
    let busy = options.machineBusy ?? null;
    if (busy === null && this.fds.some((fd) => fd >= 0)) {
      const loadavg = ProcFile.open("/proc/loadavg");
      const cpus = availableParallelism();
      if (loadavg !== null) busy = () => runnableTasks(loadavg.read() ?? "") > cpus;
    }
    this.machineBusy = busy ?? (() => true);
    // No buffer: no spin (see done).
    this.buffer = Buffer.allocUnsafe(busy === null || !this.fds.some((fd) => fd >= 0) ? 0 : SPIN_READ_BYTES);
    for (const input of inputs) {
      input.stream.on("data", (chunk: Buffer) => {
        this.came();
        input.onData(chunk);
        this.done(chunk);
      });
    }
  }

  /** The window now, in ms (for tests). */
  get windowMs(): number {
    return this.window.ms;
  }

  private came(): void {
    const idleSince = this.idleSinceMs;
    if (idleSince >= 0) {
      this.idleSinceMs = -1;
      this.window.waited(this.now() - idleSince);
    }
  }

  /**
   * The proxy is done with a chunk of an input: it spins once nothing else is left to run, for the
   * next message, unless the chunk ended inside a line (a long message streams in: its writer is
   * busy writing the rest, and the CPU a spin takes is one it or its reader needs; libuv reads
   * the rest as well as we would) or an output still holds bytes (a peer that reads slowly: it
   * needs the CPU, not us).
   */
  private done(chunk: Buffer): void {
    this.idleSinceMs = this.now();
    if (
      this.scheduled ||
      this.window.ms === 0 ||
      chunk[chunk.length - 1] !== NEWLINE ||
      this.buffer.length === 0
    )
      return;
    if (this.skipped > 0) {
      this.skipped--;
      return;
    }
    for (const output of this.outputs) if (output.writableLength !== 0) return;
    this.scheduled = true;
    setImmediate(this.spin);
  }

  private readonly spin = (): void => {
    this.scheduled = false;
    const traceLimit = Error.stackTraceLimit;
    // An EAGAIN of readSync is an exception: without a stack it costs a third as much.
    Error.stackTraceLimit = 0;
    let read = NOTHING_YET;
    let index = 0;
    try {
      for (let at = 0; at < this.inherited.length; at++) {
        // One that became blocking is never read here again.
        const fdinfo = this.inherited[at];
        if (fdinfo !== null && fdinfo !== undefined && !isNonBlocking(fdinfo.read() ?? "")) this.fds[at] = -1;
      }
      // Nothing left to read here: no spin from now on.
      if (!this.fds.some((fd) => fd >= 0)) {
        this.buffer = Buffer.alloc(0);
        return;
      }
      let turn = this.now();
      const deadline = turn + this.window.ms;
      outer: for (;;) {
        // A task waits for a CPU: the peer we wait for, perhaps (woken by our write, it may be
        // queued on this very CPU). Sleeping frees ours, and the next spins are skipped (see
        // backOff). A look costs about 2 µs, a turn without it 3: looking every turn reacts soonest.
        if (this.machineBusy()) {
          this.backOff();
          break;
        }
        for (index = 0; index < this.inputs.length; index++) {
          read = this.readInput(index);
          if (read !== NOTHING_YET) break outer;
        }
        const last = turn;
        turn = this.now();
        if (turn - last > PREEMPTED_MS) {
          this.window.halve();
          break;
        }
        if (turn >= deadline) break;
      }
    } finally {
      Error.stackTraceLimit = traceLimit;
    }
    if (read <= 0) return;
    this.backoff = 0;
    this.caught++;
    this.came();
    const chunk = this.takeChunk(read);
    (this.inputs[index] as SpinInput).onData(chunk);
    this.done(chunk);
  };

  /**
   * The first `read` bytes of the buffer, as a chunk of their own (the lines may keep it, and
   * limits count its length): copied, unless they fill half of the buffer or more, which then goes
   * with them and is made anew (so what is kept is at most twice what is counted).
   */
  private takeChunk(read: number): Buffer {
    if (read < SPIN_READ_BYTES / 2) {
      const chunk = read < 4096 ? Buffer.allocUnsafe(read) : Buffer.allocUnsafeSlow(read);
      this.buffer.copy(chunk, 0, 0, read);
      return chunk;
    }
    const chunk = this.buffer.subarray(0, read);
    this.buffer = Buffer.allocUnsafe(SPIN_READ_BYTES);
    return chunk;
  }

  /**
   * A spin found a task waiting for a CPU: the next ones are skipped, twice as many each time it
   * happens again (up to MAX_SKIPPED), until a spin catches input. On a machine that is always
   * busy even a spin that stops at its first look costs latency (any work after a write that woke
   * a peer onto this CPU holds it up), so there one spin in MAX_SKIPPED is tried.
   */
  private backOff(): void {
    this.backoff = Math.min(MAX_SKIPPED, Math.max(1, this.backoff * 2));
    this.skipped = this.backoff;
  }

  /** Reads input `index` when that is safe now: its byte count, NOTHING_YET, or LEAVE_TO_LIBUV. */
  private readInput(index: number): number {
    const fd = this.fds[index] as number;
    if (fd < 0) return NOTHING_YET;
    const stream = (this.inputs[index] as SpinInput).stream;
    // Paused, holding data, ended, closed (its number may be another file's by now), or read elsewhere too.
    if (
      stream.readableFlowing !== true ||
      stream.readableLength !== 0 ||
      stream.readableEnded ||
      handleFd(stream) !== fd ||
      stream.listenerCount("data") !== 1
    )
      return NOTHING_YET;
    let read: number;
    try {
      read = readSync(fd, this.buffer, 0, this.buffer.length, null);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EAGAIN" || code === "EINTR") return NOTHING_YET;
      // The error is reported as libuv would have (a socket's read gives its error once: libuv would
      // then see an end). Its listeners run later (destroy emits on the next tick), not in the spin.
      stream.destroy(error as Error);
      return LEAVE_TO_LIBUV;
    }
    // The end of the input, likewise: libuv reads it again and ends the stream.
    return read === 0 ? LEAVE_TO_LIBUV : read;
  }
}
