// JSON text sent inside a string argument, read exactly: a number in it that a JavaScript number would
// change (an integer beyond 2^53, 1e400, -0.0) becomes an ExactNumber, decided on and forwarded with
// every digit, as the server's json.loads reads it.

import { parseJsonString } from "../wire/json.js";

/** Whether text, after JSON's whitespace, starts a list, an object or null: a look at its first characters only. */
function mayBeContainer(text: string): boolean {
  let start = 0;
  while (start < text.length && " \t\n\r".includes(text.charAt(start))) start++;
  const first = text.charAt(start);
  return first === "[" || first === "{" || text.startsWith("null", start);
}

/** The list, object or null that JSON text sent as a string stands for; null where it is not such JSON. */
export function parseJsonText(text: string): { value: unknown } | null {
  // Only lists, objects and null are ever wanted from text; a failed JSON.parse costs tens of microseconds.
  if (!mayBeContainer(text)) return null;
  try {
    return { value: parseJsonString(text) };
  } catch {
    return null;
  }
}
