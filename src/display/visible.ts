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
const HIDDEN_CLASS = "\\p{Cc}\\p{Cf}\\p{Zl}\\p{Zp}\\p{Cs}\\p{Cn}\\p{Co}\\p{Default_Ignorable_Code_Point}";

/**
 * The brackets of our own marks (`⟨U+202E⟩`, `…⟨12 more characters⟩`) and the angle brackets that
 * look like them (U+2329/U+232A, U+3008/U+3009): untrusted text shows each as a mark, so that only
 * policylayer ever prints one, and no value can forge a mark or the marker of a cut.
 */
const MARK_BRACKETS = "\u27e8\u27e9\u2329\u232a\u3008\u3009";

const HIDDEN = new RegExp(`[${HIDDEN_CLASS}${MARK_BRACKETS}]`, "u");
const HIDDEN_ALL = new RegExp(HIDDEN.source, "gu");

/**
 * Characters of the right-to-left blocks (Hebrew, Arabic, Syriac, Thaana, NKo and the rest of
 * U+0590..U+08FF, their presentation forms, and the right-to-left ranges of planes 1), Arabic digits
 * included: every character whose bidi class is R, AL or AN lies in them, but U+200F, already hidden.
 * A terminal that applies the bidi algorithm (VTE, Konsole, mlterm) lays such a run out right to
 * left and takes neighbouring brackets, quotes, commas and digits with it; the isolates that stop
 * this in a window are not safe on a terminal (some draw them as boxes or blanks), so a terminal
 * shows these characters as marks.
 */
const RIGHT_TO_LEFT = /[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff\u{10800}-\u{10fff}\u{1e800}-\u{1efff}]/u;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
/** What a line for a terminal may not hold raw: hidden characters (brackets are ours there) and right-to-left ones. */
const NOT_FOR_TERMINAL_ALL = new RegExp(`[${HIDDEN_CLASS}]|${RIGHT_TO_LEFT.source}`, "gu");

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
 * our marks' brackets too (only policylayer prints those), and combining marks past the fourth on
 * one character.
 */
export function visibleText(text: string): string {
  let shown = HIDDEN.test(text) ? text.replace(HIDDEN_ALL, markOf) : text;
  if (STACKED_MARKS.test(shown)) shown = shown.replace(STACKED_MARKS_ALL, (run) => stackedRun(run, markOf));
  return shown;
}

/**
 * A line for a terminal, put together from fields already made visible (visibleField,
 * visibleToolName, terminalSafeJson) and our own words: right-to-left characters shown as marks,
 * so that a bidi terminal cannot reorder a field or the text beside it, and any hidden character
 * or pile of combining marks a caller left raw shown as marks too (as visibleText would: marks of
 * ours hold neither, so a second pass changes nothing). Our marks' brackets are kept: this pass is for lines,
 * never instead of visibleField on one untrusted field.
 */
export function terminalLine(line: string): string {
  if (PRINTABLE_ASCII.test(line)) return line;
  const shown = line.replace(NOT_FOR_TERMINAL_ALL, markOf);
  return STACKED_MARKS.test(shown)
    ? shown.replace(STACKED_MARKS_ALL, (run) => stackedRun(run, markOf))
    : shown;
}

/** Whether a text holds a character terminalLine shows as a right-to-left mark. */
export function hasRightToLeft(text: string): boolean {
  return RIGHT_TO_LEFT.test(text);
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

/** What terminalSafeJson writes as escapes: hidden characters, our marks' brackets, right-to-left characters. */
const TERMINAL_JSON_ESCAPED_ALL = new RegExp(`${HIDDEN.source}|${RIGHT_TO_LEFT.source}`, "gu");

/**
 * JSON text (as JSON.stringify writes it) whose hidden characters, mark brackets and right-to-left
 * characters are written as `\uXXXX` escapes: the same value, safe to print on a terminal (bidi
 * or not). JSON's own syntax is ASCII, so such a character other than the whitespace between
 * tokens stands inside a string, where an escape means the same.
 */
export function terminalSafeJson(json: string): string {
  // Printable ASCII and JSON's whitespace, the commonest case, in one quick pass.
  if (!NOT_PLAIN_ASCII.test(json)) return json;
  let safe =
    HIDDEN.test(json) || RIGHT_TO_LEFT.test(json)
      ? json.replace(TERMINAL_JSON_ESCAPED_ALL, (character) =>
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
