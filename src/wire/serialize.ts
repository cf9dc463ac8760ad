import { ExactNumber } from "./exact-number.js";
import { stringifyJson } from "./json.js";

/**
 * Serializes values that came out of JSON.parse. For a line without a single backslash, no string
 * in it (key or value) needs an escape: it holds no quote, backslash or control character (JSON
 * forbids them raw) and no lone surrogate (the line is valid UTF-8). Such strings are written as
 * `"` + string + `"`, which is exactly JSON.stringify's output without its per-character escape scan,
 * the largest cost of re-serializing a tool call with long text. Everything else goes to JSON.stringify.
 */

/**
 * What is known of the text of a line, for writing again what was parsed from it: "plain" holds no
 * backslash, so plainJson may serialize its values; "ascii" is plain and all ASCII besides, so any
 * serialization of its values is ASCII too (JSON.stringify escapes nothing in it, plainJson copies
 * it) and may be written as latin1, with no UTF-8 encoding; "escaped" is neither.
 */
export type LineText = "escaped" | "plain" | "ascii";

/** What is known of a line's text (see LineText); `asciiLine`: the line is all ASCII. */
export function lineTextOf(line: Buffer, asciiLine: boolean): LineText {
  if (line.indexOf(0x5c) !== -1) return "escaped";
  return asciiLine ? "ascii" : "plain";
}

/**
 * JSON.stringify(value) for a value parsed from a line without escapes (see LineText), same text. Objects
 * list their keys in Object.keys order, which is the order JSON.stringify follows.
 */
export function plainJson(value: unknown): string {
  switch (typeof value) {
    case "string":
      return `"${value}"`;
    case "number":
      // As JSON.stringify does (parseJson never makes Infinity: 1e400 is an ExactNumber).
      return Number.isFinite(value) ? String(value) : "null";
    case "boolean":
      return value ? "true" : "false";
    case "object": {
      if (value === null) return "null";
      if (value instanceof ExactNumber) return value.text;
      if (Array.isArray(value)) {
        let text = "[";
        for (let index = 0; index < value.length; index++) {
          if (index > 0) text += ",";
          text += plainJson(value[index]);
        }
        return `${text}]`;
      }
      let text = "{";
      let first = true;
      for (const key of Object.keys(value)) {
        text += `${first ? "" : ","}"${key}":${plainJson((value as Record<string, unknown>)[key])}`;
        first = false;
      }
      return `${text}}`;
    }
    default:
      // Not reachable for parsed JSON; JSON.stringify decides what it would have written.
      return JSON.stringify(value) ?? "null";
  }
}

/** JSON.stringify(value), by the fast path where the value came from a line without escapes. */
export function serializeParsed(value: unknown, text: LineText): string {
  if (text !== "escaped") {
    try {
      return plainJson(value);
    } catch {
      // Nesting deeper than this recursion goes: JSON.stringify has the last word (it may throw too).
    }
  }
  return stringifyJson(value);
}
