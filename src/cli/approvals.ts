import { spawn } from "node:child_process";
import { errorMessage } from "../approval/files.js";
import {
  type DecideResult,
  decide,
  listPending,
  localUserName,
  type PendingApproval,
} from "../approval/inbox-answer.js";
import { compactArguments } from "../approval/notify.js";
import { startApprovalServer } from "../approval/web.js";
import { stateDir } from "../state/paths.js";

/** Arguments longer than this are cut in the list; `--json` and the web page show more. */
const LISTED_ARGUMENT_CHARS = 100;

/** "42 s", "3 min 05 s", "1 h 02 min". */
function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${String(seconds % 60).padStart(2, "0")} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
}

/** One waiting call as a block of three lines. */
function describePending(entry: PendingApproval): string {
  return [
    `${entry.id}  ${entry.server} › ${entry.tool}  (${entry.classification.category}, ${entry.classification.risk} risk)  waiting ${formatDuration(entry.ageMs)}, ${formatDuration(entry.timeLeftMs)} left`,
    `  arguments: ${compactArguments(entry.argumentsJson, LISTED_ARGUMENT_CHARS)}`,
    `  why: ${entry.reason}${entry.rule ? ` (${entry.rule})` : ""}`,
  ].join("\n");
}

/** `policylayer approvals [--json]` lists the waiting calls; with `--web` it serves the approval page. */
export async function approvalsCommand(flags: {
  web?: boolean;
  port?: number;
  open: boolean;
  json?: boolean;
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
    process.stdout.write(`${JSON.stringify(pending, null, 2)}\n`);
  } else if (pending.length === 0) {
    process.stdout.write("no calls are waiting for approval\n");
  } else {
    process.stdout.write(`${pending.map(describePending).join("\n\n")}\n\n`);
    process.stdout.write("answer with: policylayer approve ID | policylayer deny ID [--reason TEXT]\n");
  }
  return 0;
}

/** Why an answer had no effect, and what to do instead. */
function refusal(id: string, result: Exclude<DecideResult, "decided">): string {
  switch (result) {
    case "unknown":
      return `no call is waiting for approval with id ${JSON.stringify(id)} (it may have been answered elsewhere, cancelled, or its wrap process ended); run \`policylayer approvals\` to list the waiting calls`;
    case "already-decided":
      return `${id} has already been decided; each call is decided once`;
    case "expired":
      return `${id} expired: its approval timeout passed and the call was denied; the agent can retry the call`;
  }
}

/** Writes one answer to the inbox and reports it; exit 0 when it was recorded. */
function answer(id: string, approved: boolean, reason: string | undefined): number {
  let result: DecideResult;
  try {
    result = decide(stateDir(), id, {
      approved,
      decidedBy: `cli:${localUserName()}`,
      ...(reason ? { reason } : {}),
    });
  } catch (error) {
    process.stderr.write(`policylayer: ${errorMessage(error)}\n`);
    return 1;
  }
  if (result !== "decided") {
    process.stderr.write(`policylayer: ${refusal(id, result)}\n`);
    return 1;
  }
  process.stdout.write(`${approved ? "approved" : "denied"} ${id.trim().toLowerCase()}\n`);
  return 0;
}

/** `policylayer approve ID`. */
export async function approveCommand(id: string): Promise<number> {
  return answer(id, true, undefined);
}

/** `policylayer deny ID [--reason TEXT]`. */
export async function denyCommand(id: string, flags: { reason?: string }): Promise<number> {
  return answer(id, false, flags.reason);
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
    server = await startApprovalServer(port === undefined ? {} : { port });
  } catch (error) {
    process.stderr.write(`policylayer: ${errorMessage(error)}\n`);
    return 1;
  }
  process.stdout.write(`${server.url}\n`);
  process.stderr.write(
    "policylayer: approval page on 127.0.0.1 only; keep the address private, it carries your token. Stop with Ctrl-C.\n",
  );
  if (open) openInBrowser(server.url);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await server.close();
  return 0;
}
