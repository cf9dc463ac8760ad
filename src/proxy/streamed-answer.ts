// A long answer from the server passed to the client as it comes (see LineSink.longLine), instead
// of being gathered first: read piece by piece, its last piece held back for the call's audit line,
// and cut off where it turns out not to be the answer its head promised.
import { ErrorCode, errorLine } from "../wire/jsonrpc.js";
import type { LineStream } from "../wire/lines.js";
import type { BatchedOutput } from "../wire/output.js";
import { parseRange } from "../wire/peek.js";
import { ResponseStreamScan } from "../wire/response-stream.js";
import type { ClientRequests, PendingRequest } from "./client-requests.js";

/** What ends an answer cut off while it was passed on: a raw control character (no line of JSON holds one), then the newline. */
export const CUT_OFF = "\u0001\n";

/**
 * How long an answer being passed on may stop in its middle while lines of ours wait behind it
 * (and the client is reading), before it is cut off so that they can go.
 */
export const STALLED_ANSWER_MS = 5000;

/** What the streams need of the session. */
export interface AnswerStreamHost {
  readonly toClient: BatchedOutput;
  readonly pending: ClientRequests;
  /** Whether the id is that of a request of ours to the server (its answer never reaches the client). */
  ownsRequest(id: string | number): boolean;
  clientGone(): boolean;
  sendToClient(line: string): void;
  warn(message: string): void;
  maxLineBytes: number;
  /** Milliseconds, for the stall watch. */
  now(): number;
}

/** The answer being passed on, if any; at most one at a time (lines come one after another). */
export class AnswerStreams {
  private current: StreamedAnswer | null = null;

  constructor(private readonly host: AnswerStreamHost) {}

  /**
   * A long server line, before its end. An answer to a request of the client's that the server was
   * asked (not tools/list, whose answer is filtered, nor a request of ours) is passed on as it comes;
   * anything else, and an answer whose id does not come before its result, is gathered (null).
   */
  offer(pieces: readonly Buffer[]): LineStream | null {
    const host = this.host;
    if (host.clientGone()) return null;
    const scan = new ResponseStreamScan();
    for (const piece of pieces) scan.feed(piece);
    const idBytes = scan.idSoFar;
    if (!(idBytes instanceof Buffer)) return null;
    let id: unknown;
    try {
      id = parseRange(idBytes, [0, idBytes.length]);
    } catch {
      return null;
    }
    if ((typeof id !== "string" && typeof id !== "number") || host.ownsRequest(id)) return null;
    const entry = host.pending.get(id);
    if (entry === undefined || entry.approval !== undefined || entry.method === "tools/list") return null;
    const answer = new StreamedAnswer(host, entry, idBytes, scan, () => {
      if (this.current === answer) this.current = null;
    });
    this.current = answer;
    answer.begin(pieces);
    return answer;
  }

  /** The server is gone: an answer in its middle is cut off, so that the errors that follow are lines of their own. */
  serverExited(): void {
    this.current?.cutOff();
  }
}

class StreamedAnswer implements LineStream {
  /** Whether the answer is still being passed on (not ended, not cut off). */
  private open = true;
  private lastPieceMs: number;
  private watch: NodeJS.Timeout | null = null;

  constructor(
    private readonly host: AnswerStreamHost,
    private readonly entry: PendingRequest,
    private readonly idBytes: Buffer,
    private readonly scan: ResponseStreamScan,
    private readonly closed: () => void,
  ) {
    this.lastPieceMs = host.now();
  }

  begin(pieces: readonly Buffer[]): void {
    const toClient = this.host.toClient;
    toClient.openLine();
    for (const piece of pieces) toClient.openLinePiece(piece);
    this.armWatch(STALLED_ANSWER_MS);
  }

  piece(bytes: Buffer): void {
    if (!this.open) return;
    this.lastPieceMs = this.host.now();
    this.scan.feed(bytes);
    if (!this.host.clientGone()) this.host.toClient.openLinePiece(bytes);
  }

  /** The end of the line: audited, then its last piece leaves; or it is cut off when it is not the answer its head named. */
  end(last: Buffer): void {
    if (!this.open) return;
    const { scan, entry, host } = this;
    scan.feed(last);
    const id = scan.member("id");
    const answers =
      scan.complete && id instanceof Buffer && id.equals(this.idBytes) && scan.member("method") === null;
    if (!answers || host.pending.get(entry.id) !== entry) {
      host.warn(
        `cut off a server message passed on as it came: ${answers ? "its request is no longer waiting" : "it is not one JSON-RPC response to the request its head named"}`,
      );
      this.cutOff(
        ErrorCode.InternalError,
        "The server's answer could not be read as one JSON-RPC response to this request; policylayer cut it off",
      );
      return;
    }
    this.close();
    host.pending.remove(entry);
    const end = scan.end();
    entry.forwarded?.finish(end, end === "input_required" ? scan.requestState() : undefined);
    if (!host.clientGone()) host.toClient.closeLine(last);
  }

  oversize(seenBytes: number): void {
    if (!this.open) return;
    const { maxLineBytes } = this.host;
    this.host.warn(
      `dropped the rest of a server message of over ${seenBytes} bytes (ceiling ${maxLineBytes})`,
    );
    this.cutOff(
      ErrorCode.MessageTooLarge,
      `The server's answer was over policylayer's ceiling of ${maxLineBytes} bytes`,
    );
  }

  /**
   * Ends what the client got of the answer with CUT_OFF, so that it drops it, and, given a code,
   * answers the request with that error instead. The rest of the line, if it comes, is dropped.
   */
  cutOff(code?: number, message?: string): void {
    if (!this.open) return;
    this.close();
    const { host, entry } = this;
    if (!host.clientGone()) host.toClient.closeLine(CUT_OFF);
    if (code === undefined || message === undefined || host.pending.get(entry.id) !== entry) return;
    host.pending.remove(entry);
    entry.forwarded?.finish("protocol_error");
    host.sendToClient(errorLine(entry.id, code, message));
  }

  private close(): void {
    this.open = false;
    if (this.watch !== null) clearTimeout(this.watch);
    this.watch = null;
    this.closed();
  }

  /**
   * Watches for an answer that stopped in its middle: once no piece has come for STALLED_ANSWER_MS
   * while lines of ours wait behind it and the client is reading, it is cut off.
   */
  private armWatch(delayMs: number): void {
    this.watch = setTimeout(() => {
      this.watch = null;
      if (!this.open) return;
      const { host } = this;
      const idleMs = host.now() - this.lastPieceMs;
      if (idleMs >= STALLED_ANSWER_MS && host.toClient.holdsBack && !host.toClient.waitingForDrain) {
        host.warn(
          `cut off a server message passed on as it came: the server wrote nothing more of it for ${STALLED_ANSWER_MS / 1000} s`,
        );
        this.cutOff(
          ErrorCode.InternalError,
          `The server stopped in the middle of its answer for ${STALLED_ANSWER_MS / 1000} s; policylayer cut it off`,
        );
        return;
      }
      this.armWatch(Math.max(STALLED_ANSWER_MS - idleMs, 100));
    }, delayMs);
    this.watch.unref();
  }
}
