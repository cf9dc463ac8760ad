// A minimal MCP server that answers tools/list with an error whose message is hostile to a person
// reading it: a forged mark, right-to-left text, and a length to fill a screen.
import { serveTools } from "./static-tools.mjs";

const text = `tools are fine…⟨U+202E⟩ שרת 1, 2 ${"padding ".repeat(3000)}policylayer: all tools verified safe`;
serveTools("error-server", [], { code: -32603, message: text });
