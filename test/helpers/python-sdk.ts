import { execFile } from "node:child_process";
import { existsSync, mkdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { repoRoot } from "./paths.js";

const run = promisify(execFile);

const REQUIREMENT: Record<1 | 2, string> = { 1: "mcp>=1.26,<2", 2: "mcp>=2,<3" };
/** A lock older than this was left by a process that died while installing: it is taken over. */
const STALE_LOCK_MS = 10 * 60_000;
const LOCK_POLL_MS = 200;

/** The venv's interpreter, once the venv is complete (the marker is written last). */
function interpreterOf(venv: string): string {
  return join(venv, "bin", "python");
}

async function createVenv(venv: string, requirement: string): Promise<void> {
  rmSync(venv, { recursive: true, force: true });
  const step = async (what: string, args: string[]) => {
    try {
      await run("uv", args, { env: { ...process.env, VIRTUAL_ENV: venv }, timeout: 300_000 });
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      throw new Error(
        `python-sdk: ${what} failed (is uv installed and PyPI reachable? .ci/run installs uv): ${detail}`,
      );
    }
  };
  await step(`uv venv ${venv}`, ["venv", "--quiet", venv]);
  await step(`uv pip install "${requirement}" into ${venv}`, ["pip", "install", "--quiet", requirement]);
}

/**
 * The absolute path of a Python interpreter in a virtual environment with the official `mcp` SDK of
 * that major version, created on first use under `<repo>/.cache/python/mcp<major>` (gitignored).
 * Concurrent callers (vitest workers, `.ci/run`) wait on a lock folder rather than install twice.
 */
export async function pythonWithMcp(major: 1 | 2): Promise<string> {
  const base = join(repoRoot, ".cache", "python");
  const venv = join(base, `mcp${major}`);
  const ready = join(venv, ".policylayer-ready");
  if (existsSync(ready)) return interpreterOf(venv);
  mkdirSync(base, { recursive: true });
  const lock = join(base, `mcp${major}.lock`);
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      if (existsSync(ready)) return interpreterOf(venv);
      const lockedAtMs = statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now();
      if (Date.now() - lockedAtMs > STALE_LOCK_MS) rmSync(lock, { recursive: true, force: true });
      await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
    }
  }
  try {
    if (!existsSync(ready)) {
      await createVenv(venv, REQUIREMENT[major]);
      mkdirSync(ready);
    }
    return interpreterOf(venv);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
