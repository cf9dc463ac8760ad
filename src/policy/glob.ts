/**
 * Globs (`delete_*`, `/etc/*.conf`): `*` is any run of characters (crossing `.`, `-`, `/`), `?` one
 * character, everything else itself; anchored and case-sensitive. Matched by a loop that goes back
 * only to the last `*`, so a glob with many stars still takes at most text × glob steps: a regex
 * of `[\s\S]*` runs backtracks exponentially on `*a*a*a*a*a*a*b` (100 characters did not finish).
 */

/** Why a glob is refused, or null when it is usable: only * and ? are special, so brackets and braces would silently match themselves. */
export function globProblem(glob: string): string | null {
  return /[[\]{}]/.test(glob)
    ? "must be a glob whose only wildcards are * and ? (no [ ] or { }; use op regex for more)"
    : null;
}

/** True when the glob contains a wildcard (otherwise it is an exact name). */
export function isGlob(pattern: string): boolean {
  return pattern.includes("*") || pattern.includes("?");
}

/** The UTF-16 length of the character at `index`: `?` matches one character, a surrogate pair included. */
function charLength(text: string, index: number): number {
  const unit = text.charCodeAt(index);
  if (unit < 0xd800 || unit > 0xdbff || index + 1 >= text.length) return 1;
  const next = text.charCodeAt(index + 1);
  return next >= 0xdc00 && next <= 0xdfff ? 2 : 1;
}

/** A matcher for one glob: true when the whole text matches it. */
export function globMatcher(glob: string): (text: string) => boolean {
  return (text) => {
    let g = 0;
    let t = 0;
    // Where the last * was, and where in the text its run currently ends.
    let star = -1;
    let starText = 0;
    while (t < text.length) {
      const wanted = glob[g];
      if (wanted === "*") {
        star = g++;
        starText = t;
      } else if (wanted === "?") {
        g++;
        t += charLength(text, t);
      } else if (wanted !== undefined && wanted === text[t]) {
        g++;
        t++;
      } else if (star !== -1) {
        // Let the last * take one more character, and try the rest of the glob from there.
        g = star + 1;
        starText += charLength(text, starText);
        t = starText;
      } else {
        return false;
      }
    }
    while (glob[g] === "*") g++;
    return g === glob.length;
  };
}
