// A proxy session in this process: the real ProxySession and Gate over streams, a clock the test
// moves, and an audit log in a temporary file. Client and server lines go in as data events (as
// bench/hot-path.js feeds them), so everything they cause has happened when the call returns.
import { PassThrough, Writable } from "node:stream";
import type { Approver } from "../../src/approval/request.js";
import { AuditLog } from "../../src/audit/log.js";
import type { CompiledPolicy } from "../../src/policy/types.js";
import { Gate } from "../../src/proxy/gate.js";
import { ProxySession } from "../../src/proxy/session.js";
import { readJsonLines } from "./tmp.js";

type Message = Record<string, unknown>;

/** The `_meta` envelope a 2026-07-28 client puts on every request and cancellation. */
export const MODERN_META = {
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientInfo": { name: "c", version: "1" },
  "io.modelcontextprotocol/clientCapabilities": {},
};

/** A Writable that keeps every complete line written to it, in order, and counts every byte. */
class LineSink extends Writable {
  private readonly lines: string[] = [];
  private partial = "";
  /** Bytes written so far, those of a line not yet ended included. */
  bytes = 0;
  /** Called with each chunk as it is written. */
  observer: ((chunk: Buffer) => void) | null = null;

  constructor() {
    super({
      write: (chunk: Buffer, _encoding, done) => {
        this.bytes += chunk.length;
        this.observer?.(chunk);
        this.take(chunk.toString("latin1"));
        done();
      },
    });
  }

  private take(text: string): void {
    const lines = (this.partial + text).split("\n");
    this.partial = lines.pop() ?? "";
    this.lines.push(...lines);
  }

  /** The messages written since the last call, parsed. */
  drain(): Message[] {
    return this.drainText().map(
      (line) => JSON.parse(Buffer.from(line, "latin1").toString("utf8")) as Message,
    );
  }

  /** The lines written since the last call, as their bytes (latin1), without their newlines. */
  drainText(): string[] {
    return this.lines.splice(0, this.lines.length);
  }
}

export interface InProcessOptions {
  policy: CompiledPolicy;
  auditPath: string;
  approver?: Approver | null;
  maxLineBytes?: number;
  /** How long a call waits for the server's tool list (ProxyOptions.definitionTimeoutMs). */
  definitionTimeoutMs?: number;
}

/** One wrap session without processes: what the client and the server were sent, and the audit log. */
export class InProcessProxy {
  /** Milliseconds, as the gate's clock reads them; tests move it. */
  nowMs = 1_700_000_000_000;
  readonly warnings: string[] = [];
  readonly gate: Gate;
  readonly session: ProxySession;
  private readonly clientInput = new PassThrough();
  private readonly serverOutput = new PassThrough();
  private readonly toClient = new LineSink();
  private readonly toServer = new LineSink();
  private readonly audit: AuditLog;

  constructor(private readonly options: InProcessOptions) {
    const warn = (message: string) => this.warnings.push(message);
    this.audit = AuditLog.open(options.auditPath, { event: "session_start" });
    this.gate = new Gate({
      policy: options.policy,
      audit: this.audit,
      sessionId: "in-process",
      serverLabel: "in-process server",
      now: () => this.nowMs,
      approver: options.approver ?? null,
      warn,
    });
    this.session = new ProxySession({
      clientInput: this.clientInput,
      clientOutput: this.toClient,
      serverInput: this.toServer,
      serverOutput: this.serverOutput,
      gate: this.gate,
      maxLineBytes: options.maxLineBytes ?? 1024 * 1024,
      ...(options.definitionTimeoutMs === undefined
        ? {}
        : { definitionTimeoutMs: options.definitionTimeoutMs }),
      warn,
    });
    this.session.start();
  }

  /** Sends one message from the client. */
  fromClient(message: Message): void {
    this.clientInput.emit("data", Buffer.from(`${JSON.stringify(message)}\n`));
  }

  /** Sends one message from the server. */
  fromServer(message: Message): void {
    this.serverOutput.emit("data", Buffer.from(`${JSON.stringify(message)}\n`));
  }

  /** The server closes its output (the process may still run). */
  serverClosesOutput(): void {
    this.serverOutput.emit("end");
  }

  /** Sends bytes from the client, as one chunk (a piece of a line, or several lines). */
  fromClientBytes(bytes: Buffer | string): void {
    this.clientInput.emit("data", Buffer.from(bytes));
  }

  /** Sends bytes from the server, as one chunk (a piece of a line, or several lines). */
  fromServerBytes(bytes: Buffer | string): void {
    this.serverOutput.emit("data", Buffer.from(bytes));
  }

  /** What the client was sent since the last call, as lines of bytes (latin1), unparsed. */
  clientReceivedText(): string[] {
    return this.toClient.drainText();
  }

  /** How many bytes the client was sent in all, those of a line not yet ended included. */
  get clientReceivedBytes(): number {
    return this.toClient.bytes;
  }

  /** Calls `observer` with every chunk written to the client, as it is written. */
  observeClient(observer: (chunk: Buffer) => void): void {
    this.toClient.observer = observer;
  }

  /** Calls `observer` with every chunk written to the server, as it is written. */
  observeServer(observer: (chunk: Buffer) => void): void {
    this.toServer.observer = observer;
  }

  /**
   * The client lists the tools and the server answers with `tools` on one page: the whole list is
   * then known, so calls are decided at once (by definition, or as tools the server does not list).
   */
  serverLists(tools: Message[]): void {
    this.fromClient({ jsonrpc: "2.0", id: "in-process-list", method: "tools/list" });
    this.serverReceived();
    this.fromServer({ jsonrpc: "2.0", id: "in-process-list", result: { tools } });
    this.clientReceived();
  }

  /** What the client was sent since the last call. */
  clientReceived(): Message[] {
    return this.toClient.drain();
  }

  /** What the server was sent since the last call. */
  serverReceived(): Message[] {
    return this.toServer.drain();
  }

  /** The audit log's lines so far. */
  auditLines(): Message[] {
    return readJsonLines(this.options.auditPath);
  }

  /** Closes the audit log. */
  close(): void {
    this.audit.close();
  }
}
