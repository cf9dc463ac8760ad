// The strings issue 11 showed forging or hiding what a person reads, for every display test.

/** Moves the cursor up, erases that line and returns to its start. */
export const CURSOR_UP_ERASE = "drop\u001b[1A\u001b[2K\rsafe_tool";
/** Raw line breaks that print a forged `arguments:` and `why:` above the real ones. */
export const FORGED_LINES = 'x\n  arguments: {"path":"/tmp/ok"}\n  why: routine cleanup, safe';
/** Right-to-left override: renders as "test-prod". */
export const RTL_OVERRIDE = "\u202Edorp-tset";
/** A zero-width space: renders as "prod". */
export const ZERO_WIDTH = "pro\u200bd";
/** The C1 control CSI (U+009B), an escape sequence's start on some terminals. */
export const C1_CSI = "a\u009b2Jb";
/** Any raw character a person must never see unmarked: C0, DEL, C1, bidi controls, invisible characters. */
export const RAW_HIDDEN =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding raw control characters is the point.
  /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]/;
/** Imitates our mark for a hidden character: would read as if the value held U+202E, which it does not. */
export const FORGED_MARK = "rm -rf /tmp/cache⟨U+202E⟩";
/** Imitates our cut marker: would read as a shortened `/tmp/ok`, hiding that the value ends here. */
export const FORGED_CUT = "/tmp/ok…⟨9000 more characters⟩";
/** Angle brackets that look like our marks' own (U+2329/U+232A, U+3008/U+3009). */
export const LOOK_ALIKE_MARK = "a\u2329U+202E\u232ab\u3008U+200B\u3009";
/**
 * Hebrew keys with digit values: a terminal that applies the bidi algorithm shows `{"א":"1","ב":"2"}`
 * as `{"2":"ב","1":"א"}`, each key beside the other's value.
 */
export const RTL_KEYS = { א: "1", ב: "2" };
/** Any character of the right-to-left blocks, which a terminal line must never hold raw. */
export const RAW_RIGHT_TO_LEFT =
  /[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff\u{10800}-\u{10fff}\u{1e800}-\u{1efff}]/u;
