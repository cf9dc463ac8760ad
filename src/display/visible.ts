// Text from the agent or the server, made safe to show a person: nothing in it can move the
// cursor, erase or reorder what is on screen, break a field onto a forged line, or hide itself.

/**
 * Characters never shown raw: controls (C0, DEL, C1: escape sequences start with ESC or CSI),
 * format characters (bidi embeddings, overrides and isolates, U+200E/U+200F/U+061C, zero-width
 * space and joiners, U+2060, U+FEFF, U+00AD, tag characters), line and paragraph separators, lone
 * surrogates, every character Unicode says to render as nothing where it is not supported (fillers,
 * variation selectors, and the code points kept for more of them, such as U+2065 and U+E0080),
 * code points not assigned yet and private-use ones (a font may draw them as anything, or not at all).
 */
const HIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Cn}\p{Co}\p{Default_Ignorable_Code_Point}]/u;
const HIDDEN_ALL = new RegExp(HIDDEN.source, "gu");

/** Combining marks that stack on one base character: past the first few they draw over other lines. */
const STACKED_MARKS = /[\p{Mn}\p{Me}]{5,}/u;
const STACKED_MARKS_ALL = new RegExp(STACKED_MARKS.source, "gu");
/** Combining marks kept as they are on one base character (scripts that stack them use fewer). */
const MARKS_KEPT = 4;

/** The visible mark for one character: `⟨U+202E⟩`. */
export function markOf(character: string): string {
  const codePoint = character.codePointAt(0) ?? 0;
  return `⟨U+${codePoint.toString(16).toUpperCase().padStart(4, "0")}⟩`;
}

/** A run of stacked combining marks: the first few as they are, every later one through `mark`. */
function stackedRun(run: string, mark: (character: string) => string): string {
  const marks = Array.from(run);
  return marks.slice(0, MARKS_KEPT).join("") + marks.slice(MARKS_KEPT).map(mark).join("");
}

/**
 * The text with every control, bidi, invisible character and line break shown as a visible mark,
 * and combining marks past the fourth on one character too.
 */
export function visibleText(text: string): string {
  let shown = HIDDEN.test(text) ? text.replace(HIDDEN_ALL, markOf) : text;
  if (STACKED_MARKS.test(shown)) shown = shown.replace(STACKED_MARKS_ALL, (run) => stackedRun(run, markOf));
  return shown;
}

/** The characters a tool name shows as they are: printable ASCII, no space. */
const TOOL_NAME_CHARACTER = /^[\x21-\x7e]$/;

/**
 * A tool name as a person reads it: as visibleField, and every character outside printable ASCII
 * (the MCP specification asks for ASCII letters, digits, `_`, `-` and `.`), a space included, shown
 * as a mark too, so that a name with a look-alike letter (Cyrillic `а` in `delete_аll`) never reads
 * as the name it imitates.
 */
export function visibleToolName(name: string, maxChars: number | null = null): string {
  const cut = cutText(name, maxChars);
  let shown = "";
  for (const character of cut.text)
    shown += TOOL_NAME_CHARACTER.test(character) ? character : markOf(character);
  return cut.omittedChars === 0 ? shown : `${shown}${cutMarker(cut.omittedChars)}`;
}

/** A text cut to at most `maxChars` characters (code points), and how many were left out. */
export interface CutText {
  text: string;
  omittedChars: number;
}

/** The first `maxChars` code points of `text` (never half a surrogate pair); null `maxChars` keeps it whole. */
export function cutText(text: string, maxChars: number | null): CutText {
  if (maxChars === null || text.length <= maxChars) return { text, omittedChars: 0 };
  let end = 0;
  let kept = 0;
  while (end < text.length && kept < maxChars) {
    end += (text.codePointAt(end) ?? 0) > 0xffff ? 2 : 1;
    kept += 1;
  }
  if (end >= text.length) return { text, omittedChars: 0 };
  let omitted = 0;
  for (let index = end; index < text.length; index += (text.codePointAt(index) ?? 0) > 0xffff ? 2 : 1) {
    omitted += 1;
  }
  return { text: text.slice(0, end), omittedChars: omitted };
}

/** The marker that ends a shortened value, so a cut never looks like the whole. */
export function cutMarker(omittedChars: number): string {
  return `…⟨${omittedChars} more character${omittedChars === 1 ? "" : "s"}⟩`;
}

/** Untrusted text as one visible field: marks for hidden characters, cut to `maxChars` with an explicit marker. */
export function visibleField(text: string, maxChars: number | null = null): string {
  const cut = cutText(text, maxChars);
  return cut.omittedChars === 0
    ? visibleText(cut.text)
    : `${visibleText(cut.text)}${cutMarker(cut.omittedChars)}`;
}

const NOT_PLAIN_ASCII = /[^\x20-\x7e\n\r\t]/;

/** JSON whitespace between tokens: the only control characters a serializer leaves outside escapes. */
const JSON_WHITESPACE = new Set(["\n", "\r", "\t"]);

/**
 * JSON text (as JSON.stringify writes it) whose hidden characters are written as `\uXXXX` escapes:
 * the same value, safe to print on a terminal. JSON's own syntax is ASCII, so a hidden character
 * other than the whitespace between tokens stands inside a string, where an escape means the same.
 */
export function terminalSafeJson(json: string): string {
  // Printable ASCII and JSON's whitespace, the commonest case, in one quick pass.
  if (!NOT_PLAIN_ASCII.test(json)) return json;
  let safe = HIDDEN.test(json)
    ? json.replace(HIDDEN_ALL, (character) =>
        JSON_WHITESPACE.has(character) ? character : jsonEscape(character),
      )
    : json;
  if (STACKED_MARKS.test(safe)) safe = safe.replace(STACKED_MARKS_ALL, (run) => stackedRun(run, jsonEscape));
  return safe;
}

/** One character as JSON's `\uXXXX` escapes (two for a character outside the BMP). */
function jsonEscape(character: string): string {
  let escaped = "";
  for (let index = 0; index < character.length; index += 1) {
    escaped += `\\u${character.charCodeAt(index).toString(16).padStart(4, "0")}`;
  }
  return escaped;
}
