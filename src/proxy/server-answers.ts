// Server answers that do not pass as one whole line read at once: a long answer passed to the client
// as it comes (see LineSink.longLine), read piece by piece, its end held back for the call's audit
// line, and cut off where it turns out not to be the answer its head promised; and the answers a
// line that is not passed on names, which get an error in the server's place.
import { ErrorCode, errorLine } from "../wire/jsonrpc.js";
import type { LineStream } from "../wire/lines.js";
import type { BatchedOutput } from "../wire/output.js";
import { requestIdIn } from "../wire/response-scan.js";
import { answerIdsOf, ResponseStreamScan } from "../wire/response-stream.js";
import type { ClientRequests, PendingRequest } from "./client-requests.js";

/** What ends an answer cut off while it was passed on: a raw control character (no line of JSON holds one), then the newline. */
export const CUT_OFF = "\u0001\n";

/**
 * How long lines of ours may wait behind an answer being passed on, counted while the client is
 * reading (not while it is the client that holds the answer up), before the answer is cut off so
 * that they can go.
 */
export const HELD_BACK_MS = 5000;
/** How often the wait is looked at. */
const WATCH_EVERY_MS = 250;

/** What the answers need of the session. */
export interface ServerAnswersHost {
  readonly toClient: BatchedOutput;
  readonly pending: ClientRequests;
  /** Whether the id is that of a request of ours to the server (its answer never reaches the client). */
  ownsRequest(id: string | number): boolean;
  /** Fails a request of ours to the server with `message`. */
  failOwnRequest(id: string | number, message: string): void;
  clientGone(): boolean;
  sendToClient(line: string): void;
  warn(message: string): void;
  maxLineBytes: number;
}

/** The answer being passed on, if any; at most one at a time (lines come one after another). */
export class ServerAnswers {
  private current: StreamedAnswer | null = null;

  constructor(private readonly host: ServerAnswersHost) {}

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
    // An object already closed is gathered: nothing of it may leave before it is checked.
    if (!(idBytes instanceof Buffer) || scan.closedSoFar) return null;
    const id = requestIdIn(idBytes, [0, idBytes.length]);
    if (id === null || host.ownsRequest(id)) return null;
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

  /**
   * A server line that is not passed on (unreadable, or over the ceiling: then its head): each
   * request an answer on it names, if it waits for the server, gets `message` (a request of ours,
   * `ownMessage`) instead of waiting for ever.
   */
  answerInstead(line: Buffer, code: number, message: string, ownMessage: string): void {
    const { host } = this;
    for (const id of answerIdsOf(line)) {
      // Our own tools/list: the calls waiting for it are denied now, not at the timeout.
      if (host.ownsRequest(id)) host.failOwnRequest(id, ownMessage);
      else {
        const entry = host.pending.get(id);
        // A call still waiting for a person was never sent to the server: nothing of the server's answers it.
        if (entry !== undefined && entry.approval === undefined) failRequest(host, entry, code, message);
      }
    }
  }
}

/**
 * Answers a request that waits for the server with an error in its place, and audits it so. The
 * server answered it (with what could not be passed on): a call counts against its limits.
 */
function failRequest(host: ServerAnswersHost, entry: PendingRequest, code: number, message: string): void {
  host.pending.remove(entry);
  entry.listed?.(null);
  entry.forwarded?.reachedServer();
  entry.forwarded?.finish("protocol_error");
  host.sendToClient(errorLine(entry.id, code, message));
}

class StreamedAnswer implements LineStream {
  /** Whether the answer is still being passed on (not ended, not cut off). */
  private open = true;
  /**
   * The line from its object's closing brace on: held back with the last piece until the answer is
   * checked and audited, since a client that reads JSON values (not lines) has the answer at that brace.
   */
  private tail: Buffer[] = [];
  private watch: NodeJS.Timeout | null = null;

  constructor(
    private readonly host: ServerAnswersHost,
    private readonly entry: PendingRequest,
    private readonly idBytes: Buffer,
    private readonly scan: ResponseStreamScan,
    private readonly closed: () => void,
  ) {}

  /** Passes on the pieces the answer was recognised in (its object is still open after them). */
  begin(pieces: readonly Buffer[]): void {
    const toClient = this.host.toClient;
    toClient.openLine();
    for (const piece of pieces) toClient.openLinePiece(piece);
    this.armWatch();
  }

  piece(bytes: Buffer): void {
    if (!this.open) return;
    const closedAt = this.scan.feed(bytes);
    if (this.scan.failedSoFar) {
      this.notTheAnswer("it is not one JSON-RPC response to the request its head named");
      return;
    }
    if (this.tail.length > 0 || closedAt === 0) {
      this.tail.push(bytes);
      return;
    }
    if (closedAt === -1) {
      if (!this.host.clientGone()) this.host.toClient.openLinePiece(bytes);
      return;
    }
    if (!this.host.clientGone()) this.host.toClient.openLinePiece(bytes.subarray(0, closedAt));
    this.tail.push(bytes.subarray(closedAt));
  }

  /** The end of the line: checked and audited, then the rest of it leaves; or it is cut off when it is not the answer its head named. */
  end(last: Buffer): void {
    if (!this.open) return;
    const { scan, entry, host } = this;
    scan.feed(last);
    const id = scan.member("id");
    const answers =
      scan.complete && id instanceof Buffer && id.equals(this.idBytes) && scan.member("method") === null;
    if (!answers || host.pending.get(entry.id) !== entry) {
      this.notTheAnswer(
        answers
          ? "its request is no longer waiting"
          : "it is not one JSON-RPC response to the request its head named",
      );
      return;
    }
    this.close();
    host.pending.remove(entry);
    const end = scan.end();
    entry.forwarded?.finish(end, end === "input_required" ? scan.requestState() : undefined);
    if (host.clientGone()) return;
    this.tail.push(last);
    host.toClient.closeLine(this.tail.length === 1 ? last : Buffer.concat(this.tail));
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

  private notTheAnswer(why: string): void {
    this.host.warn(`cut off a server message passed on as it came: ${why}`);
    this.cutOff(
      ErrorCode.InternalError,
      "The server's answer could not be read as one JSON-RPC response to this request; policylayer cut it off",
    );
  }

  /**
   * Ends what the client got of the answer with CUT_OFF (its object never closed there), so that it
   * drops it, and, given a code, answers the request with that error instead. The rest of the line,
   * if it comes, is dropped.
   */
  cutOff(code?: number, message?: string): void {
    if (!this.open) return;
    this.close();
    const { host, entry } = this;
    if (!host.clientGone()) host.toClient.closeLine(CUT_OFF);
    if (code !== undefined && message !== undefined && host.pending.get(entry.id) === entry)
      failRequest(host, entry, code, message);
  }

  private close(): void {
    this.open = false;
    if (this.watch !== null) clearTimeout(this.watch);
    this.watch = null;
    this.closed();
  }

  /**
   * Looks every WATCH_EVERY_MS at how long lines of ours have waited behind the answer while the
   * client was reading; once that is HELD_BACK_MS, however the server goes on, the answer is cut off.
   */
  private armWatch(): void {
    this.watch = setTimeout(() => {
      this.watch = null;
      if (!this.open) return;
      const { host } = this;
      if (host.toClient.heldBackWhileReadingMs() >= HELD_BACK_MS) {
        host.warn(
          `cut off a server message passed on as it came: lines of policylayer's waited behind it for ${HELD_BACK_MS / 1000} s`,
        );
        this.cutOff(
          ErrorCode.InternalError,
          `The server's answer kept policylayer's own messages waiting for ${HELD_BACK_MS / 1000} s; policylayer cut it off`,
        );
        return;
      }
      this.armWatch();
    }, WATCH_EVERY_MS);
    this.watch.unref();
  }
}
