/** Splits a byte stream into newline-terminated lines, with a ceiling on one line's size. */
export interface LineSink {
  /**
   * A complete line: `content` without its `\n` (and without a trailing `\r`), and `framed`,
   * the same memory with the terminator, for passing a line on without another copy.
   */
  line(content: Buffer, framed: Buffer): void;
  /** A line grew past the ceiling; its bytes are dropped up to the next newline. `head` is its start. */
  oversize(seenBytes: number, head: Buffer): void;
}

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
/** How much of an oversize line is kept to read its id from. */
const HEAD_BYTES = 64 * 1024;

/**
 * Frames stdio bytes into lines without a fixed 64 KB limit: chunks of a long line are
 * kept as they came and joined once when the newline arrives (one copy per line).
 */
export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private discarding = false;

  constructor(
    private readonly sink: LineSink,
    private readonly maxLineBytes: number,
  ) {}

  /** Feeds one chunk; calls the sink for every line it completes. */
  push(chunk: Buffer): void {
    let start = 0;
    let newline = chunk.indexOf(NEWLINE, start);
    while (newline !== -1) {
      this.finishLine(chunk, start, newline);
      start = newline + 1;
      newline = chunk.indexOf(NEWLINE, start);
    }
    if (start < chunk.length) this.keep(chunk, start, chunk.length);
  }

  /** True when bytes of an unfinished line are held (the stream ended mid-line). */
  get hasPartialLine(): boolean {
    return this.pendingBytes > 0 || this.discarding;
  }

  private keep(chunk: Buffer, start: number, end: number): void {
    if (this.discarding) return;
    const length = end - start;
    if (this.pendingBytes + length > this.maxLineBytes) {
      this.discarding = true;
      this.sink.oversize(this.pendingBytes + length, this.pending[0] ?? chunk.subarray(start, end));
      this.pending = [];
      this.pendingBytes = 0;
      return;
    }
    this.pending.push(start === 0 && end === chunk.length ? chunk : chunk.subarray(start, end));
    this.pendingBytes += length;
  }

  private finishLine(chunk: Buffer, start: number, end: number): void {
    if (this.discarding) {
      this.discarding = false;
      return;
    }
    let framed: Buffer;
    if (this.pendingBytes === 0) {
      if (end - start > this.maxLineBytes) {
        this.sink.oversize(end - start, chunk.subarray(start, Math.min(end, start + HEAD_BYTES)));
        return;
      }
      framed = chunk.subarray(start, end + 1);
    } else {
      // The newline is kept with the last piece so that `framed` needs no second copy.
      this.keep(chunk, start, end + 1);
      if (this.discarding) {
        this.discarding = false;
        return;
      }
      framed =
        this.pending.length === 1
          ? (this.pending[0] as Buffer)
          : Buffer.concat(this.pending, this.pendingBytes);
      this.pending = [];
      this.pendingBytes = 0;
    }
    let contentEnd = framed.length - 1;
    if (contentEnd > 0 && framed[contentEnd - 1] === CARRIAGE_RETURN) contentEnd--;
    this.sink.line(framed.subarray(0, contentEnd), framed);
  }
}
