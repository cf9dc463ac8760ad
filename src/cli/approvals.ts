import { spawn } from "node:child_process";
import { errorMessage } from "../approval/files.js";
import {
  type DecideResult,
  decide,
  listPending,
  localUserName,
  type PendingApproval,
} from "../approval/inbox-answer.js";
import { normalizeApprovalId } from "../approval/records.js";
import {
  argumentLines,
  argumentsInline,
  LISTED_VALUE_CHARS,
  type PendingView,
  pendingView,
} from "../approval/view.js";
import { startApprovalServer } from "../approval/web.js";
import { OPENED_ADDRESS_MS, PRINTED_ADDRESS_MS } from "../approval/web-session.js";
import { hasRightToLeft, terminalLine, terminalSafeJson, visibleField } from "../display/visible.js";
import { stateDir } from "../state/paths.js";
import { confirmOnTerminal } from "./confirm.js";

/** "42 s", "3 min 05 s", "1 h 02 min". */
function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${String(seconds % 60).padStart(2, "0")} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
}

/** Arguments that fit in this many characters stay on the `arguments:` line; longer ones get a line per key. */
const INLINE_ARGUMENT_CHARS = 100;

/** A waiting call's arguments: on one line when short, else one key per line; every key either way. */
function argumentsBlock(view: PendingView): string[] {
  const inline = argumentsInline(view);
  if (inline.length <= INLINE_ARGUMENT_CHARS) return [`  arguments: ${inline}`];
  return ["  arguments:", ...argumentLines(view).map((line) => `    ${line}`)];
}

/**
 * One waiting call as a block of lines for a terminal: what, its arguments (every key), and why;
 * right-to-left text as marks (terminalLine), since a bidi terminal would reorder it and its neighbours.
 */
function describePending(entry: PendingApproval, view: PendingView): string {
  const lines = [
    `${view.id}  ${view.server} › ${view.tool}  (${view.category}, ${view.risk} risk)  waiting ${formatDuration(entry.ageMs)}, ${formatDuration(entry.timeLeftMs)} left`,
    ...argumentsBlock(view),
    // "— rule 3 (tool ...)", not "(rule 3 (tool ...))": the rule's own words carry parentheses.
    `  why: ${view.reason}${view.rule ? ` — ${view.rule}` : ""}`,
  ];
  return lines.map(terminalLine).join("\n");
}

/** Whether a waiting call's view holds right-to-left text, which the terminal shows as marks. */
function viewHasRightToLeft(view: PendingView): boolean {
  return (
    [view.id, view.server, view.tool, view.category, view.risk, view.reason, view.rule ?? ""].some(
      hasRightToLeft,
    ) || view.arguments.some((entry) => hasRightToLeft(entry.key) || hasRightToLeft(entry.value))
  );
}

/** Said under a list or a question that shows right-to-left text as marks. */
const RIGHT_TO_LEFT_NOTE =
  "right-to-left letters are shown as marks (⟨U+05D0⟩) on a terminal, which could reorder them and the text beside them: policylayer approvals --web shows them as written, --json as \\u escapes\n";

/** The waiting calls for a person: every argument key, long tool names, keys and values shortened (whole with `full`) with a marker. */
function describeAllPending(pending: PendingApproval[], full: boolean): string {
  const views = pending.map((entry) => pendingView(entry, full ? null : LISTED_VALUE_CHARS));
  let text = `${pending.map((entry, index) => describePending(entry, views[index] as PendingView)).join("\n\n")}\n\n`;
  if (views.some((view) => view.shortened)) {
    text +=
      "tool names, keys and values ending in …⟨N more characters⟩ are shortened: policylayer approvals --full shows them whole (--json for scripts)\n";
  }
  if (views.some(viewHasRightToLeft)) text += RIGHT_TO_LEFT_NOTE;
  return `${text}answer with: policylayer approve ID | policylayer deny ID [--reason TEXT]\n`;
}

/** `policylayer approvals [--full | --json]` lists the waiting calls; with `--web` it serves the approval page. */
export async function approvalsCommand(flags: {
  web?: boolean;
  port?: number;
  open: boolean;
  json?: boolean;
  full?: boolean;
}): Promise<number> {
  if (flags.web) return serveWeb(flags.port, flags.open);
  let pending: PendingApproval[];
  try {
    pending = listPending(stateDir());
  } catch (error) {
    process.stderr.write(`policylayer: ${errorMessage(error)}\n`);
    return 1;
  }
  if (flags.json) {
    // The same values, with hidden characters as \\u escapes so the terminal shows them.
    process.stdout.write(`${terminalSafeJson(JSON.stringify(pending, null, 2))}\n`);
  } else if (pending.length === 0) {
    process.stdout.write("no calls are waiting for approval\n");
  } else {
    process.stdout.write(describeAllPending(pending, flags.full === true));
  }
  return 0;
}

/**
 * Why an answer had no effect, and what to do instead. The id as typed may have been copied from
 * the agent's words: it is echoed as stored, or quoted with its hidden characters as marks.
 */
function refusal(idText: string, result: Exclude<DecideResult, "decided">): string {
  const id = normalizeApprovalId(idText) ?? idText;
  switch (result) {
    case "unknown":
      return `no call is waiting for approval with id ${visibleField(JSON.stringify(id), 200)} (it may have been answered elsewhere, cancelled, or its wrap process ended); run \`policylayer approvals\` to list the waiting calls`;
    case "already-decided":
      return `${visibleField(id, 200)} has already been decided; each call is decided once`;
    case "not-shown":
      return `${visibleField(id, 200)} waits for approval, but its call could not be read to show it to you here, so nothing was answered (unanswered, it is denied when its approval time runs out)`;
    case "expired":
      return `${visibleField(id, 200)} expired: its approval timeout passed and the call was denied; the agent can retry the call`;
  }
}

/** The waiting call an ID names, or null (unknown, answered, expired: decide says which). */
function waitingCall(idText: string): PendingApproval | null {
  const id = normalizeApprovalId(idText);
  if (id === null) return null;
  try {
    return listPending(stateDir()).find((entry) => entry.id === id) ?? null;
  } catch {
    return null;
  }
}

/**
 * Writes one answer to the inbox and reports it; exit 0 when it was recorded. Without a terminal
 * it takes `--yes`: a program (an agent with a shell tool) should not answer by accident. On a
 * terminal without `--yes`, the call is shown and the person confirms it: an ID can come from the
 * agent itself ("run policylayer approve …"), and may name another call than the one it describes.
 */
async function answer(
  id: string,
  approved: boolean,
  flags: { reason?: string; yes?: boolean },
): Promise<number> {
  const command = approved ? "approve" : "deny";
  if (!process.stdin.isTTY && flags.yes !== true) {
    process.stderr.write(
      `policylayer: ${command} was run without a terminal, so it may be a program rather than you; nothing was answered. Run it in a terminal, or add --yes: policylayer ${command} ${id} --yes\n`,
    );
    return 1;
  }
  const waiting = waitingCall(id);
  const view = waiting === null ? null : pendingView(waiting, LISTED_VALUE_CHARS);
  if (waiting !== null && view !== null && flags.yes !== true) {
    const note = viewHasRightToLeft(view) ? `\n${RIGHT_TO_LEFT_NOTE}` : "\n";
    const question = `${describePending(waiting, view)}\n${note}${command} this call? [y/N] `;
    if (!(await confirmOnTerminal(question))) {
      process.stderr.write("policylayer: nothing was answered\n");
      return 1;
    }
  }
  const reason = flags.reason;
  // On a terminal without --yes, only a call the person was just shown is answered.
  const unseen = flags.yes !== true && view === null;
  let result: DecideResult;
  try {
    result = decide(stateDir(), id, {
      approved,
      decidedBy: `cli:${localUserName()}`,
      ...(reason ? { reason } : {}),
      ...(unseen ? { unseen } : {}),
    });
  } catch (error) {
    process.stderr.write(`policylayer: ${errorMessage(error)}\n`);
    return 1;
  }
  if (result !== "decided") {
    process.stderr.write(`policylayer: ${terminalLine(refusal(id, result))}\n`);
    return 1;
  }
  const what = view === null ? "" : terminalLine(`  ${view.server} › ${view.tool}`);
  process.stdout.write(`${approved ? "approved" : "denied"} ${normalizeApprovalId(id) ?? ""}${what}\n`);
  return 0;
}

/** `policylayer approve ID [--yes]`. */
export async function approveCommand(id: string, flags: { yes?: boolean }): Promise<number> {
  return answer(id, true, flags);
}

/** `policylayer deny ID [--reason TEXT] [--yes]`. */
export async function denyCommand(id: string, flags: { reason?: string; yes?: boolean }): Promise<number> {
  return answer(id, false, flags);
}

/** Opens a URL in the desktop's browser; failures are ignored (the address is printed anyway). */
function openInBrowser(url: string): void {
  const [command, args]: [string, string[]] =
    process.platform === "darwin"
      ? ["open", [url]]
      : process.platform === "win32"
        ? ["cmd", ["/c", "start", "", url]]
        : ["xdg-open", [url]];
  try {
    const child = spawn(command, args, { detached: true, stdio: "ignore" });
    child.on("error", () => {});
    child.unref();
  } catch {
    // No browser opener: the printed address is enough.
  }
}

/** Serves the approval page until SIGINT or SIGTERM. */
async function serveWeb(port: number | undefined, open: boolean): Promise<number> {
  let server: Awaited<ReturnType<typeof startApprovalServer>>;
  try {
    const warn = (message: string) => process.stderr.write(`policylayer: ${message}\n`);
    server = await startApprovalServer(port === undefined ? { warn } : { port, warn });
  } catch (error) {
    process.stderr.write(`policylayer: ${errorMessage(error)}\n`);
    return 1;
  }
  process.stdout.write(`${server.pageAddress(PRINTED_ADDRESS_MS)}\n`);
  if (server.tokenReplaced !== null) process.stderr.write(`policylayer: ${server.tokenReplaced}\n`);
  process.stderr.write(
    `policylayer: approval page on 127.0.0.1 only; the address works once, within ${PRINTED_ADDRESS_MS / 60_000} minutes, in one browser. Stop with Ctrl-C.\n`,
  );
  // The browser gets an address of its own: its command line is visible to every local user, so it
  // carries a nonce that works once, for a minute, never the token.
  if (open) openInBrowser(server.pageAddress(OPENED_ADDRESS_MS));
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await server.close();
  return 0;
}
