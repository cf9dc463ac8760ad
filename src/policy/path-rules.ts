import { readdirSync, readlinkSync, realpathSync } from "node:fs";
import { homedir } from "node:os";
import { posix } from "node:path";

/**
 * path_within and path_outside: where a path argument leads on this machine. `starts_with: /tmp/`
 * is walked around by `/tmp/../etc/passwd`, `//etc/passwd`, `/./etc/passwd` and `../../etc/passwd`,
 * and by a symlink in /tmp that points out. A path is read the two ways a server may read it:
 * normalized first and then resolved (Node's path.resolve, then realpath: server-filesystem), and
 * as the kernel resolves it (symlinks first, then `..`). It is within a folder only when both
 * readings are. A path that starts with `~` is read both as the home folder and literally (against
 * the working directory), and every reading must be within. The part of the path that exists is
 * resolved with realpath; the rest is kept as written, and also read the ways a server may make
 * of it: through a dangling symlink (the kernel creates the file at its target) and, for a missing
 * name, through the one entry of the same Unicode NFC form (server-filesystem matches names so).
 * A relative path, or one with surrounding blanks or quotes, is read differently by different
 * servers (server-filesystem reads a relative path against its allowed folders): where it leads
 * is unknown, so a deny rule's path condition holds for it and an allow rule's does not.
 */

/** What a relative path or `~` means, and how symlinks are resolved: the server's view of the machine. */
export interface PathContext {
  /** The server's working directory: a `~` path is also read literally against it. */
  cwd: string;
  home: string;
  /** realpath(3): throws with `code` ENOENT or ENOTDIR for a path that does not exist. */
  realpath(path: string): string;
  /** readlink(2): throws with `code` EINVAL for a path that is not a symlink, ENOENT for none. */
  readlink(path: string): string;
  /** The names in a folder (readdir(3)). */
  readdir(path: string): string[];
}

/** The machine as the wrapped server sees it: it runs in our working directory, as our user. */
export function machinePathContext(): PathContext {
  return {
    cwd: process.cwd(),
    home: homedir(),
    realpath: (path) => realpathSync.native(path),
    readlink: (path) => readlinkSync(path),
    readdir: (path) => readdirSync(path),
  };
}

/** A path argument that cannot be resolved: the call is denied (fail closed), whatever the rule says. */
export class PathResolutionError extends Error {}

/** Beyond these a path is refused rather than resolved: resolution stays bounded. */
const MAX_PATH_CHARS = 4096;
const MAX_COMPONENTS = 256;

/** The absolute path as written (not normalized), with `~` and a relative path read as the server reads them. */
function absoluteAsWritten(raw: string, context: PathContext): string {
  if (raw.length > MAX_PATH_CHARS)
    throw new PathResolutionError(`a path of ${raw.length} characters is longer than ${MAX_PATH_CHARS}`);
  if (raw.includes("\u0000")) throw new PathResolutionError("a path with a NUL character");
  let path = raw;
  if (path === "~" || path.startsWith("~/")) path = context.home + path.slice(1);
  else if (path.startsWith("~"))
    throw new PathResolutionError(`cannot tell which folder ${JSON.stringify(raw.split("/")[0])} means`);
  return path.startsWith("/") ? path : `${context.cwd}/${path}`;
}

/** Symlinks followed through names that do not exist, at most (the kernel's MAXSYMLINKS). */
const MAX_LINK_HOPS = 40;

/** Whether a file-system error means "no such path". */
function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === "ENOENT" || code === "ENOTDIR";
}

/**
 * Resolves the longest leading part of `path` that exists, keeping the rest as written, then
 * normalizes; and, where a name is missing, also where a server may take it to lead (missingName).
 */
function resolveExisting(path: string, context: PathContext, hops = 0): string[] {
  const parts = path.split("/");
  if (parts.length > MAX_COMPONENTS)
    throw new PathResolutionError(`a path of ${parts.length} components is deeper than ${MAX_COMPONENTS}`);
  for (let keep = parts.length; keep >= 1; keep--) {
    const head = keep === 1 ? "/" : parts.slice(0, keep).join("/");
    let real: string;
    try {
      real = context.realpath(head);
    } catch (error) {
      if (isMissing(error)) continue;
      throw new PathResolutionError(`cannot resolve ${head}: ${(error as Error).message}`);
    }
    const rest = parts.slice(keep);
    const asWritten = posix.normalize([real, ...rest].join("/"));
    if (rest.length === 0) return [asWritten];
    return [asWritten, ...missingName(real, rest, context, hops)];
  }
  return [posix.normalize(path)];
}

/**
 * Where the missing name `rest[0]` in the existing folder `real` may lead besides itself: a
 * dangling symlink's target (open with O_CREAT creates the file there), or the one entry whose
 * NFC form is the name's (server-filesystem's resolveUnicodeEquivalentPath takes it for a path
 * that does not exist). Several such entries: the server refuses the path, and so do we.
 */
function missingName(real: string, rest: string[], context: PathContext, hops: number): string[] {
  const name = rest[0] as string;
  if (name === "" || name === "." || name === "..") return [];
  const entry = real === "/" ? `/${name}` : `${real}/${name}`;
  let target: string | undefined;
  try {
    target = context.readlink(entry);
  } catch (error) {
    // EINVAL: the name is there, not a symlink (a file where a folder is expected): nothing else to read.
    if ((error as NodeJS.ErrnoException).code === "EINVAL") return [];
    if (!isMissing(error))
      throw new PathResolutionError(`cannot resolve ${entry}: ${(error as Error).message}`);
  }
  if (target !== undefined) {
    if (hops >= MAX_LINK_HOPS)
      throw new PathResolutionError(`cannot resolve ${entry}: more than ${MAX_LINK_HOPS} symlinks`);
    const linked = target.startsWith("/") ? target : `${real}/${target}`;
    return resolveExisting([linked, ...rest.slice(1)].join("/"), context, hops + 1);
  }
  // Only these names can have another NFC spelling: the three singletons NFC maps to ASCII are K ; `.
  if (!/\P{ASCII}|[K;`]/u.test(name)) return [];
  let entries: string[];
  try {
    entries = context.readdir(real);
  } catch (error) {
    if (isMissing(error)) return [];
    throw new PathResolutionError(`cannot read ${real}: ${(error as Error).message}`);
  }
  const form = name.normalize("NFC");
  // An ASCII name is its own NFC form: only the others need normalizing (most of a folder, mostly).
  const equivalents = entries.filter(
    (other) =>
      other !== name && (/\P{ASCII}/u.test(other) ? other.normalize("NFC") === form : other === form),
  );
  if (equivalents.length === 0) return [];
  if (equivalents.length > 1)
    throw new PathResolutionError(`${entry} has ${equivalents.length} names of the same Unicode NFC form`);
  return resolveExisting([real, equivalents[0], ...rest.slice(1)].join("/"), context, hops);
}

/**
 * The absolute paths a path argument may mean as written: a `~` path both as the home folder (a
 * shell, expanduser) and literally, a folder named `~` in the working directory (Python's
 * pathlib.Path, and most code that does not expand it).
 */
function absoluteReadings(raw: string, context: PathContext): string[] {
  const expanded = absoluteAsWritten(raw, context);
  return raw.startsWith("~") ? [expanded, `${context.cwd}/${raw}`] : [expanded];
}

/** The places a path argument may lead to: each reading normalized then resolved, and resolved as the kernel does. */
export function realLocations(raw: string, context: PathContext): string[] {
  const locations = new Set<string>();
  for (const written of absoluteReadings(raw, context))
    for (const location of locationsOf(written, context)) locations.add(location);
  return [...locations];
}

/** Where one absolute path as written leads: normalized then resolved, and resolved as the kernel does. */
function locationsOf(written: string, context: PathContext): string[] {
  const normalized = posix.normalize(written);
  const first = resolveExisting(normalized, context);
  // Without . or .. (or repeated slashes) the two readings are the same path.
  if (normalized === written) return first;
  return [...first, ...resolveExisting(written, context)];
}

/** True when `location` is `folder` or inside it (both absolute, normalized and resolved). */
function isInside(location: string, folder: string): boolean {
  if (folder === "/") return true;
  return location === folder || location.startsWith(`${folder}/`);
}

/**
 * A folder of a path rule as it is resolved once, when the policy is loaded: relative ones against
 * the policy's folder. Throws PathResolutionError for one that cannot be (the policy is refused).
 */
export function resolvedFolder(folder: string, policyDir: string, context: PathContext): string {
  return resolveExisting(absoluteAsWritten(folder, { ...context, cwd: policyDir }), context)[0] as string;
}

/** The predicate of path_within (or, negated, path_outside) over folders as written in the policy. */
export function pathWithinPredicate(
  folders: readonly string[],
  policyDir: string,
  context: PathContext,
): (actual: unknown) => boolean {
  const resolved = folders.map((folder) => resolvedFolder(folder, policyDir, context));
  return (actual) =>
    typeof actual === "string" &&
    realLocations(actual, context).every((location) => resolved.some((folder) => isInside(location, folder)));
}

/**
 * True for a path whose meaning depends on the server: a relative one (server-filesystem reads it
 * against its allowed folders, most servers against their working directory, others against a
 * root of their own; `file:` URLs and `C:\` paths are relative here too), and one with blanks or
 * quotes around it, which some servers strip (server-filesystem does, for its own check; Python's
 * str.strip also strips \x1c-\x1f and \x85).
 */
function serverDependent(path: string): boolean {
  if (!path.startsWith("/") && !path.startsWith("~")) return true;
  return strippable(path.charAt(0)) || strippable(path.charAt(path.length - 1));
}

/** A character that String.prototype.trim, Python's str.strip or server-filesystem's quote stripping removes. */
function strippable(character: string): boolean {
  const code = character.charCodeAt(0);
  return (
    /\s/.test(character) ||
    character === '"' ||
    character === "'" ||
    (code >= 0x1c && code <= 0x1f) ||
    code === 0x85
  );
}

/**
 * The predicate of path_within or path_outside for a rule: a path that leads where the server
 * decides (serverDependent) makes either hold in a deny or require_approval rule (`anyReading`)
 * and neither in an allow rule, so it is denied unless another rule allows it as it is.
 */
export function pathRulePredicate(
  op: "path_within" | "path_outside",
  folders: readonly string[],
  policyDir: string,
  context: PathContext,
  anyReading: boolean,
): (actual: unknown) => boolean {
  const within = pathWithinPredicate(folders, policyDir, context);
  return (actual) => {
    if (typeof actual === "string" && serverDependent(actual)) return anyReading;
    return op === "path_within" ? within(actual) : !within(actual);
  };
}

/** Words of an argument name: `filePath`, `file_path` and `file-path` all end in "path". */
function lastWord(name: string): string {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean);
  return (words.at(-1) ?? "").toLowerCase();
}

const PATH_WORDS = new Set([
  "path",
  "paths",
  "file",
  "files",
  "filename",
  "filepath",
  "dir",
  "dirs",
  "directory",
  "directories",
  "folder",
  "folders",
  "cwd",
  "source",
  "destination",
  "src",
  "dest",
]);

/**
 * True when the last named segment of a condition path names a file-system path (`args.path`,
 * `args.source_dir`, and the elements of a list of them: `args.paths.*`, `args.files.0`).
 */
export function namesAPath(conditionPath: string): boolean {
  const segments = conditionPath.split(".");
  if (segments[0] !== "args") return false;
  const named = segments.slice(1).filter((segment) => segment !== "*" && !/^\d+$/.test(segment));
  return named.length > 0 && PATH_WORDS.has(lastWord(named.at(-1) as string));
}
