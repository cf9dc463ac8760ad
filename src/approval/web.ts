import { randomBytes } from "node:crypto";
import { lstatSync, renameSync, rmSync, type Stats, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { hostname } from "node:os";
import { join } from "node:path";
import { stateDir } from "../state/paths.js";
import { isJsonObject } from "../wire/jsonrpc.js";
import { errorCode, errorMessage, readJsonFile } from "./files.js";
import {
  type DecideResult,
  decide,
  listPending,
  localUserName,
  recentDecisions,
  writerGone,
} from "./inbox-answer.js";
import { prepareInbox } from "./inbox-folder.js";
import { peerIsThisUser } from "./peer-user.js";
import { LISTED_VALUE_CHARS, pendingView, recentView } from "./view.js";
import { APPROVAL_PAGE_CSP, APPROVAL_PAGE_HTML } from "./web-page.js";
import { cookieValue, PageSessions, type Redeemed, secretMatches } from "./web-session.js";

/** The header API requests carry the token in. */
const TOKEN_HEADER = "x-policylayer-token";
/** Largest decision request body accepted: an id, a boolean and a reason. */
const MAX_BODY_BYTES = 16 * 1024;
const RECENT_SHOWN = 20;

/** A running approval page. */
export interface ApprovalServer {
  /** A fresh address of the page for one browser: `http://127.0.0.1:PORT/?nonce=…`, usable once within `validMs`. */
  pageAddress(validMs: number): string;
  port: number;
  /** The token that opens the API in the X-Policylayer-Token header (scripts, tests); new at every start. */
  token: string;
  /** Why the token file was replaced at start (see approvalToken), or null. */
  tokenReplaced: string | null;
  close(): Promise<void>;
}

export interface ApprovalServerOptions {
  /** The state directory (default: stateDir()). */
  dir?: string;
  /** Default: any free port. */
  port?: number;
  /** Who the page's answers are recorded as (default: `web:<os user name>`). */
  decidedBy?: string;
  /** The clock of the page's one-time addresses (default: Date.now). */
  now?: () => number;
  /** Tells the person something they must act on (an address opened twice). */
  warn?: (message: string) => void;
}

/** The approval page's token and, when the file on disk could not be trusted as it was, what was done about it. */
export interface ApprovalToken {
  token: string;
  /** Why the token file was replaced with a new one (its mode let others read it), or null. */
  replaced: string | null;
}

/**
 * A new secret for the approval page's API: 32 random bytes as hex, written to `approvals/web-token`
 * (0600) for scripts of yours, replacing the last page's. A file there that others could read
 * (mode wider than 0600) is reported; one that is not a regular file of ours is refused.
 */
export function approvalToken(dir: string = stateDir()): ApprovalToken {
  const paths = prepareInbox(dir);
  const file = join(paths.root, "web-token");
  let replaced: string | null = null;
  const existing = lstatOrNull(file);
  if (existing !== null) {
    if (!existing.isFile()) {
      throw new Error(
        `approval page: ${file} is not a regular file (a link or a folder); remove it and a new token is made`,
      );
    }
    const uid = process.getuid?.();
    if (uid !== undefined && existing.uid !== uid) {
      throw new Error(
        `approval page: ${file} belongs to user id ${existing.uid}, not to you (${uid}); remove it and a new token is made`,
      );
    }
    if ((existing.mode & 0o077) !== 0) {
      const mode = (existing.mode & 0o777).toString(8).padStart(4, "0");
      replaced = `${file} had mode ${mode}, so others could read the token; it was replaced with a new one (mode 0600)`;
    }
  }
  const token = randomBytes(32).toString("hex");
  // Written whole under another name, then renamed over the old one: a reader never sees half a token.
  const tmp = join(paths.tmp, `web-token.${process.pid}.${randomBytes(6).toString("hex")}`);
  writeFileSync(tmp, `${token}\n`, { mode: 0o600, flag: "wx" });
  renameSync(tmp, file);
  return { token, replaced };
}

/** The file's own status (links not followed), or null when it does not exist. */
function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch (error) {
    if (errorCode(error) === "ENOENT") return null;
    throw error;
  }
}

/** Where a running page announces itself, so wraps can tell people where to answer. */
function presencePath(dir: string): string {
  return join(dir, "approvals", "web.json");
}

/** The approval page a `policylayer approvals --web` of this user serves, or null when none runs (address without the token). */
export function runningApprovalPage(dir: string = stateDir()): { address: string; pid: number } | null {
  let value: unknown;
  try {
    value = readJsonFile(presencePath(dir));
  } catch {
    // A presence file that is not ours (or unreadable) points nowhere we should send a person.
    return null;
  }
  if (!isJsonObject(value)) return null;
  const { pid, host, port } = value;
  if (typeof pid !== "number" || typeof host !== "string" || typeof port !== "number") return null;
  if (host !== hostname() || writerGone({ host, pid })) return null;
  return { address: `http://127.0.0.1:${port}/`, pid };
}

function send(response: ServerResponse, status: number, contentType: string, body: string): void {
  response.writeHead(status, {
    "Content-Type": contentType,
    "Content-Length": Buffer.byteLength(body),
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    ...(contentType.startsWith("text/html") ? { "Content-Security-Policy": APPROVAL_PAGE_CSP } : {}),
  });
  response.end(body);
}

function sendJson(response: ServerResponse, status: number, value: unknown): void {
  send(response, status, "application/json; charset=utf-8", JSON.stringify(value));
}

/** Sends the browser on to `/` with its session cookie: the nonce leaves the address bar. */
function sendSessionCookie(response: ServerResponse, cookieName: string, session: string): void {
  response.writeHead(303, {
    Location: "/",
    "Set-Cookie": `${cookieName}=${session}; HttpOnly; SameSite=Strict; Path=/`,
    "Content-Length": 0,
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
  });
  response.end();
}

const NONCE_REFUSALS: Record<Exclude<Redeemed, { session: string }>["refused"], string> = {
  unknown: "this address is not (or no longer) valid: open the address `policylayer approvals --web` prints",
  expired:
    "this address has expired (it is valid for a short while only): stop `policylayer approvals --web` and start it again for a new one",
  "used-twice":
    "this address was opened twice, so someone else may have seen it: the session it opened was ended; stop `policylayer approvals --web` and start it again",
};

/** The request body as text, or null when it is larger than MAX_BODY_BYTES. */
async function readBody(request: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > MAX_BODY_BYTES) return null;
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

const RESULT_MESSAGES: Record<DecideResult, string> = {
  decided: "decided",
  unknown: "this call no longer waits (answered elsewhere, cancelled, or its wrap process ended)",
  "already-decided": "this call was already decided",
  expired: "too late: the approval timed out and the call was denied",
  "not-shown": "this call could not be shown, so it was not answered",
};

/** A decision request's body, checked: `{ id: string, approved: boolean, reason?: string }`. */
function parseDecisionRequest(text: string): { id: string; approved: boolean; reason: string } | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isJsonObject(value) || typeof value.id !== "string" || typeof value.approved !== "boolean")
    return null;
  if (value.reason !== undefined && typeof value.reason !== "string") return null;
  return { id: value.id, approved: value.approved, reason: value.reason ?? "" };
}

/**
 * Serves the approval page on 127.0.0.1: every request needs a loopback Host header (against DNS
 * rebinding) and either the session cookie a one-time address was traded for (the browser) or the
 * token in the X-Policylayer-Token header (scripts). It reads the shared inbox folder, so it
 * outlives any one wrap process.
 */
export async function startApprovalServer(options: ApprovalServerOptions = {}): Promise<ApprovalServer> {
  const dir = options.dir ?? stateDir();
  const wanted = options.port;
  if (wanted !== undefined && (!Number.isSafeInteger(wanted) || wanted < 1 || wanted > 65535)) {
    throw new Error(`approval page: --port must be a whole number from 1 to 65535, got ${wanted}`);
  }
  const { token, replaced: tokenReplaced } = approvalToken(dir);
  const decidedBy = options.decidedBy ?? `web:${localUserName()}`;
  const sessions = new PageSessions(options.now ?? Date.now);
  const warn = options.warn ?? (() => {});
  let allowedHosts = new Set<string>();
  // Cookies are kept per host, not per port: the name keeps two pages on different ports apart.
  let cookieName = "policylayer";
  let port = 0;

  // Per connection: whether the program at its other end runs as this user (told on its first request).
  const ownConnections = new WeakMap<Socket, boolean>();
  const fromThisUser = (socket: Socket): boolean => {
    let own = ownConnections.get(socket);
    if (own === undefined) {
      own = peerIsThisUser(socket, port);
      ownConnections.set(socket, own);
    }
    return own;
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    // Before anything else: another local user learns nothing, and cannot spend a one-time address.
    if (!fromThisUser(request.socket)) {
      sendJson(response, 403, {
        message: `this page answers only to programs of user id ${process.getuid?.()}`,
      });
      return;
    }
    const host = (request.headers.host ?? "").toLowerCase();
    if (!allowedHosts.has(host)) {
      sendJson(response, 421, { message: `this page answers only to ${[...allowedHosts].join(" and ")}` });
      return;
    }
    const url = new URL(request.url ?? "/", `http://${host}`);
    const route = `${request.method ?? ""} ${url.pathname}`;
    const header = request.headers[TOKEN_HEADER];
    const byToken = secretMatches(typeof header === "string" ? header : null, token);
    const bySession = sessions.isSession(cookieValue(request.headers.cookie, cookieName));
    const nonce = url.searchParams.get("nonce");
    if (route === "GET /" && nonce !== null && !bySession) {
      const redeemed = sessions.redeem(nonce);
      if ("session" in redeemed) {
        sendSessionCookie(response, cookieName, redeemed.session);
        return;
      }
      if (redeemed.refused === "used-twice") warn(`approval page: ${NONCE_REFUSALS["used-twice"]}`);
      sendJson(response, 403, { message: NONCE_REFUSALS[redeemed.refused] });
      return;
    }
    if (!byToken && !bySession) {
      sendJson(response, 403, {
        message: "not signed in: open the address `policylayer approvals --web` prints",
      });
      return;
    }
    if (route === "GET /") {
      send(response, 200, "text/html; charset=utf-8", APPROVAL_PAGE_HTML);
    } else if (route === "GET /api/state") {
      const now = Date.now();
      sendJson(response, 200, {
        now,
        pending: listPending(dir, now).map((entry) => {
          const display = pendingView(entry, LISTED_VALUE_CHARS);
          const whole = display.shortened ? pendingView(entry, null) : null;
          return {
            ...entry,
            display,
            wholeTool: whole?.tool ?? null,
            wholeArguments: whole?.arguments ?? null,
          };
        }),
        recent: recentDecisions(dir, RECENT_SHOWN).map((decision) => ({
          ...decision,
          display: recentView(decision),
        })),
      });
    } else if (route === "POST /api/decisions") {
      const origin = request.headers.origin;
      // A browser always sends Origin with a POST: one without it came by cookie from elsewhere.
      const sameOrigin =
        origin === undefined ? byToken : allowedHosts.has(origin.toLowerCase().replace(/^http:\/\//, ""));
      if (!sameOrigin) {
        sendJson(response, 403, { message: `requests from ${origin ?? "no origin"} are refused` });
        return;
      }
      if (!(request.headers["content-type"] ?? "").startsWith("application/json")) {
        sendJson(response, 415, { message: "send the decision as application/json" });
        return;
      }
      const body = await readBody(request);
      const answer = body === null ? null : parseDecisionRequest(body);
      if (answer === null) {
        sendJson(response, 400, {
          message: 'expected {"id": string, "approved": boolean, "reason"?: string}',
        });
        return;
      }
      const result = decide(dir, answer.id, { approved: answer.approved, decidedBy, reason: answer.reason });
      const message =
        result === "decided" ? (answer.approved ? "approved" : "denied") : RESULT_MESSAGES[result];
      sendJson(response, result === "decided" ? 200 : 409, { result, message });
    } else if (url.pathname === "/" || url.pathname === "/api/state" || url.pathname === "/api/decisions") {
      sendJson(response, 405, { message: `${request.method} is not allowed here` });
    } else {
      sendJson(response, 404, { message: "not found" });
    }
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent)
        sendJson(response, 500, { message: `approval page: ${errorMessage(error)}` });
      else response.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error) => {
      if (errorCode(error) === "EADDRINUSE") {
        reject(
          new Error(
            `approval page: port ${options.port} on 127.0.0.1 is in use; choose another with --port, or leave --port out for any free port`,
          ),
        );
      } else {
        reject(new Error(`approval page: cannot listen on 127.0.0.1: ${errorMessage(error)}`));
      }
    });
    server.listen(wanted ?? 0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === "string")
    throw new Error("approval page: the server has no TCP address");
  port = address.port;
  allowedHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  cookieName = `policylayer_${port}`;
  const presence = presencePath(dir);
  // A fresh name, created exclusively: a link planted under a guessable name is never written through.
  const presenceTmp = join(
    dir,
    "approvals",
    "tmp",
    `web.${process.pid}.${randomBytes(6).toString("hex")}.json`,
  );
  writeFileSync(presenceTmp, JSON.stringify({ pid: process.pid, host: hostname(), port }), {
    mode: 0o600,
    flag: "wx",
  });
  renameSync(presenceTmp, presence);
  return {
    pageAddress: (validMs) => `http://127.0.0.1:${port}/?nonce=${sessions.mintNonce(validMs)}`,
    port,
    token,
    tokenReplaced,
    close: () =>
      new Promise<void>((resolve) => {
        // Another page may have started since: remove the announcement only while it is ours.
        const current = readJsonFile(presence);
        if (isJsonObject(current) && current.pid === process.pid && current.port === port)
          rmSync(presence, { force: true });
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
