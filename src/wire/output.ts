import type { Readable, Writable } from "node:stream";

/**
 * An input that more than one output may pause (the client's input feeds the server's input and,
 * with the answers we give in the server's place, the client's output): it runs again only once
 * every output that paused it has drained.
 */
export class PausableInput {
  private pausedBy = 0;

  constructor(private readonly input: Readable) {}

  pause(): void {
    if (this.pausedBy++ === 0) this.input.pause();
  }

  resume(): void {
    if (--this.pausedBy === 0) this.input.resume();
  }
}

/**
 * An input that feeds an output, paused once that many bytes wait unread (0: once the output's
 * buffer is full): in the output's buffer and, unless it feeds the open lines, held back behind one.
 */
export interface OutputSource {
  input: PausableInput;
  fromBytes: number;
  /** The open lines (openLine) come from it: what is held back behind one waits for it, so never pauses it. */
  feedsOpenLines?: boolean;
}

/**
 * One direction's output. Inside `hold`, everything written is gathered and leaves in as few
 * writes as possible: lines passed through from one input chunk stay one slice of that chunk (no
 * copy), our own lines are joined. Outside `hold`, writes go straight out. When the stream's
 * buffer is full, the inputs that feed it are paused until it drains (each once as much waits as it
 * says); writes held back behind an open line count as waiting, until they are written and drained.
 */
export class BatchedOutput {
  private parts: Array<string | Buffer> = [];
  /** Whether the string in parts at the same index is all ASCII (written as latin1: a copy, no encoding). */
  private asciiParts: boolean[] = [];
  private holding = 0;
  /** While a line is open (openLine): the other writes waiting for its end, as piece, ascii, piece, ascii... */
  private heldBack: Array<string | Buffer | boolean> | null = null;
  /** How many bytes the writes held back come to. */
  private heldBackBytes = 0;
  /** Which of the sources the writes held back have paused, until they are written and drained. */
  private readonly pausedByHeldBack: boolean[] = [];
  /** Whether a source is paused by writes held back (then a close resumes it: they are never written). */
  private heldBackPauses = false;
  private waitingForDrain = false;
  /** Which of the sources this output has paused until its next drain. */
  private readonly pausedSources: boolean[] = [];
  /** The first of the adjacent slices being gathered, and how many bytes they cover together. */
  private slice: Buffer | null = null;
  private sliceBytes = 0;

  /** While writes are held back: when the first was (ms), and how long drains had been waited for by then. */
  private heldBackSinceMs = 0;
  private drainWaitBeforeHoldMs = 0;
  /** How long drains were waited for in all (ms), and when the wait going on began. */
  private drainWaitMs = 0;
  private drainWaitStartedMs = 0;

  constructor(
    private readonly stream: Writable,
    /** What writes to it: each is paused while its buffer holds too much, so that memory stays bounded. */
    private readonly sources: readonly OutputSource[],
    /** Milliseconds, monotonic, for how long writes were held back (see heldBackWhileReadingMs). */
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** How long the writes held back now have waited, less the time the stream's reader was not reading. */
  heldBackWhileReadingMs(): number {
    if (!this.holdsBack) return 0;
    const nowMs = this.now();
    return nowMs - this.heldBackSinceMs - (this.drainWaitedMs(nowMs) - this.drainWaitBeforeHoldMs);
  }

  private drainWaitedMs(nowMs: number): number {
    return this.drainWaitMs + (this.waitingForDrain ? nowMs - this.drainWaitStartedMs : 0);
  }

  private holdBack(piece: string | Buffer, ascii: boolean): void {
    const heldBack = this.heldBack as Array<string | Buffer | boolean>;
    if (heldBack.length === 0) {
      this.heldBackSinceMs = this.now();
      this.drainWaitBeforeHoldMs = this.drainWaitedMs(this.heldBackSinceMs);
    }
    heldBack.push(piece, ascii);
    // Counted as if written, so that a peer that sends without reading is paused here too.
    this.heldBackBytes += typeof piece === "string" && !ascii ? Buffer.byteLength(piece) : piece.length;
    this.pauseForHeldBack();
  }

  /** Pauses each source that writes held back may pause once as much waits unread as it says. */
  private pauseForHeldBack(): void {
    const { stream, sources, pausedByHeldBack } = this;
    if (stream.destroyed) return;
    const unread = stream.writableLength + this.heldBackBytes;
    for (let index = 0; index < sources.length; index++) {
      const source = sources[index] as OutputSource;
      if (source.feedsOpenLines === true || pausedByHeldBack[index] === true || unread < source.fromBytes)
        continue;
      pausedByHeldBack[index] = true;
      source.input.pause();
      if (this.heldBackPauses) continue;
      this.heldBackPauses = true;
      stream.on("close", this.releaseHeldBackPauses);
    }
  }

  /**
   * The writes held back have been written (or the stream closed): what they paused waits for the
   * drain the stream waits for, if any, else runs again now.
   */
  private readonly releaseHeldBackPauses = (): void => {
    if (!this.heldBackPauses) return;
    this.heldBackPauses = false;
    this.stream.off("close", this.releaseHeldBackPauses);
    const { sources, pausedByHeldBack, pausedSources } = this;
    const drainPending = this.waitingForDrain && !this.stream.destroyed;
    for (let index = 0; index < sources.length; index++) {
      if (pausedByHeldBack[index] !== true) continue;
      pausedByHeldBack[index] = false;
      if (drainPending && pausedSources[index] !== true) pausedSources[index] = true;
      else (sources[index] as OutputSource).input.resume();
    }
  };

  /** Runs `work`; what it writes leaves together when it ends. */
  hold(work: () => void): void {
    this.holding++;
    try {
      work();
    } finally {
      this.holding--;
      if (this.holding === 0) this.flush();
    }
  }

  /**
   * Writes one piece (a whole line, terminator included). `ascii`: the caller knows the string is
   * all ASCII, so its UTF-8 bytes are its latin1 bytes and need no encoding pass.
   */
  write(piece: string | Buffer, ascii = false): void {
    if (this.heldBack !== null) {
      this.holdBack(piece, ascii);
      return;
    }
    this.gather(piece, ascii);
  }

  /** Writes the `length` bytes that start where `view` starts (they may run past its end, in the same memory). */
  writeBytes(view: Buffer, length: number): void {
    if (this.heldBack !== null) {
      this.holdBack(extend(view, length), false);
      return;
    }
    this.gatherBytes(view, length);
  }

  /** Whether writes are waiting for an open line's end. */
  private get holdsBack(): boolean {
    return this.heldBack !== null && this.heldBack.length > 0;
  }

  /**
   * Starts a line that is passed on as it comes (openLinePiece, closeLine): until it is closed,
   * every other write waits, so that nothing lands inside it.
   */
  openLine(): void {
    this.heldBack = [];
  }

  /** A piece of the open line. */
  openLinePiece(bytes: Buffer): void {
    this.gatherBytes(bytes, bytes.length);
  }

  /** The open line's last piece (its terminator included); then the writes that waited for it. */
  closeLine(last: string | Buffer): void {
    const heldBack = this.heldBack ?? [];
    this.heldBack = null;
    this.heldBackBytes = 0;
    this.gather(last, false);
    for (let index = 0; index < heldBack.length; index += 2)
      this.gather(heldBack[index] as string | Buffer, heldBack[index + 1] === true);
    if (!this.heldBackPauses) return;
    // Whether the stream is full is known once they are in it: inside hold, they leave now (in order).
    if (this.holding > 0) this.flush();
    this.releaseHeldBackPauses();
  }

  private gather(piece: string | Buffer, ascii: boolean): void {
    if (this.holding === 0) {
      this.emit(piece, ascii);
      return;
    }
    if (typeof piece === "string") {
      this.closeSlice();
      const last = this.parts.length - 1;
      const previous = this.parts[last];
      if (typeof previous === "string") {
        this.parts[last] = previous + piece;
        this.asciiParts[last] = ascii && this.asciiParts[last] === true;
      } else {
        this.parts.push(piece);
        this.asciiParts.push(ascii);
      }
      return;
    }
    this.gatherBytes(piece, piece.length);
  }

  private gatherBytes(view: Buffer, length: number): void {
    if (this.holding === 0) {
      this.emit(extend(view, length), false);
      return;
    }
    // Lines passed through from one chunk sit side by side in its memory: grow one view over them.
    if (this.slice !== null && adjacent(this.slice, this.sliceBytes, view)) {
      this.sliceBytes += length;
      return;
    }
    this.closeSlice();
    this.slice = view;
    this.sliceBytes = length;
  }

  /** Moves the view being grown into parts. */
  private closeSlice(): void {
    const slice = this.slice;
    if (slice === null) return;
    this.parts.push(extend(slice, this.sliceBytes));
    this.asciiParts.push(false);
    this.slice = null;
  }

  private flush(): void {
    this.closeSlice();
    const { parts, asciiParts } = this;
    if (parts.length === 0) return;
    this.parts = [];
    this.asciiParts = [];
    if (parts.length === 1) {
      this.emit(parts[0] as string | Buffer, asciiParts[0] === true);
      return;
    }
    // Mixed pieces (a passed-through slice, then one of our own lines): one writev.
    this.stream.cork();
    for (let i = 0; i < parts.length; i++) this.emit(parts[i] as string | Buffer, asciiParts[i] === true);
    this.stream.uncork();
  }

  private emit(piece: string | Buffer, ascii: boolean): void {
    if (!this.stream.write(piece, ascii ? "latin1" : "utf8")) this.pauseSources();
  }

  /** The stream's buffer is full: each source is paused once as much waits as it says, until the next drain. */
  private pauseSources(): void {
    const buffered = this.stream.writableLength;
    const { sources, pausedSources } = this;
    for (let index = 0; index < sources.length; index++) {
      const source = sources[index] as OutputSource;
      if (pausedSources[index] === true || buffered < source.fromBytes) continue;
      pausedSources[index] = true;
      source.input.pause();
    }
    if (this.waitingForDrain) return;
    // One drain listener at a time: every write into a full buffer returns false.
    this.waitingForDrain = true;
    this.drainWaitStartedMs = this.now();
    const { stream } = this;
    const drained = () => {
      stream.off("drain", drained);
      stream.off("close", drained);
      this.drainWaitMs += this.now() - this.drainWaitStartedMs;
      this.waitingForDrain = false;
      for (let index = 0; index < sources.length; index++) {
        if (pausedSources[index] !== true) continue;
        pausedSources[index] = false;
        (sources[index] as OutputSource).input.resume();
      }
    };
    stream.on("drain", drained);
    // A stream that fails (EPIPE: its reader went away) never drains: what it paused runs again.
    stream.on("close", drained);
  }
}

/** True when `next` starts right where the `length` bytes from `first` end, in the same memory. */
function adjacent(first: Buffer, length: number, next: Buffer): boolean {
  return first.buffer === next.buffer && first.byteOffset + length === next.byteOffset;
}

/** The `length` bytes from where `view` starts, in the same memory (`view` itself when that is all of it). */
function extend(view: Buffer, length: number): Buffer {
  return length === view.length ? view : Buffer.from(view.buffer, view.byteOffset, length);
}
