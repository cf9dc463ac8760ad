import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { constants } from "node:os";
import type { Readable, Writable } from "node:stream";

/** How the server process ended: its exit code, or the signal that ended it. */
export interface ServerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** The wrapped MCP server: a child process in a process group of its own. */
export interface ServerProcess {
  pid: number;
  stdin: Writable;
  stdout: Readable;
  /** Resolves once the server process has exited (its group may still have members). */
  exited: Promise<ServerExit>;
  /**
   * Sends a signal to the server's whole process group (uvx and npx start grandchildren), and to the
   * processes of its tree that left the group (see TREE_MARK).
   */
  signalGroup(signal: NodeJS.Signals): void;
  /** True while any process of the server's group, or of its tree outside the group, is still alive. */
  groupAlive(): boolean;
}

/** Why the server could not be started (command not found, not executable, ...). */
export class SpawnError extends Error {}

/** Why spawning `command` failed, in words a person can act on. */
function spawnFailure(command: string, error: unknown): SpawnError {
  const code = (error as NodeJS.ErrnoException).code;
  const named = command.includes("/") ? `${command} does not exist` : `command not found on PATH: ${command}`;
  if (code === "ENOENT") {
    return new SpawnError(
      `cannot start ${command}: ${named}; check the spelling, install it, or give its full path`,
    );
  }
  if (code === "EACCES") {
    return new SpawnError(`cannot start ${command}: permission denied (is it an executable file?)`);
  }
  return new SpawnError(`cannot start ${command}: ${(error as Error).message}`);
}

/**
 * Set in the server's environment to a value of its own: every process that inherits it is of the
 * server's tree, one that left its process group too (setsid, a detached spawn), and is found by it
 * in /proc. Where there is no /proc (macOS), only the group is reached.
 */
const TREE_MARK = "POLICYLAYER_SERVER_TREE";

/** The processes (not ours) whose environment holds `mark`; none where /proc cannot be read. */
function markedProcesses(mark: Buffer): number[] {
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const entry of entries) {
    const pid = Number(entry);
    if (!Number.isSafeInteger(pid) || pid === process.pid) continue;
    let environ: Buffer;
    try {
      environ = readFileSync(`/proc/${entry}/environ`);
    } catch {
      // Another user's process, or one that has just gone.
      continue;
    }
    // A zombie's environment reads empty: it has ended already.
    if (environ.includes(mark)) pids.push(pid);
  }
  return pids;
}

/** Where and with which environment a server starts: our own unless given. */
export interface SpawnPlace {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/**
 * Starts COMMAND with ARGS in a new process group, with our environment (and TREE_MARK), stdin and stdout piped
 * and stderr passed straight through to ours (Claude Desktop shows it in the server's log).
 * node:child_process rather than execa: execa's import alone costs ~55 ms of every start.
 */
export function startServer(
  command: string,
  args: readonly string[],
  place: SpawnPlace = {},
): Promise<ServerProcess> {
  const markValue = randomBytes(12).toString("base64url");
  const mark = Buffer.from(`${TREE_MARK}=${markValue}\0`);
  let child: ChildProcess;
  try {
    child = spawn(command, args, {
      stdio: ["pipe", "pipe", "inherit"],
      detached: true,
      env: { ...(place.env ?? process.env), [TREE_MARK]: markValue },
      cwd: place.cwd,
    });
  } catch (error) {
    return Promise.reject(spawnFailure(command, error));
  }
  return new Promise((resolve, reject) => {
    child.once("error", (error) => reject(spawnFailure(command, error)));
    child.once("spawn", () => {
      const pid = child.pid;
      const { stdin, stdout } = child;
      if (pid === undefined || stdin === null || stdout === null) {
        reject(new SpawnError(`cannot start ${command}: no process id or pipes`));
        return;
      }
      const exited = new Promise<ServerExit>((resolveExit) => {
        child.once("exit", (code, signal) => resolveExit({ code, signal }));
      });
      resolve({
        pid,
        stdin,
        stdout,
        exited,
        signalGroup(signal) {
          try {
            process.kill(-pid, signal);
          } catch {
            // ESRCH: the group is already gone.
          }
          for (const stray of markedProcesses(mark)) {
            try {
              process.kill(stray, signal);
            } catch {
              // ESRCH: it ended meanwhile.
            }
          }
        },
        groupAlive() {
          try {
            process.kill(-pid, 0);
            return true;
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code === "EPERM") return true;
          }
          return markedProcesses(mark).length > 0;
        },
      });
    });
  });
}

/** The exit code policylayer reports for a server exit (128 + signal number, as shells do). */
export function exitCodeOf(exit: ServerExit): number {
  if (exit.code !== null) return exit.code;
  return 128 + (exit.signal ? constants.signals[exit.signal] : 0);
}

/** How a server exit reads in a sentence: "exited with code 1", "was ended by SIGKILL". */
export function describeExit(exit: ServerExit): string {
  return exit.code !== null ? `exited with code ${exit.code}` : `was ended by ${exit.signal ?? "a signal"}`;
}

/**
 * Ends the server in order: close its stdin and wait, then SIGTERM, then SIGKILL, to its whole group,
 * each step after `graceMs`. With `firstSignal` (ours was signalled), starts at that signal.
 */
export async function stopServer(
  server: ServerProcess,
  graceMs: number,
  firstSignal: NodeJS.Signals | null = null,
): Promise<void> {
  let signal = firstSignal;
  if (signal === null) {
    server.stdin.end();
    if (await exitedWithin(server.exited, graceMs)) return;
    signal = "SIGTERM";
  }
  server.signalGroup(signal);
  if (await exitedWithin(server.exited, graceMs)) return;
  server.signalGroup("SIGKILL");
  await server.exited;
}

/** After the server itself exited: what is left of its group (uvx's, npx's grandchildren) and tree gets SIGTERM, then SIGKILL. */
export async function endGroup(server: ServerProcess, graceMs: number): Promise<void> {
  if (!server.groupAlive()) return;
  server.signalGroup("SIGTERM");
  const deadline = Date.now() + graceMs;
  // Grandchildren are not our children, so no event tells us they are gone: poll briefly.
  while (server.groupAlive() && Date.now() < deadline) await delay(20);
  if (server.groupAlive()) server.signalGroup("SIGKILL");
}

/**
 * After the server itself exited: resolves once all it wrote to its stdout has been read (the reading
 * waits while the client reads slowly), or after `ms` (the client reads nothing, or a process the
 * server left behind holds its stdout open).
 */
export function outputReadWithin(server: ServerProcess, ms: number): Promise<void> {
  const { stdout } = server;
  if (stdout.readableEnded || stdout.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      stdout.off("end", done);
      stdout.off("close", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    stdout.once("end", done);
    stdout.once("close", done);
  });
}

function exitedWithin(exited: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    void exited.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
