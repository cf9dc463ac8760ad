// A minimal MCP server with 925 tools and long descriptions (about 600 KB of tools --json), for
// the test that a command's whole output arrives through a pipe.
import { createInterface } from "node:readline";

const send = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);
const verbs = ["get", "list", "update", "delete", "create"];
const tools = Array.from({ length: 925 }, (_, index) => ({
  name: `${verbs[index % verbs.length]}_thing_${index}`,
  description: `Tool number ${index}. ${"It does one small thing to one thing. ".repeat(8)}`,
  inputSchema: { type: "object", properties: { id: { type: "string" } } },
}));
createInterface({ input: process.stdin }).on("line", (line) => {
  const message = JSON.parse(line);
  if (message.method === "initialize") {
    send({
      jsonrpc: "2.0",
      id: message.id,
      result: {
        protocolVersion: message.params.protocolVersion,
        capabilities: { tools: {} },
        serverInfo: { name: "many-tools", version: "1.0.0" },
      },
    });
  } else if (message.method === "tools/list") {
    send({ jsonrpc: "2.0", id: message.id, result: { tools } });
  } else if (message.id !== undefined && message.method !== undefined) {
    send({ jsonrpc: "2.0", id: message.id, result: {} });
  }
});
