import { opendirSync, readlinkSync, realpathSync } from "node:fs";
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
 * One decision reads each folder at most once, and its lookups are bounded (DecisionLookups): a
 * call whose paths need more is refused, so that no list of paths can stall its decision.
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
  /** The names in a folder (readdir(3)), at most `limit` of them: the reading stops there. */
  readdir(path: string, limit: number): string[];
}

/** The machine as the wrapped server sees it: it runs in our working directory, as our user. */
export function machinePathContext(): PathContext {
  return {
    cwd: process.cwd(),
    home: homedir(),
    realpath: (path) => realpathSync.native(path),
    readlink: (path) => readlinkSync(path),
    readdir: (path, limit) => {
      const folder = opendirSync(path, { bufferSize: 256 });
      try {
        const names: string[] = [];
        while (names.length < limit) {
          const entry = folder.readSync();
          if (entry === null) break;
          names.push(entry.name);
        }
        return names;
      } finally {
        folder.closeSync();
      }
    },
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

/** Beyond these, one decision's path rules stop looking at the file system and refuse the path. */
const MAX_LOOKUPS_PER_DECISION = 4096;
const MAX_FOLDER_ENTRIES_PER_DECISION = 50_000;

/** A folder's names by their Unicode NFC form. */
type NamesByForm = Map<string, string[]>;

/**
 * The file-system lookups of one decision's path rules, and their bounds: no call (thousands of
 * paths, symlinks 40 deep, folders of many names) can make its decision stall. It lives for one
 * decision only (see withPathLookups): folders may change between calls.
 */
class DecisionLookups {
  private lookups = 0;
  private entries = 0;
  private readonly views = new Map<PathContext, PathLookups>();

  /** The lookups of this decision through `context`. */
  through(context: PathContext): PathLookups {
    let view = this.views.get(context);
    if (view === undefined) {
      view = new PathLookups(context, this);
      this.views.set(context, view);
    }
    return view;
  }

  /** Counts one lookup (realpath, readlink or readdir); refuses it beyond the decision's bound. */
  spendLookup(): void {
    if (++this.lookups > MAX_LOOKUPS_PER_DECISION)
      throw new PathResolutionError(
        `the path rules of one call may make at most ${MAX_LOOKUPS_PER_DECISION} file-system lookups, and this call's paths need more: send fewer paths per call`,
      );
  }

  /** How many more folder entries this decision may read. */
  entriesLeft(): number {
    return MAX_FOLDER_ENTRIES_PER_DECISION - this.entries;
  }

  spendEntries(count: number): void {
    this.entries += count;
  }
}

/** What one decision has looked up through one PathContext: each folder is read at most once. */
class PathLookups {
  private readonly folders = new Map<string, NamesByForm>();

  constructor(
    private readonly context: PathContext,
    private readonly decision: DecisionLookups,
  ) {}

  realpath(path: string): string {
    this.decision.spendLookup();
    return this.context.realpath(path);
  }

  readlink(path: string): string {
    this.decision.spendLookup();
    return this.context.readlink(path);
  }

  /** The names in `folder` whose NFC form is `form`; none where the folder does not exist. */
  namesOfForm(folder: string, form: string): readonly string[] {
    let names = this.folders.get(folder);
    if (names === undefined) {
      names = this.readFolder(folder);
      this.folders.set(folder, names);
    }
    return names.get(form) ?? [];
  }

  private readFolder(folder: string): NamesByForm {
    this.decision.spendLookup();
    const left = this.decision.entriesLeft();
    let entries: string[];
    try {
      entries = this.context.readdir(folder, left + 1);
    } catch (error) {
      if (isMissing(error)) return new Map();
      throw new PathResolutionError(`cannot read ${folder}: ${(error as Error).message}`);
    }
    if (entries.length > left)
      throw new PathResolutionError(
        `cannot read ${folder}: the path rules of one call may read at most ${MAX_FOLDER_ENTRIES_PER_DECISION} folder entries, and this folder has more than the ${left} left: send fewer paths per call, or paths that exist or are ASCII`,
      );
    this.decision.spendEntries(entries.length);
    const byForm: NamesByForm = new Map();
    for (const entry of entries) {
      // An ASCII name is its own NFC form: only the others need normalizing (most of a folder, mostly).
      const form = /\P{ASCII}/u.test(entry) ? entry.normalize("NFC") : entry;
      const same = byForm.get(form);
      if (same === undefined) byForm.set(form, [entry]);
      else same.push(entry);
    }
    return byForm;
  }
}

/** The lookups of the decision under way, made at its first lookup; null between decisions. */
let decision: DecisionLookups | null = null;
/** Whether a decision is under way (withPathLookups): its lookups, once made, last until it ends. */
let deciding = false;

/** Runs `run` with the lookups of the decision under way, or, outside any, of a new one for `run` alone. */
function inDecision<T>(run: (lookups: DecisionLookups) => T): T {
  if (deciding) {
    decision ??= new DecisionLookups();
    return run(decision);
  }
  return withPathLookups(() => inDecision(run));
}

/**
 * Runs one decision (synchronous) with one set of file-system lookups for all its path rules:
 * each folder read once, all of them bounded, and nothing kept once it returns. A decision that
 * meets no path rule makes none (nothing is allocated on its way).
 */
export function withPathLookups<T>(decide: () => T): T {
  if (deciding) return decide();
  deciding = true;
  try {
    return decide();
  } finally {
    deciding = false;
    decision = null;
  }
}

/**
 * Resolves the longest leading part of `path` that exists, keeping the rest as written, then
 * normalizes; and, where a name is missing, also where a server may take it to lead (missingName).
 */
function resolveExisting(path: string, lookups: PathLookups, hops = 0): string[] {
  const parts = path.split("/");
  if (parts.length > MAX_COMPONENTS)
    throw new PathResolutionError(`a path of ${parts.length} components is deeper than ${MAX_COMPONENTS}`);
  for (let keep = parts.length; keep >= 1; keep--) {
    const head = keep === 1 ? "/" : parts.slice(0, keep).join("/");
    let real: string;
    try {
      real = lookups.realpath(head);
    } catch (error) {
      if (error instanceof PathResolutionError) throw error;
      if (isMissing(error)) continue;
      throw new PathResolutionError(`cannot resolve ${head}: ${(error as Error).message}`);
    }
    const rest = parts.slice(keep);
    const asWritten = posix.normalize([real, ...rest].join("/"));
    if (rest.length === 0) return [asWritten];
    return [asWritten, ...missingName(real, rest, lookups, hops)];
  }
  return [posix.normalize(path)];
}

/**
 * Where the missing name `rest[0]` in the existing folder `real` may lead besides itself: a
 * dangling symlink's target (open with O_CREAT creates the file there), or the one entry whose
 * NFC form is the name's (server-filesystem's resolveUnicodeEquivalentPath takes it for a path
 * that does not exist). Several such entries: the server refuses the path, and so do we.
 */
function missingName(real: string, rest: string[], lookups: PathLookups, hops: number): string[] {
  const name = rest[0] as string;
  if (name === "" || name === "." || name === "..") return [];
  const entry = real === "/" ? `/${name}` : `${real}/${name}`;
  let target: string | undefined;
  try {
    target = lookups.readlink(entry);
  } catch (error) {
    if (error instanceof PathResolutionError) throw error;
    // EINVAL: the name is there, not a symlink (a file where a folder is expected): nothing else to read.
    if ((error as NodeJS.ErrnoException).code === "EINVAL") return [];
    if (!isMissing(error))
      throw new PathResolutionError(`cannot resolve ${entry}: ${(error as Error).message}`);
  }
  if (target !== undefined) {
    if (hops >= MAX_LINK_HOPS)
      throw new PathResolutionError(`cannot resolve ${entry}: more than ${MAX_LINK_HOPS} symlinks`);
    const linked = target.startsWith("/") ? target : `${real}/${target}`;
    return resolveExisting([linked, ...rest.slice(1)].join("/"), lookups, hops + 1);
  }
  // Only these names can have another NFC spelling: the three singletons NFC maps to ASCII are K ; `.
  if (!/\P{ASCII}|[K;`]/u.test(name)) return [];
  const equivalents = lookups.namesOfForm(real, name.normalize("NFC")).filter((other) => other !== name);
  if (equivalents.length === 0) return [];
  if (equivalents.length > 1)
    throw new PathResolutionError(`${entry} has ${equivalents.length} names of the same Unicode NFC form`);
  return resolveExisting([real, equivalents[0], ...rest.slice(1)].join("/"), lookups, hops);
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
  return inDecision((decision) => {
    const lookups = decision.through(context);
    const locations = new Set<string>();
    for (const written of absoluteReadings(raw, context))
      for (const location of locationsOf(written, lookups)) locations.add(location);
    return [...locations];
  });
}

/** Where one absolute path as written leads: normalized then resolved, and resolved as the kernel does. */
function locationsOf(written: string, lookups: PathLookups): string[] {
  const normalized = posix.normalize(written);
  const first = resolveExisting(normalized, lookups);
  // Without . or .. (or repeated slashes) the two readings are the same path.
  if (normalized === written) return first;
  return [...first, ...resolveExisting(written, lookups)];
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
  const written = absoluteAsWritten(folder, { ...context, cwd: policyDir });
  return inDecision((decision) => resolveExisting(written, decision.through(context))[0] as string);
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
