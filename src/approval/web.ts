import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { hostname } from "node:os";
import { join } from "node:path";
import { stateDir } from "../state/paths.js";
import { isJsonObject } from "../wire/jsonrpc.js";
import { errorCode, errorMessage, readJsonFile, writeNewFile } from "./files.js";
import {
  type DecideResult,
  decide,
  listPending,
  localUserName,
  recentDecisions,
  writerGone,
} from "./inbox-answer.js";
import { prepareInbox } from "./inbox-folder.js";
import { APPROVAL_PAGE_CSP, APPROVAL_PAGE_HTML } from "./web-page.js";

/** The header API requests carry the token in. */
const TOKEN_HEADER = "x-policylayer-token";
/** Largest decision request body accepted: an id, a boolean and a reason. */
const MAX_BODY_BYTES = 16 * 1024;
const RECENT_SHOWN = 20;
const TOKEN_PATTERN = /^[0-9a-f]{64}$/;

/** A running approval page. */
export interface ApprovalServer {
  /** The page's address, token included: `http://127.0.0.1:PORT/?token=…`. */
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

export interface ApprovalServerOptions {
  /** The state directory (default: stateDir()). */
  dir?: string;
  /** Default: any free port. */
  port?: number;
  /** Who the page's answers are recorded as (default: `web:<os user name>`). */
  decidedBy?: string;
}

/** The per-user secret of the approval page: 32 random bytes as hex in `approvals/web-token` (0600), made on first use. */
export function approvalToken(dir: string = stateDir()): string {
  const paths = prepareInbox(dir);
  const file = join(paths.root, "web-token");
  if (!existsSync(file)) writeNewFile(file, `${randomBytes(32).toString("hex")}\n`, paths.tmp);
  const token = readFileSync(file, "utf8").trim();
  if (!TOKEN_PATTERN.test(token)) {
    throw new Error(`approval page: ${file} does not hold a valid token; delete it and a new one is made`);
  }
  return token;
}

/** Where a running page announces itself, so wraps can tell people where to answer. */
function presencePath(dir: string): string {
  return join(dir, "approvals", "web.json");
}

/** The approval page a `policylayer approvals --web` of this user serves, or null when none runs (address without the token). */
export function runningApprovalPage(dir: string = stateDir()): { address: string; pid: number } | null {
  const value = readJsonFile(presencePath(dir));
  if (!isJsonObject(value)) return null;
  const { pid, host, port } = value;
  if (typeof pid !== "number" || typeof host !== "string" || typeof port !== "number") return null;
  if (host !== hostname() || writerGone({ host, pid })) return null;
  return { address: `http://127.0.0.1:${port}/`, pid };
}

/** Compares a presented token with the real one in constant time (hashes first, so lengths match). */
function tokenMatches(presented: string | null, token: string): boolean {
  if (presented === null) return false;
  const digest = (text: string) => createHash("sha256").update(text, "utf8").digest();
  return timingSafeEqual(digest(presented), digest(token));
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
 * Serves the approval page on 127.0.0.1: every request needs the per-user token (in the page's
 * `?token=` or the X-Policylayer-Token header) and a loopback Host header, against DNS rebinding.
 * It reads the shared inbox folder, so it outlives any one wrap process.
 */
export async function startApprovalServer(options: ApprovalServerOptions = {}): Promise<ApprovalServer> {
  const dir = options.dir ?? stateDir();
  const wanted = options.port;
  if (wanted !== undefined && (!Number.isSafeInteger(wanted) || wanted < 1 || wanted > 65535)) {
    throw new Error(`approval page: --port must be a whole number from 1 to 65535, got ${wanted}`);
  }
  const token = approvalToken(dir);
  const decidedBy = options.decidedBy ?? `web:${localUserName()}`;
  let allowedHosts = new Set<string>();

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const host = (request.headers.host ?? "").toLowerCase();
    if (!allowedHosts.has(host)) {
      sendJson(response, 421, { message: `this page answers only to ${[...allowedHosts].join(" and ")}` });
      return;
    }
    const url = new URL(request.url ?? "/", `http://${host}`);
    const isPage = url.pathname === "/";
    const header = request.headers[TOKEN_HEADER];
    const presented = typeof header === "string" ? header : isPage ? url.searchParams.get("token") : null;
    if (!tokenMatches(presented, token)) {
      sendJson(response, 403, {
        message: "missing or wrong token: open the address `policylayer approvals --web` prints",
      });
      return;
    }
    const route = `${request.method ?? ""} ${url.pathname}`;
    if (route === "GET /") {
      send(response, 200, "text/html; charset=utf-8", APPROVAL_PAGE_HTML);
    } else if (route === "GET /api/state") {
      const now = Date.now();
      sendJson(response, 200, {
        now,
        pending: listPending(dir, now),
        recent: recentDecisions(dir, RECENT_SHOWN),
      });
    } else if (route === "POST /api/decisions") {
      const origin = request.headers.origin;
      if (origin !== undefined && !allowedHosts.has(origin.toLowerCase().replace(/^http:\/\//, ""))) {
        sendJson(response, 403, { message: `requests from ${origin} are refused` });
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
  const port = address.port;
  allowedHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  const presence = presencePath(dir);
  const presenceTmp = join(dir, "approvals", "tmp", `web.${process.pid}.json`);
  writeFileSync(presenceTmp, JSON.stringify({ pid: process.pid, host: hostname(), port }), { mode: 0o600 });
  renameSync(presenceTmp, presence);
  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
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
