/** Splits a byte stream into newline-terminated lines, with a ceiling on one line's size. */
export interface LineSink {
  /**
   * A complete line: `content` without its `\n` (and without a trailing `\r`). The terminator
   * follows it in the same memory: the `framedBytes` from content's start are the line as it came,
   * to pass on without a copy (see framedLine).
   */
  line(content: Buffer, framedBytes: number): void;
  /** A line grew past the ceiling; its bytes are dropped up to the next newline. `head` is its start. */
  oversize(seenBytes: number, head: Buffer): void;
  /**
   * A line has reached STREAM_FROM_BYTES without its end: asked once, with its pieces so far, whether
   * it is passed on as it comes. Null: it is gathered as any other line.
   */
  longLine?(pieces: readonly Buffer[]): LineStream | null;
}

/** Where the rest of a line that is passed on as it comes goes. */
export interface LineStream {
  /** The next piece, without the terminator. */
  piece(bytes: Buffer): void;
  /** The last piece, terminator included (it may be all of it). */
  end(last: Buffer): void;
  /** The line grew past the ceiling: nothing more of it follows (its bytes are dropped up to the newline). */
  oversize(seenBytes: number): void;
}

/** How long a line gets before the sink is asked whether it is passed on as it comes (see longLine). */
export const STREAM_FROM_BYTES = 256 * 1024;

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
  /** Whether the sink was asked about the line being read (longLine), and where it goes if it said yes. */
  private asked = false;
  private stream: LineStream | null = null;

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
    if (start < chunk.length) {
      this.keep(chunk, start, chunk.length);
      this.offerStream();
    }
  }

  /**
   * The input ended: the bytes of the line it ended in the middle of, which are forgotten; null when
   * it ended between lines, or inside a line over the ceiling (oversize reported that one).
   */
  endInput(): Buffer | null {
    const partial =
      this.discarding || this.stream !== null || this.pendingBytes === 0
        ? null
        : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    this.discarding = false;
    this.asked = false;
    return partial;
  }

  /** Holds [start, end) of the chunk; `counted` of its bytes count toward the ceiling (not a terminator). */
  private keep(chunk: Buffer, start: number, end: number, counted = end - start): void {
    if (this.discarding) return;
    const length = end - start;
    if (this.pendingBytes + counted > this.maxLineBytes) {
      this.discarding = true;
      const stream = this.stream;
      if (stream === null)
        this.sink.oversize(this.pendingBytes + counted, this.head(chunk.subarray(start, end)));
      else stream.oversize(this.pendingBytes + counted);
      this.pending = [];
      this.pendingBytes = 0;
      this.stream = null;
      return;
    }
    const piece = start === 0 && end === chunk.length ? chunk : chunk.subarray(start, end);
    this.pendingBytes += length;
    if (this.stream !== null) {
      this.stream.piece(piece);
      return;
    }
    this.pending.push(piece);
  }

  /**
   * The first HEAD_BYTES of the line being dropped: the pieces held of it, then `last`. Its first
   * piece alone may be a few bytes (the end of the chunk that ended the line before), short of its id.
   */
  private head(last: Buffer): Buffer {
    const pieces: Buffer[] = [];
    let bytes = 0;
    for (const piece of [...this.pending, last]) {
      if (bytes >= HEAD_BYTES) break;
      pieces.push(piece);
      bytes += piece.length;
    }
    return Buffer.concat(pieces, Math.min(bytes, HEAD_BYTES));
  }

  /** Once a line held without its end is long enough: asks the sink whether it is passed on as it comes. */
  private offerStream(): void {
    if (this.asked || this.pendingBytes < STREAM_FROM_BYTES || this.sink.longLine === undefined) return;
    if (this.discarding || this.stream !== null) return;
    this.asked = true;
    this.stream = this.sink.longLine(this.pending);
    // Passed on: from here the splitter only counts the line's bytes (for the ceiling).
    if (this.stream !== null) this.pending = [];
  }

  private finishLine(chunk: Buffer, start: number, end: number): void {
    this.asked = false;
    if (this.discarding) {
      this.discarding = false;
      return;
    }
    const stream = this.stream;
    if (stream !== null) {
      this.stream = null;
      const bytes = this.pendingBytes + end - start;
      this.pendingBytes = 0;
      if (bytes > this.maxLineBytes) stream.oversize(bytes);
      else stream.end(chunk.subarray(start, end + 1));
      return;
    }
    if (this.pendingBytes === 0) {
      if (end - start > this.maxLineBytes) {
        this.sink.oversize(end - start, chunk.subarray(start, Math.min(end, start + HEAD_BYTES)));
        return;
      }
      // One view per line, over its content: the terminator is only counted (see LineSink).
      this.deliver(chunk, start, end);
      return;
    }
    // The newline is kept with the last piece, so that the joined line holds its terminator too; as
    // for a line in one chunk, only its content counts toward the ceiling.
    this.keep(chunk, start, end + 1, end - start);
    if (this.discarding) {
      this.discarding = false;
      return;
    }
    const joined =
      this.pending.length === 1
        ? (this.pending[0] as Buffer)
        : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    this.deliver(joined, 0, joined.length - 1);
  }

  /** Hands the sink the line in [start, newline) of `bytes`, without a trailing \r. */
  private deliver(bytes: Buffer, start: number, newline: number): void {
    let contentEnd = newline;
    if (contentEnd > start && bytes[contentEnd - 1] === CARRIAGE_RETURN) contentEnd--;
    this.sink.line(bytes.subarray(start, contentEnd), newline + 1 - start);
  }
}

/** The line as it came, terminator included: `framedBytes` from content's start, in the same memory. */
export function framedLine(content: Buffer, framedBytes: number): Buffer {
  return Buffer.from(content.buffer, content.byteOffset, framedBytes);
}
