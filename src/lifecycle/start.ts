import { randomUUID } from "node:crypto";
import { AuditLog } from "../audit/log.js";
import type { PolicyHeader } from "../policy/settings.js";
import { defaultAuditPath } from "../state/paths.js";
import { type ServerProcess, startServer } from "../upstream/server-process.js";

/** The reason wrap could not start, with its exit code; the server was not started. */
export class WrapStartError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** What the first phase of wrap leaves for the session: an open audit log and a running server. */
export interface StartedWrap {
  sessionId: string;
  serverLabel: string;
  audit: AuditLog;
  server: ServerProcess;
  /** Stops killing the server's group at our exit (the session ended it in order). */
  release(): void;
  /** Stops keeping the signals that came while wrap was starting; the first of them, or null. */
  takeEarlySignal(): NodeJS.Signals | null;
}

/** The signals that stop wrap, each passed on to the server as the first step of ending it. */
export const STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/**
 * The first phase of wrap, kept lean because it is on the critical path of every start: open the
 * audit log (refusing to start when it cannot be written), then start the server.
 */
export async function startWrap(
  command: string,
  args: readonly string[],
  policy: PolicyHeader,
  auditFlag: string | null,
): Promise<StartedWrap> {
  const sessionId = randomUUID();
  const serverLabel = [command, ...args].join(" ");
  const auditPath = auditFlag ?? policy.audit.path ?? defaultAuditPath();
  let audit: AuditLog;
  try {
    audit = AuditLog.open(auditPath, {
      time: new Date().toISOString(),
      event: "session_start",
      session: sessionId,
      server: serverLabel,
      policy: policy.source,
      mode: policy.mode,
    });
  } catch (error) {
    throw new WrapStartError(`cannot write the audit log ${auditPath}: ${(error as Error).message}`, 1);
  }
  // From before the spawn until the session handles them: a signal would end us by default (no exit
  // event), and a server that does not stop at the end of its input would outlive us. It is kept for the session.
  let earlySignal: NodeJS.Signals | null = null;
  const keepSignal = (signal: NodeJS.Signals) => {
    earlySignal ??= signal;
  };
  const stopKeeping = () => {
    for (const signal of STOP_SIGNALS) process.off(signal, keepSignal);
  };
  for (const signal of STOP_SIGNALS) process.on(signal, keepSignal);
  let server: ServerProcess;
  try {
    server = await startServer(command, args);
  } catch (error) {
    stopKeeping();
    audit.close();
    throw new WrapStartError((error as Error).message, 127);
  }
  // Whatever happens to us (an exception, an exit we did not plan), the server's group does not outlive us.
  const killGroupOnExit = () => {
    if (server.groupAlive()) server.signalGroup("SIGKILL");
  };
  process.on("exit", killGroupOnExit);
  // stderr carries only our warnings: a client that closed its end (EPIPE) ends them, not the session.
  process.stderr.on("error", () => {});
  return {
    sessionId,
    serverLabel,
    audit,
    server,
    release: () => process.off("exit", killGroupOnExit),
    takeEarlySignal: () => {
      stopKeeping();
      return earlySignal;
    },
  };
}
