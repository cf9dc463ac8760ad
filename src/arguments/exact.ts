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

/** The words Python's json.loads takes for numbers beside JSON's own, and a JSON number each compares as. */
const PYTHON_JSON_WORDS: readonly [string, string][] = [
  ["-Infinity", "-1e400"],
  ["Infinity", "1e400"],
  ["NaN", "null"],
];

/**
 * As parseJsonText, but as Python's json.loads reads the text, which a server on the Python SDK runs
 * on a string given for a list or an object: NaN, Infinity and -Infinity are numbers there. For
 * deciding only (NaN reads as null, which no comparison holds for; the infinities as 1e400): a value
 * forwarded is never one of these readings.
 */
export function parsePythonJsonText(text: string): { value: unknown } | null {
  const parsed = parseJsonText(text);
  if (parsed !== null || !mayBeContainer(text) || !/NaN|Infinity/.test(text)) return parsed;
  let json = "";
  let at = 0;
  while (at < text.length) {
    const character = text.charAt(at);
    if (character === '"') {
      let end = at + 1;
      while (end < text.length && text.charAt(end) !== '"') end += text.charAt(end) === "\\" ? 2 : 1;
      json += text.slice(at, end + 1);
      at = end + 1;
      continue;
    }
    const word = PYTHON_JSON_WORDS.find(([spelled]) => text.startsWith(spelled, at));
    if (word !== undefined) {
      json += word[1];
      at += word[0].length;
      continue;
    }
    json += character;
    at += 1;
  }
  return parseJsonText(json);
}
