// A private machine for install tests: its own HOME, state folder, config folder and working folder,
// and the built CLI run in it as users run it.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { policylayerBin } from "../helpers/paths.js";
import { tempDir } from "../helpers/tmp.js";

/** The fixtures written from each client's documentation. */
export const fixtures = new URL("../fixtures/install/", import.meta.url);

/** A fixture's text. */
export function fixture(name: string): string {
  return readFileSync(new URL(name, fixtures), "utf8");
}

export interface Run {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface Sandbox {
  root: string;
  home: string;
  cwd: string;
  stateDir: string;
  configHome: string;
  env: Record<string, string>;
  /** Writes a file under the sandbox (parent folders made) and returns its path. */
  write(relative: string, content: string | Buffer): string;
  /** Runs `policylayer ...args` in the sandbox's working folder, without a terminal. */
  run(...args: string[]): Promise<Run>;
  /** Runs `policylayer ...args` in another folder or with more environment variables. */
  runWith(options: { cwd?: string; env?: Record<string, string> }, ...args: string[]): Promise<Run>;
  /** The backups beside a file. */
  backupsOf(file: string): string[];
  cleanup(): void;
}

/** A fresh sandbox. */
export function sandbox(): Sandbox {
  const dir = tempDir("policylayer-install-");
  const root = dir.path;
  const home = join(root, "home");
  const cwd = join(root, "project");
  const stateDir = join(root, "state");
  const configHome = join(root, "config");
  for (const folder of [home, cwd]) mkdirSync(folder, { recursive: true });
  const env = {
    HOME: home,
    USERPROFILE: home,
    POLICYLAYER_STATE_DIR: stateDir,
    XDG_CONFIG_HOME: configHome,
    XDG_STATE_HOME: join(root, "xdg-state"),
    POLICYLAYER_POLICY: "",
    // The clients' own overrides of where their files are: unset, whatever the machine running the tests has.
    CLAUDE_CONFIG_DIR: "",
    CODEX_HOME: "",
    GEMINI_CLI_HOME: "",
  };
  return {
    root,
    home,
    cwd,
    stateDir,
    configHome,
    env,
    write(relative, content) {
      const path = join(root, relative);
      mkdirSync(join(path, ".."), { recursive: true });
      writeFileSync(path, content);
      return path;
    },
    run(...args) {
      return this.runWith({}, ...args);
    },
    async runWith(options, ...args) {
      const result = await execa(process.execPath, [policylayerBin, ...args], {
        cwd: options.cwd ?? cwd,
        env: { ...env, ...options.env },
        reject: false,
        stdin: "ignore",
        timeout: 150_000,
      });
      return {
        exitCode: result.exitCode ?? -1,
        stdout: String(result.stdout),
        stderr: String(result.stderr),
      };
    },
    backupsOf(file) {
      const folder = join(file, "..");
      const base = file.slice(folder.length + 1);
      return readdirSync(folder).filter((name) => name.startsWith(`${base}.policylayer-backup-`));
    },
    cleanup: dir.cleanup,
  };
}

/** The file as CRLF text (every LF becomes CRLF). */
export function crlf(text: string): string {
  return text.replaceAll("\r\n", "\n").replaceAll("\n", "\r\n");
}
