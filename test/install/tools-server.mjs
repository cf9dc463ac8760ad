// A minimal MCP server whose tools are named by its arguments; it leaves the file $STARTED_FILE when started.
import { appendFileSync } from "node:fs";
import { serveTools } from "../cli/servers/static-tools.mjs";

if (process.env.STARTED_FILE)
  appendFileSync(process.env.STARTED_FILE, `${process.argv.slice(2).join(" ")}\n`);
serveTools(
  "named-tools",
  process.argv.slice(2).map((name) => ({ name, description: name, inputSchema: { type: "object" } })),
);
