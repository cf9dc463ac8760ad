// Whether a server's command can be started on this machine: an existing executable path, or a
// name found on PATH (with PATHEXT on Windows).
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, isAbsolute, join, resolve } from "node:path";

function executable(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, process.platform === "win32" ? constants.F_OK : constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Whether a command is written as a path (relative to the start folder) rather than a name looked up on PATH. */
export function isPathCommand(command: string): boolean {
  return command.includes("/") || command.includes("\\") || isAbsolute(command);
}

/** The executable `command` names: as a path (relative to `cwd`), or on `env.PATH`; null when there is none. */
export function commandPath(
  command: string,
  cwd: string,
  env: NodeJS.ProcessEnv = process.env,
): string | null {
  const extensions =
    process.platform === "win32" ? ["", ...(env.PATHEXT ?? ".EXE;.CMD;.BAT;.COM").split(";")] : [""];
  const candidates = isPathCommand(command)
    ? [resolve(cwd, command)]
    : (env.PATH ?? "")
        .split(delimiter)
        .filter((folder) => folder.length > 0)
        .map((folder) => join(folder, command));
  for (const candidate of candidates) {
    const found = extensions.map((extension) => candidate + extension).find(executable);
    if (found !== undefined) return found;
  }
  return null;
}

/** True when `command` names an executable: as a path (relative to `cwd`), or on `env.PATH`. */
export function commandFound(command: string, cwd: string, env: NodeJS.ProcessEnv = process.env): boolean {
  return commandPath(command, cwd, env) !== null;
}
