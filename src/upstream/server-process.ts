import { type ChildProcess, spawn } from "node:child_process";
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
  /** Sends a signal to the server's whole process group (uvx and npx start grandchildren). */
  signalGroup(signal: NodeJS.Signals): void;
  /** True while any process of the server's group is still alive. */
  groupAlive(): boolean;
}

/** Why the server could not be started (command not found, not executable, ...). */
export class SpawnError extends Error {}

/**
 * Starts COMMAND with ARGS in a new process group, with our environment, stdin and stdout piped
 * and stderr passed straight through to ours (Claude Desktop shows it in the server's log).
 * node:child_process rather than execa: execa's import alone costs ~55 ms of every start.
 */
export function startServer(command: string, args: readonly string[]): Promise<ServerProcess> {
  let child: ChildProcess;
  try {
    child = spawn(command, args, { stdio: ["pipe", "pipe", "inherit"], detached: true, env: process.env });
  } catch (error) {
    return Promise.reject(new SpawnError(`cannot start ${command}: ${(error as Error).message}`));
  }
  return new Promise((resolve, reject) => {
    child.once("error", (error) => reject(new SpawnError(`cannot start ${command}: ${error.message}`)));
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
        },
        groupAlive() {
          try {
            process.kill(-pid, 0);
            return true;
          } catch (error) {
            return (error as NodeJS.ErrnoException).code === "EPERM";
          }
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
