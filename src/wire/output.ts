import type { Readable, Writable } from "node:stream";

/**
 * One direction's output. Inside `hold`, everything written is gathered and leaves in as few
 * writes as possible: lines passed through from one input chunk stay one slice of that chunk (no
 * copy), our own lines are joined. Outside `hold`, writes go straight out. When the stream's
 * buffer is full, the source that feeds it is paused until it drains.
 */
export class BatchedOutput {
  private parts: Array<string | Buffer> = [];
  private holding = 0;
  private waitingForDrain = false;

  constructor(
    private readonly stream: Writable,
    private readonly source: Readable,
  ) {}

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

  /** Writes one piece (a whole line, terminator included). */
  write(piece: string | Buffer): void {
    if (this.holding === 0) {
      this.emit(piece);
      return;
    }
    const last = this.parts.length - 1;
    const previous = this.parts[last];
    if (previous === undefined) {
      this.parts.push(piece);
    } else if (typeof piece === "string" && typeof previous === "string") {
      this.parts[last] = previous + piece;
    } else if (typeof piece !== "string" && typeof previous !== "string" && adjacent(previous, piece)) {
      this.parts[last] = Buffer.from(previous.buffer, previous.byteOffset, previous.length + piece.length);
    } else {
      this.parts.push(piece);
    }
  }

  private flush(): void {
    const parts = this.parts;
    if (parts.length === 0) return;
    this.parts = [];
    if (parts.length === 1) {
      this.emit(parts[0] as string | Buffer);
      return;
    }
    // Mixed pieces (a passed-through slice, then one of our own lines): one writev.
    this.stream.cork();
    for (const part of parts) this.emit(part);
    this.stream.uncork();
  }

  private emit(piece: string | Buffer): void {
    if (this.stream.write(piece) || this.waitingForDrain) return;
    // One drain listener at a time: every write into a full buffer returns false.
    this.waitingForDrain = true;
    this.source.pause();
    this.stream.once("drain", () => {
      this.waitingForDrain = false;
      this.source.resume();
    });
  }
}

/** True when `next` starts right where `previous` ends in the same memory. */
function adjacent(previous: Buffer, next: Buffer): boolean {
  return previous.buffer === next.buffer && previous.byteOffset + previous.length === next.byteOffset;
}
