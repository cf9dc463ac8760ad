// Reading a client's config file, and replacing it safely: a timestamped backup beside it, a refusal
// when it changed on disk since it was read, and an atomic rename of a temporary file in the same
// folder that keeps the file's mode (and, when root writes it, its owner).
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  chownSync,
  closeSync,
  constants,
  copyFileSync,
  fchownSync,
  fsyncSync,
  openSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";

/** A config file as it was read. */
export interface ReadConfig {
  /** The path the user knows (and the state's key). */
  path: string;
  /** The file written to: the path with symbolic links resolved, so that a linked dotfile stays a link. */
  target: string;
  bytes: Buffer;
  text: string;
  mode: number;
  /** The owner and group: kept on the new file and the backup when root writes another user's file. */
  uid: number;
  gid: number;
}

/** The file changed on disk between reading it and writing it: nothing was written. */
export class ConcurrentChange extends Error {}

/** A file that cannot be read as UTF-8 text. */
export class UnreadableConfig extends Error {}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Reads a config file; throws UnreadableConfig with the file's name when it is missing or not UTF-8. */
export function readConfig(path: string): ReadConfig {
  let target: string;
  let bytes: Buffer;
  try {
    target = realpathSync(path);
    bytes = readFileSync(target);
  } catch (error) {
    throw new UnreadableConfig(`cannot read ${path}: ${(error as Error).message}`);
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new UnreadableConfig(`${path} is not UTF-8 text; nothing was changed`);
  }
  const stats = statSync(target);
  return { path, target, bytes, text, mode: stats.mode & 0o7777, uid: stats.uid, gid: stats.gid };
}

/** A timestamp for file names: 2026-12-01T08-53-00-123Z. */
function fileStamp(date: Date): string {
  return date.toISOString().replaceAll(":", "-").replace(".", "-");
}

function assertUnchanged(read: ReadConfig): void {
  let now: Buffer;
  try {
    now = readFileSync(read.target);
  } catch (error) {
    throw new ConcurrentChange(
      `${read.path} cannot be read again before writing: ${(error as Error).message}`,
    );
  }
  if (!now.equals(read.bytes)) {
    throw new ConcurrentChange(
      `${read.path} changed on disk since policylayer read it (another program wrote it); nothing was written. Run the command again.`,
    );
  }
}

/**
 * Replaces the file's content with `text`: refuses if the file changed since `read`, copies the old
 * content to FILE.policylayer-backup-TIMESTAMP, then renames a temporary file over it. Returns the
 * backup's path.
 */
export function replaceConfig(read: ReadConfig, text: string, now = new Date()): string {
  assertUnchanged(read);
  const backup = `${read.target}.policylayer-backup-${fileStamp(now)}`;
  copyFileSync(read.target, backup, constants.COPYFILE_EXCL);
  chmodSync(backup, read.mode);
  // Only root makes files for another user: then they get the old file's owner, not root.
  const asRoot = process.getuid?.() === 0;
  if (asRoot) chownSync(backup, read.uid, read.gid);
  const tmp = join(
    dirname(read.target),
    `.${basename(read.target)}.policylayer-${process.pid}-${randomBytes(4).toString("hex")}.tmp`,
  );
  try {
    const fd = openSync(tmp, "wx", read.mode);
    try {
      if (asRoot) fchownSync(fd, read.uid, read.gid);
      writeFileSync(fd, text); // every byte or an error: one write(2) may write only part (a full disk)
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    chmodSync(tmp, read.mode); // the umask may have taken bits away
    assertUnchanged(read); // once more, as close to the rename as we can
    renameSync(tmp, read.target);
  } catch (error) {
    rmSync(tmp, { force: true });
    rmSync(backup, { force: true });
    throw error;
  }
  return backup;
}
