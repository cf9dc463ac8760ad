import { ExactNumber } from "./exact-number.js";
import { stringifyJson } from "./json.js";

/**
 * Serializes values that came out of JSON.parse. For a line without a single backslash, no string
 * in it (key or value) needs an escape: it holds no quote, backslash or control character (JSON
 * forbids them raw) and no lone surrogate (the line is valid UTF-8). Such strings are written as
 * `"` + string + `"`, which is exactly JSON.stringify's output without its per-character escape scan,
 * the largest cost of re-serializing a tool call with long text. Everything else goes to JSON.stringify.
 */

/** True when the line holds no backslash, so plainJson may serialize what JSON.parse made of it. */
export function isPlainLine(line: Buffer): boolean {
  return line.indexOf(0x5c) === -1;
}

/**
 * JSON.stringify(value) for a value parsed from a plain line (see isPlainLine), same text. Objects
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

/** JSON.stringify(value), by the fast path where the value came from a plain line. */
export function serializeParsed(value: unknown, plain: boolean): string {
  if (plain) {
    try {
      return plainJson(value);
    } catch {
      // Nesting deeper than this recursion goes: JSON.stringify has the last word (it may throw too).
    }
  }
  return stringifyJson(value);
}
