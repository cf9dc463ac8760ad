import { type FSWatcher, lstatSync, readlinkSync, realpathSync, statSync, watch } from "node:fs";
import { basename, dirname, resolve } from "node:path";

/** How often the policy file is checked even when no watcher fired (folder replaced, missed events). */
const SAFETY_CHECK_MS = 1000;
/** Editors write in several steps: this long after the last event, the file is read. */
const SETTLE_MS = 30;

/** What identifies one version of the policy file: where the path leads, which file, its size and times. */
export function policyFileFingerprint(path: string): string {
  try {
    const stats = statSync(path, { bigint: true });
    return `${realpathSync(path)}|${stats.dev}:${stats.ino}|${stats.size}|${stats.mtimeNs}|${stats.ctimeNs}`;
  } catch (error) {
    return `missing: ${(error as NodeJS.ErrnoException).code ?? "unknown"}`;
  }
}

/**
 * The folders whose entries decide what the path reads, each with the names in it along the way:
 * its own folder, the folder of every symlink it passes through (a dotfiles link to another
 * folder), and the folder it resolves to in the end (a Kubernetes ConfigMap's `..data` link to a
 * folder that is swapped).
 */
function foldersBehind(path: string): Map<string, Set<string>> {
  const folders = new Map<string, Set<string>>();
  const add = (file: string) => {
    const folder = dirname(file);
    const names = folders.get(folder);
    if (names === undefined) folders.set(folder, new Set([basename(file)]));
    else names.add(basename(file));
  };
  add(path);
  let current = path;
  for (let hops = 0; hops < 40; hops += 1) {
    let target: string;
    try {
      if (!lstatSync(current).isSymbolicLink()) break;
      target = resolve(dirname(current), readlinkSync(current));
    } catch {
      break;
    }
    add(target);
    current = target;
  }
  try {
    add(realpathSync(path));
  } catch {
    // Not there right now: the safety check finds it when it is back.
  }
  return folders;
}

/**
 * Calls `onChange` after the policy file at `path` (absolute) changes, however it was changed:
 * saved in place or by rename-over, in its own folder or behind a symlink to another folder,
 * by a switched symlink (in the same folder or a ConfigMap's `..data`), or with its whole
 * folder replaced. Watches every folder the path depends on, works out again after every change
 * what those are, and checks the file once a second besides, in case no watcher could see it.
 * `readFingerprint` is the file's fingerprint taken before the policy in force was read: a change
 * made since then (while wrap was starting) is a change too.
 *
 * Another file written in place in a watched folder (an audit log beside the policy, appended on
 * every call) is not a reason to look: only an entry created, removed or renamed, or a change to
 * a name along the path, is. Otherwise each of its writes would put the check off again (and cost
 * the proxy a timer per call), and while it is written more often than SETTLE_MS an edit of the
 * policy would wait for the safety check.
 */
export function watchPolicyFile(
  path: string,
  onChange: () => void,
  readFingerprint = policyFileFingerprint(path),
  safetyCheckMs = SAFETY_CHECK_MS,
): () => void {
  let last = readFingerprint;
  // Per folder: its watcher and which folder it watches (a folder replaced under the same name is another one).
  const watchers = new Map<string, { watcher: FSWatcher; identity: string; names: Set<string> }>();
  let settle: NodeJS.Timeout | null = null;
  let stopped = false;

  const unwatch = (folder: string) => {
    watchers.get(folder)?.watcher.close();
    watchers.delete(folder);
  };
  const rewatch = () => {
    const wanted = foldersBehind(path);
    for (const folder of watchers.keys()) if (!wanted.has(folder)) unwatch(folder);
    for (const [folder, names] of wanted) {
      let identity: string;
      try {
        const stats = statSync(folder);
        identity = `${stats.dev}:${stats.ino}`;
      } catch {
        unwatch(folder);
        continue;
      }
      const watched = watchers.get(folder);
      if (watched?.identity === identity) {
        watched.names = names;
        continue;
      }
      unwatch(folder);
      try {
        const watcher = watch(folder, { persistent: false }, (event, name) => {
          const entry = watchers.get(folder);
          // "change": a file's content or attributes; a name missing (some systems): look anyway.
          if (event === "change" && name && entry?.watcher === watcher && !entry.names.has(name)) return;
          soon();
        });
        // A folder that goes away ends its watcher; the safety check watches again what is there then.
        watcher.on("error", () => {
          if (watchers.get(folder)?.watcher === watcher) unwatch(folder);
          else watcher.close();
        });
        watchers.set(folder, { watcher, identity, names });
      } catch {
        // Cannot be watched (gone, no permission): the safety check still sees changes.
      }
    }
  };
  const check = () => {
    if (stopped) return;
    rewatch();
    const now = policyFileFingerprint(path);
    if (now === last) return;
    last = now;
    onChange();
  };
  function soon(): void {
    if (settle) clearTimeout(settle);
    settle = setTimeout(() => {
      settle = null;
      check();
    }, SETTLE_MS);
  }

  rewatch();
  if (policyFileFingerprint(path) !== last) soon();
  const safety = setInterval(check, safetyCheckMs);
  safety.unref();
  return () => {
    stopped = true;
    if (settle) clearTimeout(settle);
    clearInterval(safety);
    for (const folder of [...watchers.keys()]) unwatch(folder);
  };
}
