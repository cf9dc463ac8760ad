// Text from the agent or the server, made safe to show a person: nothing in it can move the
// cursor, erase or reorder what is on screen, break a field onto a forged line, or hide itself.

/**
 * Characters never shown raw: controls (C0, DEL, C1: escape sequences start with ESC or CSI),
 * format characters (bidi embeddings, overrides and isolates, U+200E/U+200F/U+061C, zero-width
 * space and joiners, U+2060, U+FEFF, U+00AD, tag characters), line and paragraph separators, lone
 * surrogates, and the characters that render as nothing (fillers, variation selectors).
 */
const HIDDEN =
  // biome-ignore lint/suspicious/noMisleadingCharacterClass: each escape stands for one code point, matched on its own.
  /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\u034F\u115F\u1160\u17B4\u17B5\u180B-\u180F\u3164\uFE00-\uFE0F\uFFA0\u{E0100}-\u{E01EF}]/u;
const HIDDEN_ALL = new RegExp(HIDDEN.source, "gu");

/** The visible mark for one hidden character: `⟨U+202E⟩`. */
function markOf(character: string): string {
  const codePoint = character.codePointAt(0) ?? 0;
  return `⟨U+${codePoint.toString(16).toUpperCase().padStart(4, "0")}⟩`;
}

/** The text with every control, bidi, invisible character and line break shown as a visible mark. */
export function visibleText(text: string): string {
  return HIDDEN.test(text) ? text.replace(HIDDEN_ALL, markOf) : text;
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

/** JSON whitespace between tokens: the only control characters a serializer leaves outside escapes. */
const JSON_WHITESPACE = new Set(["\n", "\r", "\t"]);

/**
 * JSON text (as JSON.stringify writes it) whose hidden characters are written as `\uXXXX` escapes:
 * the same value, safe to print on a terminal. JSON's own syntax is ASCII, so a hidden character
 * other than the whitespace between tokens stands inside a string, where an escape means the same.
 */
export function terminalSafeJson(json: string): string {
  if (!HIDDEN.test(json)) return json;
  return json.replace(HIDDEN_ALL, (character) => {
    if (JSON_WHITESPACE.has(character)) return character;
    let escaped = "";
    for (let index = 0; index < character.length; index += 1) {
      escaped += `\\u${character.charCodeAt(index).toString(16).padStart(4, "0")}`;
    }
    return escaped;
  });
}
