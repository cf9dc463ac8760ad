// A call's arguments as a person reads them: one entry per argument, every key shown, each key and value
// shortened on its own with an explicit marker. Works on the JSON text that was decided on, so
// numbers show to the last digit, and on a text the inbox cut short.
import { cutMarker, cutText, hasRightToLeft, visibleText } from "./visible.js";

/** One argument as displayed: its key as a JSON string and its value as JSON, both visible, each perhaps cut. */
export interface ArgumentEntry {
  key: string;
  /** Characters of the key left out of `key` (0: shown whole): a long key is cut like a long value. */
  keyOmittedChars: number;
  value: string;
  /** Characters of the value left out of `value` (0: shown whole). */
  omittedChars: number;
}

/** The arguments, each top-level member on its own, plus whether the text ended before the object closed. */
export interface ArgumentView {
  entries: ArgumentEntry[];
  /** The arguments text was cut before it ended (the inbox keeps at most 64 KiB), or is not a JSON object. */
  incomplete: boolean;
}

const WHITESPACE = new Set([" ", "\t", "\n", "\r"]);

function skipWhitespace(json: string, index: number): number {
  let at = index;
  while (at < json.length && WHITESPACE.has(json[at] ?? "")) at += 1;
  return at;
}

/** The index just after the JSON string that starts at `index` (a `"`), or json.length when it does not end. */
function endOfString(json: string, index: number): number {
  let at = index + 1;
  while (at < json.length) {
    const character = json[at];
    if (character === "\\") at += 2;
    else if (character === '"') return at + 1;
    else at += 1;
  }
  return json.length;
}

/** The index of the `,` or `}` that ends the value starting at `index`, or json.length. */
function endOfValue(json: string, index: number): number {
  let depth = 0;
  let at = index;
  while (at < json.length) {
    const character = json[at];
    if (character === '"') {
      at = endOfString(json, at);
      continue;
    }
    if (character === "{" || character === "[") depth += 1;
    else if (character === "}" || character === "]") {
      if (depth === 0) return at;
      depth -= 1;
    } else if (character === "," && depth === 0) return at;
    at += 1;
  }
  return json.length;
}

/** The top-level members of a JSON object text as raw key and value texts; `complete` false when the text stops early. */
function splitMembers(json: string): { members: [key: string, value: string][]; complete: boolean } {
  const members: [string, string][] = [];
  let at = skipWhitespace(json, 0);
  if (json[at] !== "{") return { members, complete: false };
  at = skipWhitespace(json, at + 1);
  if (json[at] === "}") return { members, complete: skipWhitespace(json, at + 1) === json.length };
  while (at < json.length) {
    if (json[at] !== '"') return { members, complete: false };
    const keyEnd = endOfString(json, at);
    const key = json.slice(at, keyEnd);
    at = skipWhitespace(json, keyEnd);
    if (json[at] !== ":") {
      members.push([key, ""]);
      return { members, complete: false };
    }
    const valueStart = skipWhitespace(json, at + 1);
    const valueEnd = endOfValue(json, valueStart);
    members.push([key, json.slice(valueStart, valueEnd).trimEnd()]);
    if (valueEnd >= json.length) return { members, complete: false };
    if (json[valueEnd] === "}")
      return { members, complete: skipWhitespace(json, valueEnd + 1) === json.length };
    at = skipWhitespace(json, valueEnd + 1);
  }
  return { members, complete: false };
}

/**
 * The arguments (compact JSON of an object) as entries to display: every key, each value cut to
 * `maxValueChars` (null: whole) with the number of characters left out. A text that is not a
 * whole object (cut by the inbox) shows the members it holds and says it is incomplete.
 */
export function argumentView(argumentsJson: string, maxValueChars: number | null): ArgumentView {
  const { members, complete } = splitMembers(argumentsJson);
  if (members.length === 0 && !complete) {
    const cut = cutText(argumentsJson, maxValueChars);
    return {
      entries: [
        { key: "", keyOmittedChars: 0, value: visibleText(cut.text), omittedChars: cut.omittedChars },
      ],
      incomplete: true,
    };
  }
  return {
    entries: members.map(([key, value]) => {
      const keyCut = cutText(key, maxValueChars);
      const cut = cutText(value, maxValueChars);
      return {
        key: visibleText(keyCut.text),
        keyOmittedChars: keyCut.omittedChars,
        value: visibleText(cut.text),
        omittedChars: cut.omittedChars,
      };
    }),
    incomplete: !complete,
  };
}

/** One entry as `"key": value` (`separator` between them), with the cut marker where the key or the value was shortened. */
export function formatArgumentEntry(entry: ArgumentEntry, separator = ": "): string {
  const value = entry.omittedChars === 0 ? entry.value : `${entry.value}${cutMarker(entry.omittedChars)}`;
  if (entry.key.length === 0) return value;
  const key = entry.keyOmittedChars === 0 ? entry.key : `${entry.key}${cutMarker(entry.keyOmittedChars)}`;
  return `${key}${separator}${value}`;
}

/** First-strong isolate and pop directional isolate: what a GUI lays out inside them cannot move what is outside. */
const ISOLATE = "\u2068";
const END_ISOLATE = "\u2069";

/**
 * JSON text (an entry as formatArgumentEntry writes it) for a surface that lays text out with the
 * Unicode bidi algorithm (a client's window, a desktop notification): each string in it isolated,
 * so that right-to-left text in one string cannot reorder the brackets, commas and strings around
 * it (`["א","1","ב","2"]` otherwise reads as `["2","ב","1","א"]`). The isolates are policylayer's
 * own; the text came visible (every bidi control of the agent's or the server's is a mark).
 */
export function isolatedJsonStrings(text: string): string {
  let out = "";
  let at = 0;
  while (at < text.length) {
    const quote = text.indexOf('"', at);
    if (quote === -1) {
      out += text.slice(at);
      break;
    }
    const end = endOfString(text, quote);
    out += `${text.slice(at, quote)}${ISOLATE}${text.slice(quote, end)}${END_ISOLATE}`;
    at = end;
  }
  return out;
}

/**
 * One visible field for a surface that lays text out with the bidi algorithm (a desktop
 * notification), isolated when it holds right-to-left text: such a field at the start would
 * otherwise make the whole text right to left, and our words and the commands around it reorder.
 */
export function isolatedField(text: string): string {
  return hasRightToLeft(text) ? `${ISOLATE}${text}${END_ISOLATE}` : text;
}
