// A minimal MCP server with 925 tools and long descriptions (about 600 KB of tools --json), for
// the test that a command's whole output arrives through a pipe.
import { serveTools } from "./static-tools.mjs";

const verbs = ["get", "list", "update", "delete", "create"];
const tools = Array.from({ length: 925 }, (_, index) => ({
  name: `${verbs[index % verbs.length]}_thing_${index}`,
  description: `Tool number ${index}. ${"It does one small thing to one thing. ".repeat(8)}`,
  inputSchema: { type: "object", properties: { id: { type: "string" } } },
}));
serveTools("many-tools", tools);
