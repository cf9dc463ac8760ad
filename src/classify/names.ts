/**
 * Lower-case words of an identifier in any naming style: snake_case, camelCase, PascalCase,
 * kebab-case, dotted (stacks.delete), slashed (stacks/delete), with acronyms kept whole
 * (getHTTPResponse → get, http, response).
 */
export function splitWords(identifier: string): string[] {
  return identifier
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .split(/[^A-Za-z0-9]+/)
    .filter((word) => word.length > 0)
    .map((word) => word.toLowerCase());
}

/** Lower-case words of free text (a description), keeping hyphenated words apart. */
export function textWords(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word.length > 0);
}
