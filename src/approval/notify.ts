import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import type { PendingRecord } from "./records.js";

/** Longest notification body; desktops cut long ones anyway. */
const MAX_BODY_CHARS = 300;

type NotifierCommand = (title: string, body: string) => [string, string[]];

let cachedNotifier: NotifierCommand | null | undefined;

/** Whether `name` is an executable file in one of PATH's folders. */
function onPath(name: string, env: NodeJS.ProcessEnv): boolean {
  for (const folder of (env.PATH ?? "").split(delimiter)) {
    if (folder.length === 0) continue;
    try {
      accessSync(join(folder, name), constants.X_OK);
      return true;
    } catch {
      // Not in this folder.
    }
  }
  return false;
}

/** The desktop notifier of this machine, looked up once: notify-send (with a desktop session) or osascript. */
function desktopNotifier(env: NodeJS.ProcessEnv = process.env): NotifierCommand | null {
  if (cachedNotifier !== undefined) return cachedNotifier;
  cachedNotifier = null;
  const hasSession = Boolean(env.DISPLAY || env.WAYLAND_DISPLAY || env.DBUS_SESSION_BUS_ADDRESS);
  if (process.platform === "darwin" && onPath("osascript", env)) {
    // Title and body travel as argv, never inside the AppleScript source, so no quoting can break out.
    cachedNotifier = (title, body) => [
      "osascript",
      [
        "-e",
        "on run argv",
        "-e",
        "display notification (item 2 of argv) with title (item 1 of argv)",
        "-e",
        "end run",
        title,
        body,
      ],
    ];
  } else if (process.platform !== "win32" && hasSession && onPath("notify-send", env)) {
    cachedNotifier = (title, body) => ["notify-send", ["--app-name=policylayer", "--", title, body]];
  }
  return cachedNotifier;
}

/** Shows a desktop notification where a notifier exists; never blocks, never throws. */
export function notifyDesktop(title: string, body: string): void {
  const notifier = desktopNotifier();
  if (notifier === null) return;
  const shortBody = body.length > MAX_BODY_CHARS ? `${body.slice(0, MAX_BODY_CHARS - 1)}…` : body;
  const [command, args] = notifier(title, shortBody);
  try {
    const child = spawn(command, args, { detached: true, stdio: "ignore" });
    child.on("error", () => {});
    child.unref();
  } catch {
    // A notification is a courtesy; the stderr line and the inbox carry the request.
  }
}

/** Arguments as compact JSON, cut to `maxChars` with an ellipsis. */
export function compactArguments(argumentsJson: string, maxChars: number): string {
  return argumentsJson.length > maxChars ? `${argumentsJson.slice(0, maxChars - 1)}…` : argumentsJson;
}

/** One line telling a person what waits and how to answer it, for stderr and notifications. */
export function describeForPerson(entry: PendingRecord): string {
  const seconds = Math.max(0, Math.round((entry.expiresAt - entry.createdAt) / 1000));
  return (
    `approval ${entry.id}: ${entry.server} wants ${entry.tool} ${compactArguments(entry.argumentsJson, 120)} ` +
    `(${entry.classification.category}, ${entry.classification.risk} risk): ${entry.reason}. ` +
    `Answer within ${seconds} s: policylayer approve ${entry.id} | policylayer deny ${entry.id} [--reason TEXT] | policylayer approvals --web`
  );
}
