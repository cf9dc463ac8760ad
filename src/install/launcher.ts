// How a client's config runs this very policylayer: node's absolute path and the CLI's absolute
// path. A client starts servers with its own PATH (Claude Desktop on macOS: a short one without
// nvm's node), so neither `policylayer` nor the `#!/usr/bin/env node` line can be relied on, and
// Windows does not run a .js file at all. And whether the launcher of an entry that already says
// `... wrap` is a real policylayer install, not a look-alike (a ./policylayer script in a repository).
import { readFileSync, realpathSync } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { commandPath, isPathCommand } from "./command-lookup.js";

/** The words that start this policylayer from anywhere: [node, CLI]. */
export function selfLauncher(): string[] {
  const cli = fileURLToPath(new URL("../../bin/policylayer.js", import.meta.url));
  return [realpathSync(process.execPath), realpathSync(cli)];
}

/** Where a client starts an entry's server: the folder relative paths and PATH lookups are made from. */
export interface StartPlace {
  cwd: string;
  env: NodeJS.ProcessEnv;
  home: string;
}

function realPath(path: string | null): string | null {
  if (path === null) return null;
  try {
    return realpathSync(path);
  } catch {
    return null;
  }
}

function isWithin(path: string, folder: string): boolean {
  const rest = relative(folder, path);
  return rest === "" || (!rest.startsWith("..") && !isAbsolute(rest));
}

/**
 * Whether a file lies in the project the server starts in (its start folder, when that is not the
 * home folder or above it): a repository can ship a look-alike node or policylayer package there.
 */
function inProject(real: string, place: StartPlace): boolean {
  const project = realPath(place.cwd);
  if (project === null) return false;
  const home = realPath(place.home) ?? place.home;
  return !isWithin(home, project) && isWithin(real, project);
}

function packageName(folder: string): string | null {
  try {
    const data: unknown = JSON.parse(readFileSync(join(folder, "package.json"), "utf8"));
    const name = typeof data === "object" && data !== null ? (data as { name?: unknown }).name : undefined;
    return typeof name === "string" ? name : null;
  } catch {
    return null;
  }
}

/** Whether a real path is this policylayer's CLI, or the bin/policylayer.js of an installed policylayer package outside the project. */
function isPolicylayerCli(real: string, place: StartPlace, self: readonly string[]): boolean {
  if (real === self[1]) return true;
  return (
    basename(real) === "policylayer.js" &&
    basename(dirname(real)) === "bin" &&
    packageName(dirname(dirname(real))) === "policylayer" &&
    !inProject(real, place)
  );
}

/** Whether a word runs node: this node, or an executable named node given by absolute path or found on PATH, outside the project. */
function isNode(word: string, place: StartPlace, self: readonly string[]): boolean {
  const real = realPath(commandPath(word, place.cwd, place.env));
  if (real === null) return false;
  if (real === self[0]) return true;
  // A relative path (./node) is the project's own file, whatever its name.
  if (isPathCommand(word) && !isAbsolute(word)) return false;
  return /^(node|nodejs)(\.exe)?$/i.test(basename(real)) && !inProject(real, place);
}

/**
 * Whether the words before `wrap` start a real policylayer: `policylayer` (a path, or a name on
 * PATH) whose real file is a policylayer package's bin/policylayer.js, or node and that file.
 */
export function isPolicylayerLauncher(
  launcher: readonly string[],
  place: StartPlace,
  self: readonly string[] = selfLauncher(),
): boolean {
  const words = launcher.at(-1) === "wrap" ? launcher.slice(0, -1) : launcher;
  const [first, second] = words;
  if (first === undefined) return false;
  if (words.length === 1) {
    const real = realPath(commandPath(first, place.cwd, place.env));
    return real !== null && isPolicylayerCli(real, place, self);
  }
  if (words.length !== 2 || second === undefined) return false;
  const cli = realPath(resolve(place.cwd, second));
  return cli !== null && isNode(first, place, self) && isPolicylayerCli(cli, place, self);
}
