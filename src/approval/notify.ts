import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import { argumentView, isolatedField } from "../display/arguments.js";
import { asSentence } from "../display/sentence.js";
import { markOf, visibleField, visibleToolName } from "../display/visible.js";
import type { PendingRecord } from "./records.js";
import { argumentsInline, pendingView } from "./view.js";

/** Longest value of one argument in the one-line stderr notice. */
const NOTICE_VALUE_CHARS = 60;
/** Longest name or reason in a notice before it is shortened with a marker. */
const NOTICE_FIELD_CHARS = 300;
/** Values are not shown in a desktop notification; only their keys are counted. */
const NOTIFICATION_VALUE_CHARS = 1;

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

/** Shows a desktop notification where a notifier exists (title and body already safe to show); never blocks, never throws. */
export function notifyDesktop(title: string, body: string): void {
  const notifier = desktopNotifier();
  if (notifier === null) return;
  const [command, args] = notifier(title, body);
  try {
    const child = spawn(command, args, { detached: true, stdio: "ignore" });
    child.on("error", () => {});
    child.unref();
  } catch {
    // A notification is a courtesy; the stderr line and the inbox carry the request.
  }
}

/** One line telling a person what waits and how to answer it, for stderr. */
export function describeForPerson(entry: PendingRecord): string {
  const seconds = Math.max(0, Math.round((entry.expiresAt - entry.createdAt) / 1000));
  return (
    `approval ${visibleField(entry.id)}: ${visibleField(entry.server, NOTICE_FIELD_CHARS)} wants ` +
    `${visibleToolName(entry.tool, NOTICE_FIELD_CHARS)} ${argumentsInline(pendingView(entry, NOTICE_VALUE_CHARS))} ` +
    `(${visibleField(entry.classification.category)}, ${visibleField(entry.classification.risk)} risk): ` +
    `${asSentence(visibleField(entry.reason, NOTICE_FIELD_CHARS))} ` +
    `Answer within ${seconds} s: policylayer approve ${entry.id} | policylayer deny ${entry.id} [--reason TEXT] | policylayer approvals --web`
  );
}

/**
 * Text for a desktop notification with `<`, `>` and `&` shown as marks: most notification daemons
 * read a body (and some a title) as markup, where `<span size='1'>` would hide what follows it.
 * Marks read the same on a daemon that reads markup and on one that does not.
 */
function markupSafe(text: string): string {
  return text.replace(/[<>&]/g, markOf);
}

/** A desktop notification's title and body: a short heads-up, every field visible, cuts marked. */
export function notificationFor(entry: PendingRecord): { title: string; body: string } {
  const { title, body } = notificationText(entry);
  return { title: markupSafe(title), body: markupSafe(body) };
}

function notificationText(entry: PendingRecord): { title: string; body: string } {
  // No argument text: notify-send takes it on its command line, which every local user can read.
  const count = argumentView(entry.argumentsJson, NOTIFICATION_VALUE_CHARS).entries.length;
  const what =
    count === 0
      ? "no arguments"
      : `${count} argument${count === 1 ? "" : "s"} (policylayer approvals shows them)`;
  return {
    title: `policylayer: approve ${visibleToolName(entry.tool, 60)}?`,
    body:
      `${isolatedField(visibleField(entry.server, 80))} wants ${visibleToolName(entry.tool, 80)} ` +
      `(${isolatedField(visibleField(entry.classification.category))}, ${isolatedField(visibleField(entry.classification.risk))} risk)` +
      ` with ${what}. policylayer approve ${entry.id} | deny ${entry.id}`,
  };
}
