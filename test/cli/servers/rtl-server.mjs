// A minimal MCP server whose tool list holds right-to-left text: a Hebrew description, and an
// operation argument whose values are Hebrew words, which a bidi terminal would reorder.
import { serveTools } from "./static-tools.mjs";

serveTools("שרת", [
  {
    name: "manage_files",
    description: "מוחק קבצים, 1, 2. Deletes files",
    inputSchema: {
      type: "object",
      properties: { operation: { type: "string", enum: ["קרא", "מחק"] }, path: { type: "string" } },
    },
  },
]);
