// A small MCP client of our own: start a server, list its tools, stop it. Not the SDK's Client: importing
// it costs ~280 ms of CPU (measured: 279-302 ms, against 16-18 ms for this module), on every check, tools and init.
import { terminalLine, visibleField } from "../display/visible.js";
import { META_CLIENT_CAPABILITIES, META_CLIENT_INFO, META_PROTOCOL_VERSION } from "../wire/era.js";
import { parseJson } from "../wire/json.js";
import {
  ErrorCode,
  errorLine,
  isJsonObject,
  type JsonObject,
  type RequestId,
  resultLine,
  toLine,
} from "../wire/jsonrpc.js";
import { LineSplitter } from "../wire/lines.js";
import {
  describeExit,
  endGroup,
  type ServerProcess,
  type SpawnPlace,
  startServer,
  stopServer,
} from "./server-process.js";

/** What the server said about itself and every tool it listed, as the raw JSON objects it sent. */
export interface ListedServer {
  /** The `serverInfo` of its initialize result ({ name, version, ... }), or null where it sent none. */
  serverInfo: JsonObject | null;
  /** Every `tools` entry of every tools/list page that is an object, in the server's order. */
  tools: JsonObject[];
}

export interface ListToolsOptions extends SpawnPlace {
  /** How long the whole exchange (start, initialize, every tools/list page) may take. */
  timeoutMs: number;
  /** How long each shutdown step waits before the next, harsher one. */
  graceMs?: number;
  /** Largest line accepted from the server. */
  maxLineBytes?: number;
}

/** Why the tools could not be listed, in words that name the problem; the CLI prints it as is. */
export class ListToolsError extends Error {
  constructor(
    message: string,
    /** The server's JSON-RPC error code and data, where it answered with an error. */
    readonly code?: unknown,
    readonly data?: unknown,
  ) {
    super(message);
  }
}

/** The protocol version we ask for: the last one with the initialize handshake that servers widely speak. */
const PROTOCOL_VERSION = "2025-06-18";
/** The version without a handshake we ask a server that refuses the handshake in its favour. */
const MODERN_PROTOCOL_VERSION = "2026-07-28";
/** Where a 2026-07-28 server/discover result names the server (spec 2026-07-28, server/discover). */
const META_SERVER_INFO = "io.modelcontextprotocol/serverInfo";
const CLIENT_INFO = { name: "policylayer", version: "0.1.0" };

/**
 * True for the refusal of our initialize by a server of the 2026-07-28 era: -32022 (unsupported
 * protocol version) with MODERN_PROTOCOL_VERSION among its `supported` versions.
 */
function supportsModern(error: unknown): boolean {
  if (!(error instanceof ListToolsError) || error.code !== UNSUPPORTED_PROTOCOL_VERSION) return false;
  const supported = isJsonObject(error.data) ? error.data.supported : undefined;
  return Array.isArray(supported) && supported.includes(MODERN_PROTOCOL_VERSION);
}

/** The JSON-RPC error code of a refused protocol version (spec 2026-07-28, basic/versioning). */
const UNSUPPORTED_PROTOCOL_VERSION = -32022;
/** A server that hands out cursors forever is cut off here. */
const MAX_PAGES = 1000;

interface Pending {
  method: string;
  resolve(result: unknown): void;
  reject(error: ListToolsError): void;
}

/**
 * Starts `command args`, runs the initialize handshake, follows tools/list's `nextCursor` across all
 * pages, then stops the server's whole process group. The server's stderr passes through to ours.
 */
export async function listServerTools(
  command: string,
  args: readonly string[],
  options: ListToolsOptions,
): Promise<ListedServer> {
  const graceMs = options.graceMs ?? 2000;
  let server: ServerProcess;
  try {
    server = await startServer(command, args, { env: options.env, cwd: options.cwd });
  } catch (error) {
    throw new ListToolsError(error instanceof Error ? error.message : String(error));
  }
  const killGroup = () => {
    if (server.groupAlive()) server.signalGroup("SIGKILL");
  };
  // Ctrl-C (a closed terminal: SIGHUP) reaches only our process group, not the server's: end it, then
  // let the signal end us as it would have without this handler (the caller's own handlers still run; no exit from here).
  const onSignal = (signal: NodeJS.Signals) => {
    killGroup();
    removeHandlers();
    process.kill(process.pid, signal);
  };
  const removeHandlers = () => {
    process.off("exit", killGroup);
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    process.off("SIGHUP", onSignal);
  };
  process.on("exit", killGroup);
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  process.on("SIGHUP", onSignal);
  const client = new ListingClient(server, options.maxLineBytes ?? 64 * 1024 * 1024);
  const deadline = setTimeout(
    () =>
      client.failAll(
        (method) =>
          `the server did not answer ${method} within ${options.timeoutMs / 1000} s; ` +
          `check that "${[command, ...args].join(" ")}" starts an MCP server on stdio`,
      ),
    options.timeoutMs,
  );
  try {
    // The handshake first (servers widely speak it); a server of the 2026-07-28 era only refuses it
    // with its supported versions, and is then asked as that era asks: every request with its envelope.
    let serverInfo: JsonObject | null;
    let envelope: JsonObject | null = null;
    try {
      const initialized = await client.request("initialize", {
        protocolVersion: PROTOCOL_VERSION,
        capabilities: {},
        clientInfo: CLIENT_INFO,
      });
      client.notify("notifications/initialized");
      serverInfo =
        isJsonObject(initialized) && isJsonObject(initialized.serverInfo) ? initialized.serverInfo : null;
    } catch (error) {
      if (!supportsModern(error)) throw error;
      envelope = {
        [META_PROTOCOL_VERSION]: MODERN_PROTOCOL_VERSION,
        [META_CLIENT_INFO]: CLIENT_INFO,
        [META_CLIENT_CAPABILITIES]: {},
      };
      const discovered = await client.request("server/discover", { _meta: envelope });
      const meta = isJsonObject(discovered) ? discovered._meta : undefined;
      serverInfo = isJsonObject(meta) && isJsonObject(meta[META_SERVER_INFO]) ? meta[META_SERVER_INFO] : null;
    }
    const tools: JsonObject[] = [];
    const seenCursors = new Set<string>();
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const params: JsonObject = cursor === undefined ? {} : { cursor };
      if (envelope !== null) params._meta = envelope;
      const result = await client.request("tools/list", params);
      if (!isJsonObject(result) || !Array.isArray(result.tools)) {
        throw new ListToolsError(
          "the server's tools/list result has no tools list; it is not a valid MCP answer",
        );
      }
      for (const tool of result.tools) if (isJsonObject(tool)) tools.push(tool);
      const next = result.nextCursor;
      if (typeof next !== "string") return { serverInfo, tools };
      if (seenCursors.has(next)) {
        throw new ListToolsError(`the server's tools/list repeats the cursor ${JSON.stringify(next)}`);
      }
      seenCursors.add(next);
      cursor = next;
    }
    throw new ListToolsError(`the server's tools/list did not end within ${MAX_PAGES} pages`);
  } finally {
    clearTimeout(deadline);
    await stopServer(server, graceMs);
    await endGroup(server, graceMs);
    removeHandlers();
  }
}

/** The request/response bookkeeping over the server's stdin and stdout. */
class ListingClient {
  private nextId = 1;
  private readonly pending = new Map<RequestId, Pending>();
  /** Set once the server can no longer answer: later requests fail with it at once. */
  private failure: ((method: string) => string) | null = null;

  constructor(
    private readonly server: ServerProcess,
    maxLineBytes: number,
  ) {
    const splitter = new LineSplitter(
      {
        line: (content) => this.onLine(content),
        oversize: (bytes) =>
          process.stderr.write(
            `policylayer: ignored a ${bytes}-byte line from the server, larger than ${maxLineBytes} bytes\n`,
          ),
      },
      maxLineBytes,
    );
    server.stdout.on("data", (chunk: Buffer) => splitter.push(chunk));
    // A server that stops reading must not crash us with EPIPE; its exit explains what happened.
    server.stdin.on("error", () => {});
    server.stdout.once("close", () => {
      void server.exited.then((exit) =>
        this.failAll(
          (method) => `the server ${describeExit(exit)} before answering ${method}; its stderr is above`,
        ),
      );
    });
  }

  /** Sends a request and resolves with its result; a JSON-RPC error becomes a ListToolsError. */
  request(method: string, params: JsonObject): Promise<unknown> {
    const failure = this.failure;
    if (failure !== null) return Promise.reject(new ListToolsError(failure(method)));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { method, resolve, reject });
      this.server.stdin.write(toLine({ jsonrpc: "2.0", id, method, params }));
    });
  }

  /** Sends a notification. */
  notify(method: string): void {
    this.server.stdin.write(toLine({ jsonrpc: "2.0", method }));
  }

  /** Fails every pending request, and every later one, with the message for its method. */
  failAll(message: (method: string) => string): void {
    this.failure ??= message;
    for (const [id, pending] of this.pending) {
      this.pending.delete(id);
      pending.reject(new ListToolsError(message(pending.method)));
    }
  }

  private onLine(content: Buffer): void {
    let message: unknown;
    try {
      message = parseJson(content);
    } catch {
      message = undefined;
    }
    if (!isJsonObject(message)) {
      if (content.length > 0) {
        // The server's bytes are shown visibly (an escape sequence could clear the screen or forge a line;
        // right-to-left text, on a bidi terminal, reorder it).
        const head = visibleField(content.toString("utf8", 0, Math.min(content.length, 200)));
        process.stderr.write(
          `${terminalLine(`policylayer: ignored a line on the server's stdout that is not JSON-RPC: ${head}`)}\n`,
        );
      }
      return;
    }
    const id = message.id;
    const hasId = typeof id === "string" || typeof id === "number";
    if (typeof message.method === "string") {
      // A request from the server (ping, roots/list, ...): answer so that it does not wait on us.
      if (hasId) {
        this.server.stdin.write(
          message.method === "ping"
            ? resultLine(id, {})
            : errorLine(id, ErrorCode.MethodNotFound, `Method not found: ${message.method}`),
        );
      }
      return;
    }
    if (!hasId) return;
    const pending = this.pending.get(id);
    if (pending === undefined) return;
    this.pending.delete(id);
    if (isJsonObject(message.error)) {
      const { code, message: text, data } = message.error;
      pending.reject(
        new ListToolsError(
          `the server answered ${pending.method} with error ${String(code)}: ${typeof text === "string" ? text : "(no message)"}`,
          code,
          data,
        ),
      );
    } else if ("result" in message) {
      pending.resolve(message.result);
    } else {
      pending.reject(
        new ListToolsError(`the server's answer to ${pending.method} has neither result nor error`),
      );
    }
  }
}
