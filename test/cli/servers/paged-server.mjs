// A minimal MCP server for list-tools tests: three pages of tools/list, and before the last page a
// roots/list request to the client whose answer it reports in the last tool's description.
// With the argument "exit-early" it exits with code 3 instead of answering initialize.
import { createInterface } from "node:readline";

if (process.argv[2] === "exit-early") {
  process.stderr.write("paged-server: failing on purpose\n");
  process.exit(3);
}
const send = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);
const pages = {
  undefined: { tools: [{ name: "list_things", inputSchema: { type: "object" } }], nextCursor: "p2" },
  p2: { tools: [{ name: "delete_thing", inputSchema: { type: "object" } }], nextCursor: "p3" },
};
let waitingListId = null;
process.stdout.write("this line is not JSON-RPC\n");
createInterface({ input: process.stdin }).on("line", (line) => {
  const message = JSON.parse(line);
  if (message.method === "initialize") {
    send({
      jsonrpc: "2.0",
      id: message.id,
      result: {
        protocolVersion: message.params.protocolVersion,
        capabilities: { tools: {} },
        serverInfo: { name: "paged", version: "1.2.3" },
      },
    });
  } else if (message.method === "tools/list") {
    const cursor = message.params?.cursor;
    if (cursor === "p3") {
      waitingListId = message.id;
      send({ jsonrpc: "2.0", id: "server-1", method: "roots/list" });
    } else {
      send({ jsonrpc: "2.0", id: message.id, result: pages[String(cursor)] });
    }
  } else if (message.id === "server-1" && waitingListId !== null) {
    const answer = message.error ? `error ${message.error.code}` : "result";
    send({
      jsonrpc: "2.0",
      id: waitingListId,
      result: {
        tools: [
          { name: "update_thing", description: `roots/list got ${answer}`, inputSchema: { type: "object" } },
        ],
      },
    });
  }
});
