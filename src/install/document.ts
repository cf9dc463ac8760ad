// What install needs from a parsed config file, whatever its format: its server entries with their
// place in the text, and text edits that change one entry's command and args.
import type { ContainerPath } from "./clients.js";

/** A change of the file's text: replace `length` characters at `offset` with `content`. */
export interface TextEdit {
  offset: number;
  length: number;
  content: string;
}

/** One server entry of a config file. */
export interface ConfigEntry {
  /** Identifies the entry inside its file: its container's keys and its name (the state's key). */
  key: string;
  name: string;
  /** Where it is when not at the file's main list (Claude Code's project scope), else null. */
  scope: string | null;
  /** The entry's parsed value. */
  value: unknown;
  /** Where the entry's own text is: [start, end) in the file's text. */
  start: number;
  end: number;
}

/** A config file parsed for editing. */
export interface ConfigDocument {
  readonly text: string;
  /** The whole file's parsed value. */
  readonly data: unknown;
  /** The server entries under the given containers, in file order. */
  entries(containers: readonly ContainerPath[]): ConfigEntry[];
  /** Edits that set the entry's command and args, touching no other text; throws EditRefused when it cannot. */
  setCommandLine(entry: ConfigEntry, command: string, args: readonly string[]): TextEdit[];
}

/** A file that does not parse: names the file and the position. */
export class ConfigParseError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    readonly problem: string,
  ) {
    super(`${file}:${line}:${column}: ${problem}`);
  }
}

/** An entry install will not edit, and why. */
export class EditRefused extends Error {}

/** The state key of an entry: its container's keys and its name, as JSON. */
export function entryKey(container: ContainerPath, name: string): string {
  return JSON.stringify([...container, name]);
}

/** 1-based line and column of a character offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/** The text with edits applied (edits must not overlap). */
export function applyTextEdits(text: string, edits: readonly TextEdit[]): string {
  const sorted = [...edits].sort((a, b) => b.offset - a.offset);
  let out = text;
  for (const edit of sorted)
    out = out.slice(0, edit.offset) + edit.content + out.slice(edit.offset + edit.length);
  return out;
}

/** The file's line ending: CRLF when its first line ends so, else LF. */
export function lineEnding(text: string): string {
  const newline = text.indexOf("\n");
  return newline > 0 && text[newline - 1] === "\r" ? "\r\n" : "\n";
}

/** The whitespace that starts the line holding `offset`. */
export function indentationAt(text: string, offset: number): string {
  const lineStart = text.lastIndexOf("\n", offset - 1) + 1;
  const match = /^[ \t]*/.exec(text.slice(lineStart, offset));
  return match?.[0] ?? "";
}

/** One item of an `args` array as the file has it: its value, and where its text is. */
export interface ArrayItem {
  value: string;
  start: number;
  end: number;
}

/**
 * The edit that turns an array's `items` into `next` while keeping the text of the items both end
 * with: install puts words before the server's own args, uninstall takes them away and a policy
 * change swaps some, so the server's args keep their layout and the comments among them. Only the
 * items before that common tail are replaced, joined like the array's first two items (else with
 * `fallbackSeparator`). Null when the array has no items or `next` is empty: the caller rewrites it.
 */
export function keepTailEdit(
  text: string,
  items: readonly ArrayItem[],
  next: readonly string[],
  fallbackSeparator: string,
  literal: (value: string) => string,
): TextEdit | null {
  const [first, second] = items;
  const last = items[items.length - 1];
  if (first === undefined || last === undefined || next.length === 0) return null;
  let kept = 0;
  while (
    kept < items.length &&
    kept < next.length &&
    items[items.length - 1 - kept]?.value === next[next.length - 1 - kept]
  )
    kept++;
  const between = second === undefined ? "" : text.slice(first.end, second.start);
  const separator = /^\s*,\s*$/.test(between) ? between : fallbackSeparator;
  const fresh = next.slice(0, next.length - kept).map(literal);
  const firstKept = items[items.length - kept];
  if (firstKept === undefined)
    return { offset: first.start, length: last.end - first.start, content: fresh.join(separator) };
  return {
    offset: first.start,
    length: firstKept.start - first.start,
    content: fresh.map((item) => item + separator).join(""),
  };
}

/** Spells a value as the file already spells it in one of `items` (its escapes, its quotes), else with `literal`. */
export function spelledAsBefore(
  text: string,
  items: readonly ArrayItem[],
  literal: (value: string) => string,
): (value: string) => string {
  const spelled = new Map<string, string>();
  for (const item of items)
    if (!spelled.has(item.value)) spelled.set(item.value, text.slice(item.start, item.end));
  return (value) => spelled.get(value) ?? literal(value);
}
