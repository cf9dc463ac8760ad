// A minimal stdio MCP server for the benchmark: answers every request at once, no SDK.
// Tools: echo (returns its `text` argument) and large_result (returns `bytes` bytes of text).
import process from "node:process";

const TOOLS = [
  {
    name: "echo",
    description: "Returns the text it is given.",
    inputSchema: { type: "object", properties: { text: { type: "string" } }, required: ["text"] },
    annotations: { readOnlyHint: true, openWorldHint: false },
  },
  {
    name: "large_result",
    description: "Returns a text of the requested size.",
    inputSchema: { type: "object", properties: { bytes: { type: "number" } }, required: ["bytes"] },
    annotations: { readOnlyHint: true, openWorldHint: false },
  },
];

function reply(id, result) {
  process.stdout.write(`${JSON.stringify({ jsonrpc: "2.0", id, result })}\n`);
}

function handle(line) {
  const message = JSON.parse(line);
  if (message.id === undefined) return;
  switch (message.method) {
    case "initialize":
      return reply(message.id, {
        protocolVersion: message.params?.protocolVersion ?? "2025-06-18",
        capabilities: { tools: {} },
        serverInfo: { name: "bench-server", version: "1.0.0" },
      });
    case "tools/list":
      return reply(message.id, { tools: TOOLS });
    case "tools/call": {
      const { name, arguments: args } = message.params;
      if (name === "echo") return reply(message.id, { content: [{ type: "text", text: args.text }] });
      if (name === "large_result") {
        return reply(message.id, { content: [{ type: "text", text: "x".repeat(args.bytes) }] });
      }
      return process.stdout.write(
        `${JSON.stringify({ jsonrpc: "2.0", id: message.id, error: { code: -32602, message: `unknown tool ${name}` } })}\n`,
      );
    }
    default:
      return process.stdout.write(
        `${JSON.stringify({ jsonrpc: "2.0", id: message.id, error: { code: -32601, message: "Method not found" } })}\n`,
      );
  }
}

let buffered = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => {
  buffered += chunk;
  let start = 0;
  let newline = buffered.indexOf("\n");
  while (newline !== -1) {
    if (newline > start) handle(buffered.slice(start, newline));
    start = newline + 1;
    newline = buffered.indexOf("\n", start);
  }
  buffered = buffered.slice(start);
});
process.stdin.on("end", () => process.exit(0));
