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

/** True when `command` names an executable: as a path (relative to `cwd`), or on `env.PATH`. */
export function commandFound(command: string, cwd: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const extensions =
    process.platform === "win32" ? ["", ...(env.PATHEXT ?? ".EXE;.CMD;.BAT;.COM").split(";")] : [""];
  if (command.includes("/") || command.includes("\\") || isAbsolute(command)) {
    const path = resolve(cwd, command);
    return extensions.some((extension) => executable(path + extension));
  }
  const folders = (env.PATH ?? "").split(delimiter).filter((folder) => folder.length > 0);
  return folders.some((folder) =>
    extensions.some((extension) => executable(join(folder, command + extension))),
  );
}
