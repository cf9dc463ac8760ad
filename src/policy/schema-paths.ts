// Whether a tool's inputSchema says that the argument at a condition's path is a file-system path:
// the schema side of validate's warning on starts_with, regex and glob (the name side is namesAPath).
// The schema comes from the server: nothing about its shape is assumed, and the walk is bounded.
//
// The signals, chosen for few false positives (a place whose JSON type cannot be a string never counts):
// - `format` naming a path: "path", "file-path", "directory-path" (what pydantic writes for Path,
//   FilePath, DirectoryPath and NewPath), and "filepath", "dirpath", "file", "directory", "folder".
//   URI formats ("uri", "uri-reference", "iri") do not count: a URL is not read as a path on this
//   machine, and path_within would be the wrong advice.
// - a `description` or `title` whose leading noun phrase is a path: "Path to the file", "Absolute
//   path of the folder", "Working directory", "File or folder to delete", "Array of file paths to
//   read" (for the elements of the list). Words that make the phrase another kind of path (URL, URI,
//   JSON, key, route, endpoint, ...) do not count, nor does a phrase whose head is another noun
//   ("Name of the output file", "File content to write", "Glob pattern for files").

import { resolvePointer } from "../arguments/schema.js";
import { isRecord } from "../classify/schema.js";

/** What in the schema says the place is a path: the keyword and the server's text for it. */
export interface PathSignal {
  keyword: "format" | "description" | "title";
  text: string;
  /** True where the text describes the list that holds the place (`args.paths.*`). */
  ofList: boolean;
}

const PATH_FORMATS = new Set([
  "path",
  "file-path",
  "directory-path",
  "filepath",
  "dirpath",
  "file",
  "directory",
  "folder",
]);

/** Head nouns of a phrase that names a path. */
const PATH_NOUNS = new Set([
  "path",
  "paths",
  "filepath",
  "filepaths",
  "filename",
  "filenames",
  "file",
  "files",
  "directory",
  "directories",
  "dir",
  "dirs",
  "folder",
  "folders",
  "cwd",
]);

/** Words that make a phrase some other kind of path or file. */
const OTHER_KINDS = new Set([
  "url",
  "urls",
  "uri",
  "uris",
  "http",
  "https",
  "web",
  "api",
  "route",
  "endpoint",
  "json",
  "jsonpath",
  "xml",
  "xpath",
  "key",
  "property",
  "field",
  "attribute",
  "object",
  "s3",
  "bucket",
  "blob",
  "registry",
  "css",
  "dot",
]);

/** Words that end the leading noun phrase. */
const PHRASE_ENDS = new Set([
  "to",
  "of",
  "for",
  "where",
  "in",
  "into",
  "that",
  "which",
  "whose",
  "on",
  "under",
  "from",
  "with",
  "within",
  "inside",
  "at",
  "as",
  "containing",
  "is",
  "must",
  "should",
  "can",
  "will",
]);

const DETERMINERS = new Set(["the", "a", "an", "optional", "one", "or", "more"]);
const LISTS = new Set(["list", "array", "set", "sequence"]);
/** A leading phrase longer than this is a sentence, not a name for the value. */
const MAX_PHRASE_WORDS = 4;

/** True when the text's leading noun phrase names a file-system path (see the list above). */
export function describesAPath(text: string): boolean {
  return leadingPhrase(text) !== null;
}

/** The leading noun phrase's head, and whether it was "a list of ..."; null where it does not name a path. */
function leadingPhrase(text: string): { head: string; list: boolean } | null {
  const clause = (text.split(/[.,;:()[\]!?\n]| - /, 1)[0] ?? "").toLowerCase().replaceAll("'s", "");
  const words = clause.match(/[a-z0-9]+/g) ?? [];
  let start = 0;
  let list = false;
  const skipDeterminers = () => {
    while (start < words.length && DETERMINERS.has(words[start] as string)) start++;
  };
  skipDeterminers();
  if (LISTS.has(words[start] ?? "") && words[start + 1] === "of") {
    list = true;
    start += 2;
    skipDeterminers();
  }
  let end = start;
  const endsPhrase = (at: number) =>
    PHRASE_ENDS.has(words[at] as string) || (words[at] === "relative" && words[at + 1] === "to");
  while (end < words.length && !endsPhrase(end)) end++;
  const phrase = words.slice(start, end);
  if (phrase.length === 0 || phrase.length > MAX_PHRASE_WORDS) return null;
  const head = phrase.at(-1) as string;
  if (!PATH_NOUNS.has(head) || phrase.some((word) => OTHER_KINDS.has(word))) return null;
  return { head, list };
}

/** A place in the walk: a schema object and the signal its enclosing list carries, if any. */
interface Place {
  schema: Record<string, unknown>;
  fromList: PathSignal | null;
}

/** Schema objects a walk may visit: a hostile schema (deep, wide, recursive) ends the walk here. */
const MAX_VISITS = 10_000;

/**
 * What in `inputSchema` says that the argument at `conditionPath` (`args.a.*.b`, a number indexing a
 * list) is a path, or null where nothing does. Follows properties, additionalProperties, items and
 * prefixItems, local `$ref`s, anyOf/oneOf/allOf; `*` is any element or member.
 */
export function schemaPathSignal(inputSchema: unknown, conditionPath: string): PathSignal | null {
  const segments = conditionPath.split(".");
  if (segments[0] !== "args" || segments.length < 2 || !isRecord(inputSchema)) return null;
  const budget = { visits: MAX_VISITS };
  let places = expand(inputSchema, [{ schema: inputSchema, fromList: null }], budget);
  for (const segment of segments.slice(1)) {
    places = expand(
      inputSchema,
      places.flatMap((place) => step(place, segment)),
      budget,
    );
    if (places.length === 0) return null;
  }
  for (const place of places) {
    const signal = ownSignal(place.schema);
    if (signal !== null) return signal;
  }
  return places.find((place) => place.fromList !== null && admitsString(place.schema))?.fromList ?? null;
}

/** Each place with everything it stands for: the targets of its `$ref` and the members of anyOf, oneOf and allOf. */
function expand(root: Record<string, unknown>, places: Place[], budget: { visits: number }): Place[] {
  const seen = new Set<Record<string, unknown>>();
  const out: Place[] = [];
  const queue = [...places];
  for (let next = 0; next < queue.length && budget.visits > 0; next++) {
    const place = queue[next] as Place;
    if (seen.has(place.schema)) continue;
    budget.visits--;
    seen.add(place.schema);
    out.push(place);
    const { schema, fromList } = place;
    if (typeof schema.$ref === "string") {
      const target = resolvePointer(root, schema.$ref);
      if (isRecord(target)) queue.push({ schema: target, fromList });
    }
    for (const key of ["anyOf", "oneOf", "allOf"]) {
      const members = schema[key];
      if (!Array.isArray(members)) continue;
      for (const member of members) if (isRecord(member)) queue.push({ schema: member, fromList });
    }
  }
  return out;
}

/** The places one path segment leads to from a place: members of an object, elements of a list. */
function step(place: Place, segment: string): Place[] {
  const { schema } = place;
  const members: unknown[] = [];
  const elements: unknown[] = [];
  const properties = isRecord(schema.properties) ? schema.properties : null;
  const index = /^\d+$/.test(segment) ? Number(segment) : null;
  const positional = Array.isArray(schema.prefixItems)
    ? schema.prefixItems
    : Array.isArray(schema.items)
      ? schema.items
      : [];
  const rest = Array.isArray(schema.items) ? schema.additionalItems : schema.items;
  if (segment === "*") {
    if (properties !== null) members.push(...Object.values(properties));
    members.push(schema.additionalProperties);
    elements.push(...positional, rest);
  } else {
    members.push(
      properties !== null && Object.hasOwn(properties, segment)
        ? properties[segment]
        : schema.additionalProperties,
    );
    if (index !== null) elements.push(index < positional.length ? positional[index] : rest);
  }
  // The elements of a list described as paths ("Array of file paths to read") are paths.
  const listSignal = elements.some(isRecord) ? listPathSignal(schema) : null;
  return [
    ...members.filter(isRecord).map((child) => ({ schema: child, fromList: null })),
    ...elements.filter(isRecord).map((child) => ({ schema: child, fromList: listSignal })),
  ];
}

/** True where the schema's `type` admits a string (or it names no type). */
function admitsString(schema: Record<string, unknown>): boolean {
  const { type } = schema;
  if (typeof type === "string") return type === "string";
  if (Array.isArray(type)) return type.includes("string");
  return true;
}

/** The schema's own words that say it is a path. */
function ownSignal(schema: Record<string, unknown>): PathSignal | null {
  if (!admitsString(schema)) return null;
  if (typeof schema.format === "string" && PATH_FORMATS.has(schema.format.toLowerCase()))
    return { keyword: "format", text: schema.format, ofList: false };
  for (const keyword of ["description", "title"] as const) {
    const text = schema[keyword];
    if (typeof text === "string" && describesAPath(text)) return { keyword, text, ofList: false };
  }
  return null;
}

/** What says the elements of a list are paths: its description or title, where it is a list. */
function listPathSignal(schema: Record<string, unknown>): PathSignal | null {
  const { type } = schema;
  const isList = type === "array" || (Array.isArray(type) && type.includes("array")) || "items" in schema;
  if (!isList) return null;
  for (const keyword of ["description", "title"] as const) {
    const text = schema[keyword];
    if (typeof text !== "string") continue;
    const phrase = leadingPhrase(text);
    // "Array of file paths", "Files to read": a plural head or "list of" names the elements.
    if (phrase !== null && (phrase.list || phrase.head.endsWith("s"))) return { keyword, text, ofList: true };
  }
  return null;
}
