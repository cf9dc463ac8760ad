import { setFlagsFromString } from "node:v8";
import { type ApprovalChannel, createApprovalCoordinator } from "../approval/approver.js";
import { elicitationChannel } from "../approval/elicitation.js";
import { inboxChannel } from "../approval/inbox-channel.js";
import { ApprovalInbox } from "../approval/inbox-wait.js";
import { visibleField, visibleToolName } from "../display/visible.js";
import type { CompiledPolicy } from "../policy/types.js";
import { Gate } from "../proxy/gate.js";
import { ProxySession } from "../proxy/session.js";
import { Limiter, type SharedStoreHandle, sameSharedStore } from "../ratelimit/limiter.js";
import { openSharedStore } from "../ratelimit/open-store.js";
import {
  describeExit,
  endGroup,
  exitCodeOf,
  outputReadWithin,
  stopServer,
} from "../upstream/server-process.js";
import { type ReloadOptions, startReloading } from "./reload.js";
import { STOP_SIGNALS, type StartedWrap } from "./start.js";

export interface WrapOptions extends ReloadOptions {
  policy: CompiledPolicy;
  maxLineBytes: number;
  /** How long each shutdown step waits before the next, harsher one. */
  graceMs: number;
  /** How long a call of a tool not yet listed waits while the server's tools/list is read. */
  listTimeoutMs: number;
  /** Whether calls may wait in the local approval inbox when the client cannot ask. */
  approvalInbox: boolean;
  /** Whether the inputs are read ahead of the event loop's sleep between messages (see ReadSpin). */
  busyPoll: boolean;
  /** The shared limit store opened at start, or null when the policy had no server or global limits. */
  sharedStore: SharedStoreHandle | null;
}

/** Calls of one session that may wait for a person at once; more are denied at once. */
const MAX_PENDING_APPROVALS = 16;
/** How often, while the client's input is paused, wrap looks whether the process that started it is gone. */
const PARENT_CHECK_MS = 500;

/**
 * While the client's input is paused (the server reads nothing, so what the client sent waits),
 * its end cannot be read: a client that is gone then shows only in our being handed to another
 * parent. Calls `gone` once when that happens; returns what stops the watch. Not on the message
 * path: a timer twice a second, one getppid each. A parent of 1 at start (started by a process that
 * had already left) tells nothing, so nothing is watched then.
 */
function watchParentWhilePaused(input: NodeJS.ReadStream, gone: () => void): () => void {
  const parentAtStart = process.ppid;
  if (parentAtStart <= 1) return () => {};
  const timer = setInterval(() => {
    if (!input.isPaused() || process.ppid === parentAtStart) return;
    clearInterval(timer);
    gone();
  }, PARENT_CHECK_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * Runs one wrap session on a started server: relays until either side goes away, then shuts down
 * in order. Resolves with the exit code policylayer should exit with. Loaded only once the server
 * is starting, so that this module's imports overlap the server's own start.
 */
export async function runWrap(started: StartedWrap, options: WrapOptions): Promise<number> {
  const { warn } = options;
  const { server, audit, sessionId, serverLabel } = started;

  // Opened on the first call that needs it: most sessions never ask, and start-up stays lean.
  let inbox: ApprovalInbox | null = null;
  let inboxUnusable = !options.approvalInbox;
  const openInbox = (): ApprovalInbox | null => {
    if (inbox || inboxUnusable) return inbox;
    try {
      inbox = ApprovalInbox.open();
    } catch (error) {
      inboxUnusable = true;
      warn(`the approval inbox cannot be used: ${(error as Error).message}`);
    }
    return inbox;
  };
  const closeInbox = () => inbox?.close();
  const approvals = createApprovalCoordinator({
    channels: (request) => {
      const channels: ApprovalChannel[] = [];
      // A 2026-07-28 request that declares elicitation is asked in the client by the gate itself;
      // one that does not waits in the inbox. Only the 2025 era takes requests from us mid-call.
      if (request.era === "legacy" && session.clientCanElicit) {
        const requester = { request: session.requestClient.bind(session) };
        channels.push(elicitationChannel(requester, serverLabel));
      }
      const opened = openInbox();
      if (opened)
        channels.push(inboxChannel(() => opened, { session: sessionId, server: serverLabel }, warn));
      return channels;
    },
    maxPending: MAX_PENDING_APPROVALS,
    sendProgress: (progressToken, progress, message) =>
      session.notifyClient("notifications/progress", { progressToken, progress, message }),
    progressIntervalMs: 1000,
    // The inbox channel announces itself, with the id a person answers to.
    announce: (request, channel) => {
      if (channel === "inbox") return;
      warn(
        `${visibleToolName(request.call.name, 200)} is waiting for approval (${channel}, up to ${request.timeoutSeconds} s): ${visibleField(request.decision.reason, 300)}`,
      );
    },
  });
  let openedAtStart = options.sharedStore;
  const limiter = new Limiter({
    serverLabel,
    // The store opened at start while the policy asks for that one (a reload before the first
    // shared-scope call may have changed `state:`); else it is closed and the one asked for opened.
    sharedStore: (policy) => {
      const handle = openedAtStart;
      openedAtStart = null;
      if (handle !== null && sameSharedStore(policy.state, options.policy.state)) return handle;
      void handle?.store?.close();
      try {
        return openSharedStore(policy, warn);
      } catch (error) {
        return { store: null, unavailableBecause: (error as Error).message };
      }
    },
  });
  const gate = new Gate({
    policy: options.policy,
    audit,
    sessionId,
    serverLabel,
    approver: approvals.approver,
    limiter,
    warn,
  });
  const session = new ProxySession({
    clientInput: process.stdin,
    clientOutput: process.stdout,
    serverInput: server.stdin,
    serverOutput: server.stdout,
    gate,
    maxLineBytes: options.maxLineBytes,
    definitionTimeoutMs: options.listTimeoutMs,
    busyPoll: options.busyPoll,
    warn,
  });

  // Hiding changed: the client's copy of tools/list is stale, so it is told to fetch it again.
  const stopWatching = startReloading(options, gate, () => session.toolsListChanged());

  let shuttingDown = false;
  /** The server closed its output or its input before we began to stop it: its exit is news. */
  let serverWentFirst = false;
  /** Ends the server once, however many reasons to stop arrive. */
  const shutDown = (firstSignal: NodeJS.Signals | null): void => {
    if (shuttingDown) return;
    shuttingDown = true;
    // From here a call decided late is answered with an error, never written to a closing input.
    session.closeServerInput();
    void stopServer(server, options.graceMs, firstSignal);
  };

  // A one-shot client (`printf ... | policylayer wrap`) closes its input right after its calls: those
  // still being decided are, then the server's input closes, so it answers what it got and exits.
  // Nobody is left to answer a person's question: those calls are denied at once.
  const clientInputEnded = () => {
    approvals.withdrawAll("the client closed its input before a person answered");
    void session.clientInputEnded().then(() => shutDown(null));
  };
  process.stdin.on("end", clientInputEnded);
  process.stdin.on("error", clientInputEnded);
  // A server that closed its output cannot answer, though it may still run: it is ended.
  const serverWentAway = () => {
    if (!shuttingDown) serverWentFirst = true;
    shutDown(null);
  };
  server.stdout.once("end", serverWentAway);
  // One that closed its input (EPIPE) reads nothing more, so what was sent it is never answered: it
  // is ended too, and its exit answers what is pending. The handler also keeps EPIPE from crashing us.
  server.stdin.on("error", (error) => {
    warn(`writing to the server failed: ${error.message}; stopping the server`);
    serverWentAway();
  });
  // The client is gone (its output failed, or its process ended while its input was paused): nothing more goes to it.
  const clientGone = () => {
    session.clientClosed();
    shutDown(null);
  };
  process.stdout.on("error", clientGone);
  const stopParentWatch = watchParentWhilePaused(process.stdin, () => {
    warn("the client's process ended while the server was not reading its input; stopping the server");
    clientGone();
  });
  const onSignal = (signal: NodeJS.Signals) => {
    warn(`received ${signal}; stopping the server`);
    shutDown(signal);
  };
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  const earlySignal = started.takeEarlySignal();
  if (earlySignal !== null) onSignal(earlySignal);

  // V8 optimizes a function once it has run a budget of bytecode. A session is seldom long, so from
  // here on (the start is done: a smaller budget there only costs compile time) the budget is a
  // sixteenth of V8's default (67584), and the call path runs optimized sooner. Measured "after 300
  // calls" (bench and alternating sessions, 2026-12-01): 4096 took 25 to 95 µs off the p50 that 16384
  // gave, and 1024 gave back most of it; warm and concurrent calls did not change.
  setFlagsFromString("--interrupt-budget=4096");
  session.start();
  const result = await server.exited;
  stopParentWatch();
  const description = describeExit(result);
  // A crash closes the server's output first: its exit is said all the same.
  if (!shuttingDown || serverWentFirst) warn(`the MCP server ${description}`);
  // What it wrote before it exited may still be unread: its answers reach the client rather than
  // errors in their place. The rest of its group is ended meanwhile (one of them may hold its output open).
  const groupEnded = endGroup(server, options.graceMs);
  await outputReadWithin(server, options.graceMs);
  approvals.withdrawAll(`the MCP server ${description}`);
  closeInbox();
  session.serverExited(description);
  stopWatching();
  await groupEnded;
  audit.append({
    time: new Date().toISOString(),
    event: "session_end",
    session: sessionId,
    server_exit: result,
  });
  audit.close();
  await limiter.close();
  started.release();
  return exitCodeOf(result);
}
