// Where Claude Code keeps a project's local-scope servers in ~/.claude.json: under `projects[KEY]`,
// where KEY is the folder Claude Code takes for the project. Claude Code 2.1.197 takes the root of the
// git repository the current folder is in (the main checkout's root for a linked worktree), else the
// current folder; we found that by running its `claude mcp add --scope local` in a subfolder and in a
// worktree, and follow it here.
import { readFileSync, realpathSync, statSync } from "node:fs";
import { basename, dirname, join, normalize, parse, resolve } from "node:path";

/** The nearest folder from `start` upwards that holds a `.git` folder or file; null outside a repository. */
export function gitRoot(start: string): string | null {
  let folder = resolve(start);
  const { root } = parse(folder);
  for (;;) {
    try {
      const git = statSync(join(folder, ".git"));
      if (git.isDirectory() || git.isFile()) return folder;
    } catch {
      // no .git here: look one folder up
    }
    if (folder === root) return null;
    folder = dirname(folder);
  }
}

/** For a linked worktree (a `.git` file naming .git/worktrees/NAME), the main checkout's root; else `root`. */
function mainCheckout(root: string): string {
  try {
    const pointer = readFileSync(join(root, ".git"), "utf8").trim();
    if (!pointer.startsWith("gitdir:")) return root;
    const gitDir = resolve(root, pointer.slice("gitdir:".length).trim());
    const commonDir = resolve(gitDir, readFileSync(join(gitDir, "commondir"), "utf8").trim());
    if (resolve(dirname(gitDir)) !== join(commonDir, "worktrees")) return root;
    // The worktree's record must point back at this very folder.
    const back = realpathSync(readFileSync(join(gitDir, "gitdir"), "utf8").trim());
    if (back !== join(realpathSync(root), ".git")) return root;
    return basename(commonDir) === ".git" ? dirname(commonDir) : commonDir;
  } catch {
    // a .git folder (readFileSync refuses it), or a worktree record that does not hold together
    return root;
  }
}

/** The key of the project in the folder `cwd` under `projects` in Claude Code's ~/.claude.json. */
export function claudeProjectKey(cwd: string, platform: NodeJS.Platform): string {
  const root = gitRoot(cwd);
  const key = normalize(root === null ? resolve(cwd) : mainCheckout(root));
  return platform === "win32" ? key.replaceAll("\\", "/") : key;
}
