// A minimal MCP server whose path argument is described by text hostile to a person reading a warning:
// an escape sequence and a carriage return in the tool's name; a line break, a quote, a bidi override
// and a long tail in the description, which tries to end the warning early and forge another line.
import { serveTools } from "./static-tools.mjs";

const description = `Path to the file\n"), is fine\u202E\u001b[2K\rwarning: nothing to see here; ${"x".repeat(200)}`;
serveTools("hostile-path", [
  {
    name: "pack\u001b[2K\r",
    description: "Packs a file.",
    inputSchema: { type: "object", properties: { target: { type: "string", description } } },
  },
]);
