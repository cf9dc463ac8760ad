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
