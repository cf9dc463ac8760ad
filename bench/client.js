// A minimal MCP client for the benchmark (not the SDK, whose own cost would hide ours):
// newline-delimited JSON-RPC over a child's stdio, requests matched to responses by id.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";

/** Lines up to this size are parsed; larger ones (the large result) only have their id read. */
const PARSE_LIMIT_BYTES = 64 * 1024;
const ID_PATTERN = /"id"\s*:\s*(\d+)/;

/** One spawned process speaking MCP on its stdio. */
export class McpPeer {
  constructor(command, args) {
    this.startedNs = process.hrtime.bigint();
    this.child = spawn(command, args, { stdio: ["pipe", "pipe", "inherit"] });
    this.exited = new Promise((resolve) =>
      this.child.once("exit", (code, signal) => resolve({ code, signal })),
    );
    this.nextId = 1;
    this.waiting = new Map();
    this.chunks = [];
    this.child.stdout.on("data", (chunk) => this.onData(chunk));
  }

  onData(chunk) {
    let start = 0;
    let newline = chunk.indexOf(10);
    while (newline !== -1) {
      let line = chunk.subarray(start, newline);
      if (this.chunks.length > 0) {
        this.chunks.push(line);
        line = Buffer.concat(this.chunks);
        this.chunks = [];
      }
      this.onLine(line);
      start = newline + 1;
      newline = chunk.indexOf(10, start);
    }
    if (start < chunk.length) this.chunks.push(chunk.subarray(start));
  }

  onLine(line) {
    let id;
    let message = null;
    if (line.length <= PARSE_LIMIT_BYTES) {
      message = JSON.parse(line.toString("utf8"));
      id = message.id;
    } else {
      id = Number(ID_PATTERN.exec(line.toString("latin1", 0, 256))?.[1]);
    }
    const resolve = this.waiting.get(id);
    if (resolve === undefined) return;
    this.waiting.delete(id);
    resolve({ message, bytes: line.length });
  }

  /** Sends a request; resolves with the parsed response (null when it was too large to parse) and its size. */
  request(method, params) {
    const id = this.nextId++;
    const promise = new Promise((resolve) => this.waiting.set(id, resolve));
    this.child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", id, method, params })}\n`);
    return promise;
  }

  notify(method, params) {
    this.child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", method, params })}\n`);
  }

  /** Peak resident set size of the process, in bytes (Linux: VmHWM). */
  peakRssBytes() {
    const status = readFileSync(`/proc/${this.child.pid}/status`, "utf8");
    const kib = /VmHWM:\s*(\d+)\s*kB/.exec(status)?.[1];
    return kib === undefined ? null : Number(kib) * 1024;
  }

  /** Closes the child's stdin and waits for it to exit. */
  async close() {
    this.child.stdin.end();
    return this.exited;
  }
}

/** Throws unless `response` is a tools/call result that the server produced (not a denial, not an error). */
export function expectEcho(response, text) {
  const result = response.message?.result;
  if (!result || result.isError || result.content?.[0]?.text !== text) {
    throw new Error(`expected the echo of the call, got ${JSON.stringify(response.message).slice(0, 300)}`);
  }
}
