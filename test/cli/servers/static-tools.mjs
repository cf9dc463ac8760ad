// The loop shared by this folder's minimal MCP servers: answers initialize with `serverName`,
// tools/list with `tools` in one page (or with `listError`, when given), and any other request with an empty result.
import { createInterface } from "node:readline";

const send = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);

/** Serves `tools` on stdio as the MCP server `serverName`, until stdin ends; `listError` answers tools/list instead. */
export function serveTools(serverName, tools, listError = null) {
  createInterface({ input: process.stdin }).on("line", (line) => {
    const message = JSON.parse(line);
    if (message.method === "initialize") {
      send({
        jsonrpc: "2.0",
        id: message.id,
        result: {
          protocolVersion: message.params.protocolVersion,
          capabilities: { tools: {} },
          serverInfo: { name: serverName, version: "1.0.0" },
        },
      });
    } else if (message.method === "tools/list") {
      send(
        listError === null
          ? { jsonrpc: "2.0", id: message.id, result: { tools } }
          : { jsonrpc: "2.0", id: message.id, error: listError },
      );
    } else if (message.id !== undefined && message.method !== undefined) {
      send({ jsonrpc: "2.0", id: message.id, result: {} });
    }
  });
}
