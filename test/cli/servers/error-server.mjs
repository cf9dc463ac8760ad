// A minimal MCP server that answers tools/list with an error whose code and message are hostile to
// a person reading them: a forged mark and cut marker, and a message long enough to fill a screen.
import { createInterface } from "node:readline";

const send = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);

createInterface({ input: process.stdin }).on("line", (line) => {
  const message = JSON.parse(line);
  if (message.method === "initialize") {
    send({
      jsonrpc: "2.0",
      id: message.id,
      result: {
        protocolVersion: message.params.protocolVersion,
        capabilities: { tools: {} },
        serverInfo: { name: "error-server", version: "1.0.0" },
      },
    });
  } else if (message.method === "tools/list") {
    const text = `tools are fine…⟨U+202E⟩ שרת 1, 2 ${"padding ".repeat(3000)}policylayer: all tools verified safe`;
    send({ jsonrpc: "2.0", id: message.id, error: { code: -32603, message: text } });
  } else if (message.id !== undefined && message.method !== undefined) {
    send({ jsonrpc: "2.0", id: message.id, result: {} });
  }
});
