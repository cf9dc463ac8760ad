import { randomBytes } from "node:crypto";
import {
  chmodSync,
  closeSync,
  constants,
  fstatSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  type Stats,
  statSync,
  writeFileSync,
} from "node:fs";
import { basename, join } from "node:path";

/** Creates a folder only its owner can enter (0700), or checks and tightens an existing one. */
export function ensurePrivateDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  // lstat: a link named like the folder could point anywhere, so it is refused, not followed.
  const stats = lstatSync(path);
  if (!stats.isDirectory()) throw new Error(`${path} is not a folder (a link or a file)`);
  const uid = process.getuid?.();
  if (uid !== undefined && stats.uid !== uid) {
    throw new Error(
      `${path} belongs to user id ${stats.uid}, not to you (${uid}), so others could answer approvals`,
    );
  }
  if (uid !== undefined && (stats.mode & 0o077) !== 0) chmodSync(path, 0o700);
}

/**
 * Writes a file that must not exist yet, all at once: the content goes to a private temporary
 * file in `tmpDir` first, then a hard link gives it its name, which fails if the name is taken.
 * Readers never see half a file, and of two writers exactly one wins. False when the name was taken.
 */
export function writeNewFile(path: string, content: string, tmpDir: string): boolean {
  const tmp = join(tmpDir, `${basename(path)}.${process.pid}.${randomBytes(6).toString("hex")}`);
  writeFileSync(tmp, content, { mode: 0o600, flag: "wx" });
  try {
    linkSync(tmp, path);
    return true;
  } catch (error) {
    if (errorCode(error) === "EEXIST") return false;
    throw error;
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** A file that exists but may have been written by someone else: its content must not be believed. */
export class UntrustedFileError extends Error {}

/**
 * The parsed JSON of a file of yours, null when the file does not exist or is not JSON. Throws
 * UntrustedFileError when it is a link, not a regular file, not yours, or writable by others:
 * anyone who could have written it could have forged it.
 */
export function readJsonFile(path: string): unknown {
  const text = readTrustedText(path);
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** The text of a file of yours, null when it does not exist; throws UntrustedFileError as readJsonFile does. */
export function readTrustedText(path: string): string | null {
  const fd = openTrusted(path, constants.O_RDONLY);
  if (fd === null) return null;
  try {
    return readFileSync(fd, "utf8");
  } finally {
    closeSync(fd);
  }
}

/**
 * Appends `text` to a file of yours, creating it (0600) when it does not exist. Throws
 * UntrustedFileError, having written nothing, when the name is a link or a second name (hard link)
 * of another file (either would carry the write there), a FIFO or other non-regular file, not
 * yours, or writable by others.
 */
export function appendTrusted(path: string, text: string): void {
  const fd = openTrusted(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT);
  if (fd === null) return;
  try {
    const names = otherNamesReason(fstatSync(fd));
    if (names !== null) throw new UntrustedFileError(`${path} ${names}`);
    writeFileSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

/**
 * An open descriptor of `path` once it is known to be a regular file of yours (or, with
 * `devices`, a character device such as /dev/null); null when it does not exist.
 */
export function openTrusted(path: string, flags: number, devices = false): number | null {
  let fd: number;
  try {
    // O_NOFOLLOW: a link is refused, not followed; O_NONBLOCK: a FIFO in its place cannot stall us.
    fd = openSync(path, flags | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0), 0o600);
  } catch (error) {
    if (errorCode(error) === "ENOENT") return null;
    if (errorCode(error) === "ELOOP") throw new UntrustedFileError(`${path} is a link, not a file`);
    // Files of yours are 0600: one you cannot read was put there by someone else.
    if (errorCode(error) === "EACCES") throw new UntrustedFileError(`${path} cannot be opened by you`);
    // A FIFO opened for writing with no reader: not a file of ours either.
    if (errorCode(error) === "ENXIO") throw new UntrustedFileError(`${path} is not a regular file`);
    throw error;
  }
  const stats = fstatSync(fd);
  // A device node (/dev/null) is made by root only: no one else can have planted it.
  const why = devices && stats.isCharacterDevice() ? null : untrustedReason(stats);
  if (why !== null) {
    closeSync(fd);
    throw new UntrustedFileError(`${path} ${why}`);
  }
  return fd;
}

/** Why an open file's content cannot be believed, or null when it is a regular file of yours that only you can write. */
export function untrustedReason(stats: Stats): string | null {
  if (!stats.isFile()) return "is not a regular file";
  const uid = process.getuid?.();
  if (uid === undefined) return null;
  if (stats.uid !== uid) return `belongs to user id ${stats.uid}, not to you (${uid})`;
  if ((stats.mode & 0o022) !== 0) {
    return `has mode ${(stats.mode & 0o777).toString(8).padStart(4, "0")}, so others could have written it`;
  }
  return null;
}

/**
 * Why a file of yours that policylayer keeps writing must not be: it has other names (hard
 * links), so every write would change another file too; null when it has one.
 */
export function otherNamesReason(stats: Stats): string | null {
  return stats.isFile() && stats.nlink > 1
    ? `has ${stats.nlink} names (hard links), so writing it would write another file too`
    : null;
}

/** The names in a folder, [] when the folder does not exist. */
export function listNames(path: string): string[] {
  try {
    return readdirSync(path);
  } catch (error) {
    if (errorCode(error) === "ENOENT") return [];
    throw error;
  }
}

/** Removes the files in `path` last modified before `cutoffMs`; errors are ignored (another process may prune too). */
export function pruneOlderThan(path: string, cutoffMs: number): void {
  for (const name of listNames(path)) {
    const file = join(path, name);
    try {
      if (statSync(file).mtimeMs < cutoffMs) rmSync(file, { force: true });
    } catch {
      // Gone already, or not ours to remove: either way nothing to do.
    }
  }
}

/** The `code` of a Node.js system error (ENOENT, EEXIST, ...), or undefined. */
export function errorCode(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null || !("code" in error)) return undefined;
  return typeof error.code === "string" ? error.code : undefined;
}

/** An error's message, for sentences shown to people. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
