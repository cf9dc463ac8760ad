import { lstatSync, readFileSync, realpathSync, type Stats } from "node:fs";
import { dirname } from "node:path";

// Whether another local user could swap the inbox under us: by renaming, replacing or adding
// entries in the state directory or in any folder above it.

/** Why another user could change the entries of the folder (or the link) `stats` describes, or null when only you and root can. */
export function otherWriterReason(stats: Stats, uid: number): string | null {
  if (stats.uid !== uid && stats.uid !== 0) {
    return `it belongs to user id ${stats.uid}, who can rename or replace what is in it`;
  }
  // A link's own mode means nothing; its owner (checked above) and its folder (checked on its own) do.
  if (stats.isSymbolicLink()) return null;
  if ((stats.mode & 0o022) === 0) return null;
  // Sticky (like /tmp): others may add entries of their own, never rename or remove ours.
  if ((stats.mode & 0o1000) !== 0) return null;
  // Writable by its group only, which is yours alone (a user private group, as umask 002 makes folders).
  if ((stats.mode & 0o002) === 0 && isPrivateGroup(stats.gid, uid)) return null;
  const mode = (stats.mode & 0o7777).toString(8).padStart(4, "0");
  const who = (stats.mode & 0o002) !== 0 ? "every user" : "its group";
  return `its mode ${mode} lets ${who} rename or replace what is in it (and it has no sticky bit)`;
}

/** Per gid, whether it is a group of one user (see isPrivateGroup): the files are read once a process. */
const privateGroups = new Map<number, boolean>();

/**
 * True when the group `gid` can hold no user but `uid`: it is that user's primary group, /etc/group
 * lists no other member of it, and /etc/passwd no other user with it as their primary group. A group
 * these files do not name (one from LDAP, say) is not known to be private.
 */
function isPrivateGroup(gid: number, uid: number): boolean {
  if (gid !== process.getgid?.()) return false;
  const known = privateGroups.get(gid);
  if (known !== undefined) return known;
  let result = false;
  try {
    const users = readFileSync("/etc/passwd", "utf8")
      .split("\n")
      .map((line) => line.split(":"));
    const me = users.find((fields) => fields[2] === String(uid))?.[0];
    const others = users.some((fields) => fields[3] === String(gid) && fields[2] !== String(uid));
    const group = readFileSync("/etc/group", "utf8")
      .split("\n")
      .map((line) => line.split(":"))
      .find((fields) => fields[2] === String(gid));
    const members = (group?.[3] ?? "").split(",").filter((name) => name !== "");
    result = me !== undefined && group !== undefined && !others && members.every((name) => name === me);
  } catch {
    result = false;
  }
  privateGroups.set(gid, result);
  return result;
}

/** The path and every folder above it, up to the root. */
function withAncestors(path: string): string[] {
  const chain = [path];
  for (let parent = dirname(path); parent !== chain.at(-1); parent = dirname(parent)) chain.push(parent);
  return chain;
}

/**
 * The first of the folder `dir` and the folders above it, as written and as resolved (links
 * followed), that another user can write, and why; null when none, or where there are no user ids (Windows).
 */
export function otherWriterOf(dir: string): { path: string; reason: string } | null {
  const uid = process.getuid?.();
  if (uid === undefined) return null;
  const checked = new Set<string>();
  for (const path of [...withAncestors(dir), ...withAncestors(realpathSync(dir))]) {
    if (checked.has(path)) continue;
    checked.add(path);
    const reason = otherWriterReason(lstatSync(path), uid);
    if (reason !== null) return { path, reason };
  }
  return null;
}

/**
 * Throws when another user can write the folder `dir` or any folder above it (see otherWriterOf),
 * saying it is not safe for `use` and what such a user could do (`harm`): rename what policylayer
 * keeps there away and put their own in its place. By default, of the approval inbox.
 */
export function assertNoOtherWriter(
  dir: string,
  use = "approvals",
  harm = "put their own answers in your inbox",
): void {
  const found = otherWriterOf(dir);
  if (found === null) return;
  throw new Error(`${found.path} is not safe for ${use}: ${found.reason}, so another user could ${harm}`);
}
