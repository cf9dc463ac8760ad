#!/usr/bin/env node
// A small MCP server of our own, for what real servers cannot do on demand: record every line
// that reaches it (RECORD_FILE), crash, hang, close its stdout, ignore SIGTERM, start a grandchild (in its process group or in one of its own), and answer
// with huge or malformed output. Plain JavaScript so tests need no build step for it.
import { spawn } from "node:child_process";
import { appendFileSync, closeSync, writeFileSync } from "node:fs";

const recordFile = process.env.RECORD_FILE;
if (process.env.STARTED_FILE) writeFileSync(process.env.STARTED_FILE, String(process.pid));
if (process.env.IGNORE_SIGTERM === "1") process.on("SIGTERM", () => {});
// Keep running after stdin closes (like a server that ignores EOF) when asked.
const ignoreEof = process.env.IGNORE_EOF === "1";

const PAGE_SIZE = 2;
const tools = [
  { name: "echo", description: "Echo the arguments back", inputSchema: { type: "object" } },
  { name: "delete_stack", description: "Delete a stack", inputSchema: { type: "object" } },
  { name: "batch_delete_nodes", description: "Delete nodes", inputSchema: { type: "object" } },
  { name: "crash", description: "Exit at once with args.code", inputSchema: { type: "object" } },
  { name: "hang", description: "Never answer", inputSchema: { type: "object" } },
  { name: "huge", description: "Answer with args.bytes bytes of text", inputSchema: { type: "object" } },
  {
    name: "spawn_grandchild",
    description: "Start a long-lived grandchild; answer its pid",
    inputSchema: { type: "object" },
  },
  { name: "tool_error", description: "Answer with isError: true", inputSchema: { type: "object" } },
];
let extraToolVisible = false;
// HOLD_LIST_CURSOR=c: the answer to tools/list with that cursor waits for the client's
// notifications/test/release (announced on stderr), so a test can act while a listing is on that page.
const holdCursor = process.env.HOLD_LIST_CURSOR;
let heldAnswers = [];
let firstListIgnored = false;

function send(message) {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

function textResult(text, isError = false) {
  return { content: [{ type: "text", text }], isError };
}

function handle(message) {
  const { id, method, params } = message;
  if (method === "initialize") {
    send({
      jsonrpc: "2.0",
      id,
      result: {
        protocolVersion: params?.protocolVersion ?? "2025-06-18",
        capabilities: { tools: { listChanged: true } },
        serverInfo: { name: "recording-server", version: "1.0.0" },
      },
    });
    return;
  }
  if (method === "tools/list") {
    // A server whose list never comes: calls that wait for a definition must be denied, not hang.
    if (process.env.HANG_TOOLS_LIST === "1") return;
    // One that comes only from the second request on.
    if (process.env.HANG_FIRST_TOOLS_LIST === "1" && !firstListIgnored) {
      firstListIgnored = true;
      return;
    }
    const all = extraToolVisible
      ? [...tools, { name: "batch_delete_later", description: "Appears after list_changed" }]
      : tools;
    const start = params?.cursor ? Number(params.cursor) : 0;
    // HUGE_TOOLS_LIST=n: the first page's first description is n bytes long.
    const huge = Number(process.env.HUGE_TOOLS_LIST ?? 0);
    const page = all
      .slice(start, start + PAGE_SIZE)
      .map((tool, index) =>
        huge > 0 && start === 0 && index === 0 ? { ...tool, description: "x".repeat(huge) } : tool,
      );
    const result = { tools: page };
    // TOOLS_LIST_TTL_MS=n: pages carry the 2026-07-28 cache hint ttlMs.
    if (process.env.TOOLS_LIST_TTL_MS !== undefined) result.ttlMs = Number(process.env.TOOLS_LIST_TTL_MS);
    if (start + PAGE_SIZE < all.length) result.nextCursor = String(start + PAGE_SIZE);
    if (process.env.DECOY_DUPLICATE_ID === "1") {
      // A hostile server: a decoy id first; JSON.parse in the client keeps the last one.
      process.stdout.write(
        `{"jsonrpc":"2.0","id":"decoy","result":${JSON.stringify(result)},"id":${JSON.stringify(id)}}\n`,
      );
      return;
    }
    if (holdCursor !== undefined && params?.cursor === holdCursor) {
      heldAnswers.push({ jsonrpc: "2.0", id, result });
      process.stderr.write(`recording-server: holding tools/list cursor ${holdCursor}\n`);
      return;
    }
    send({ jsonrpc: "2.0", id, result });
    // A hostile server: a second answer to the same id, listing every tool on one page.
    if (process.env.SECOND_LIST_ANSWER === "1") send({ jsonrpc: "2.0", id, result: { tools: all } });
    return;
  }
  if (method === "tools/call") {
    const args = params?.arguments ?? {};
    switch (params?.name) {
      case "echo":
        send({ jsonrpc: "2.0", id, result: textResult(JSON.stringify(args)) });
        return;
      case "crash":
        process.exit(Number(args.code ?? 3));
        return;
      case "hang":
        return;
      case "close_output":
        // Unlisted: closes stdout and answers nothing more, while the process keeps running.
        closeSync(1);
        return;
      case "huge":
        send({ jsonrpc: "2.0", id, result: textResult("x".repeat(Number(args.bytes ?? 1024))) });
        return;
      case "spawn_grandchild": {
        const child = spawn(
          process.execPath,
          ["-e", "process.on('SIGTERM',()=>{}); setInterval(()=>{}, 1000)"],
          {
            stdio: "ignore",
          },
        );
        send({ jsonrpc: "2.0", id, result: textResult(String(child.pid)) });
        return;
      }
      case "spawn_detached": {
        // Unlisted: a grandchild in a process group (and session) of its own, that ignores SIGTERM.
        const child = spawn(
          process.execPath,
          ["-e", "process.on('SIGTERM',()=>{}); setInterval(()=>{}, 1000)"],
          { stdio: "ignore", detached: true },
        );
        child.unref();
        send({ jsonrpc: "2.0", id, result: textResult(String(child.pid)) });
        return;
      }
      case "tool_error":
        send({ jsonrpc: "2.0", id, result: textResult("it failed", true) });
        return;
      case "announce_new_tool":
        extraToolVisible = true;
        send({ jsonrpc: "2.0", method: "notifications/tools/list_changed" });
        send({ jsonrpc: "2.0", id, result: textResult("ok") });
        return;
      default:
        send({ jsonrpc: "2.0", id, result: textResult(`called ${params?.name}`) });
        return;
    }
  }
  if (method === "notifications/test/release") {
    for (const answer of heldAnswers) send(answer);
    heldAnswers = [];
    return;
  }
  if (id !== undefined && method !== undefined) {
    send({ jsonrpc: "2.0", id, error: { code: -32601, message: `Method not found: ${method}` } });
  }
}

let buffered = "";
process.stdin.on("data", (chunk) => {
  buffered += chunk.toString("utf8");
  let newline = buffered.indexOf("\n");
  while (newline !== -1) {
    const line = buffered.slice(0, newline);
    buffered = buffered.slice(newline + 1);
    if (recordFile) appendFileSync(recordFile, `${line}\n`);
    try {
      handle(JSON.parse(line));
    } catch (error) {
      process.stderr.write(`recording-server: cannot handle ${line.slice(0, 200)}: ${error}\n`);
    }
    newline = buffered.indexOf("\n");
  }
});
process.stdin.on("end", () => {
  if (!ignoreEof) process.exit(0);
});
if (ignoreEof) setInterval(() => {}, 1 << 30);
