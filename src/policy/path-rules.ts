import { realpathSync } from "node:fs";
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
 * resolved with realpath; the rest is kept as written.
 */

/** What a relative path or `~` means, and how symlinks are resolved: the server's view of the machine. */
export interface PathContext {
  /** The server's working directory: relative paths are read against it. */
  cwd: string;
  home: string;
  /** realpath(3): throws with `code` ENOENT or ENOTDIR for a path that does not exist. */
  realpath(path: string): string;
}

/** The machine as the wrapped server sees it: it runs in our working directory, as our user. */
export function machinePathContext(): PathContext {
  return { cwd: process.cwd(), home: homedir(), realpath: (path) => realpathSync.native(path) };
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

/** Resolves the longest leading part of `path` that exists, keeping the rest as written, then normalizes. */
function resolveExisting(path: string, context: PathContext): string {
  const parts = path.split("/");
  if (parts.length > MAX_COMPONENTS)
    throw new PathResolutionError(`a path of ${parts.length} components is deeper than ${MAX_COMPONENTS}`);
  for (let keep = parts.length; keep > 1; keep--) {
    const head = parts.slice(0, keep).join("/");
    if (head === "") break;
    let real: string;
    try {
      real = context.realpath(head);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR") continue;
      throw new PathResolutionError(`cannot resolve ${head}: ${(error as Error).message}`);
    }
    return posix.normalize([real, ...parts.slice(keep)].join("/"));
  }
  return posix.normalize(path);
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
  if (normalized === written) return [first];
  const kernel = resolveExisting(written, context);
  return kernel === first ? [first] : [first, kernel];
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
  return resolveExisting(absoluteAsWritten(folder, { ...context, cwd: policyDir }), context);
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
