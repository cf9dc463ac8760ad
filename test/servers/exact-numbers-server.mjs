#!/usr/bin/env node
// An MCP server that reads and writes JSON as text, so that numbers JavaScript cannot hold
// (12345678901234567890, 1e400, -0.0) are written and recorded with their exact digits: no real
// server on JavaScript can, and this one needs no parser. Lines that reach it go to RECORD_FILE.
import { appendFileSync } from "node:fs";

const recordFile = process.env.RECORD_FILE;
/** The raw text of the line's top-level id (the proxy writes it right after "jsonrpc"). */
const idOf = (line) => /^\{"jsonrpc":"2\.0","id":(-?[0-9][0-9.eE+-]*|"[^"\\]*")/.exec(line)?.[1];
let waitingCall = null;

const TOOLS =
  '{"tools":[{"name":"echo","description":"Echo","inputSchema":{"type":"object","properties":' +
  '{"n":{"type":"integer","default":12345678901234567890,"maximum":1e400,"minimum":-0.0,"multipleOf":1.0}}}},' +
  '{"name":"ask","description":"Asks the client for its roots first","inputSchema":{"type":"object"}}]}';

function handle(line) {
  const id = idOf(line);
  if (line.includes('"method":"initialize"')) {
    const result =
      '{"protocolVersion":"2025-06-18","capabilities":{"tools":{}},"serverInfo":{"name":"exact","version":"1"}}';
    process.stdout.write(`{"jsonrpc":"2.0","id":${id},"result":${result}}\n`);
  } else if (line.includes('"method":"tools/list"')) {
    process.stdout.write(`{"jsonrpc":"2.0","id":${id},"result":${TOOLS}}\n`);
  } else if (line.includes('"method":"tools/call"') && line.includes('"name":"ask"')) {
    waitingCall = id;
    const token = /"progressToken":(-?[0-9][0-9.eE+-]*)/.exec(line)?.[1] ?? "0";
    process.stdout.write(
      `{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":${token},"progress":9007199254740993}}\n`,
    );
    process.stdout.write('{"jsonrpc":"2.0","id":12345678901234567890,"method":"roots/list"}\n');
  } else if (line.includes('"method":"tools/call"')) {
    const result =
      '{"content":[{"type":"text","text":"ok"}],"structuredContent":{"big":123456789012345678901234567890,"z":-0.0}}';
    process.stdout.write(`{"jsonrpc":"2.0","id":${id},"result":${result}}\n`);
  } else if (line.startsWith('{"jsonrpc":"2.0","id":12345678901234567890,"result"') && waitingCall !== null) {
    process.stdout.write(
      `{"jsonrpc":"2.0","id":${waitingCall},"result":{"content":[{"type":"text","text":"roots seen"}]}}\n`,
    );
    waitingCall = null;
  } else if (id !== undefined && !line.includes('"result"')) {
    process.stdout.write(
      `{"jsonrpc":"2.0","id":${id},"error":{"code":-32601,"message":"Method not found"}}\n`,
    );
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
    handle(line);
    newline = buffered.indexOf("\n");
  }
});
process.stdin.on("end", () => process.exit(0));
