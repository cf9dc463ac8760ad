import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { type Browser, chromium } from "playwright-core";
import { afterEach, vi } from "vitest";
import type { InboxDecision, PendingApprovalInput } from "../../src/approval/inbox-wait.js";
import { isJsonObject } from "../../src/wire/jsonrpc.js";
import { policylayerBin } from "../helpers/paths.js";
import { tempDir } from "../helpers/tmp.js";

const submitterScript = fileURLToPath(new URL("./submitter.mjs", import.meta.url));

/** A fresh state directory for each test, set as $POLICYLAYER_STATE_DIR. */
export function useStateDir(): () => string {
  let current: { path: string; cleanup: () => void } | null = null;
  afterEach(() => {
    vi.unstubAllEnvs();
    current?.cleanup();
    current = null;
  });
  return () => {
    if (current === null) {
      current = tempDir("policylayer-inbox-");
      vi.stubEnv("POLICYLAYER_STATE_DIR", current.path);
    }
    return current.path;
  };
}

/** A call waiting for approval, with fields a test may change. */
export function pendingInput(overrides: Partial<PendingApprovalInput> = {}): PendingApprovalInput {
  return {
    session: "session-1",
    server: "recording",
    tool: "delete_stack",
    arguments: { stack: "prod", force: true },
    classification: { category: "destructive", risk: "critical" },
    reason: "Deleting a stack destroys infrastructure",
    rule: 'rule 1 (tool "delete_stack")',
    timeoutSeconds: 120,
    ...overrides,
  };
}

/** Another process (a second "wrap") that submitted one call to the inbox of `dir`. */
export interface ChildSubmitter {
  id: string;
  pid: number;
  decision: Promise<InboxDecision>;
  child: ChildProcess;
}

/** Starts test/approval/submitter.mjs (built code), as user `as.uid` when given, and waits until its call is in the inbox. */
export async function spawnSubmitter(
  dir: string,
  input: PendingApprovalInput,
  as: { uid?: number } = {},
): Promise<ChildSubmitter> {
  const child = spawn(process.execPath, [submitterScript, JSON.stringify(input)], {
    env: { ...process.env, POLICYLAYER_STATE_DIR: dir },
    ...(as.uid === undefined ? {} : { uid: as.uid, gid: as.uid }),
    stdio: ["ignore", "pipe", "inherit"],
  });
  if (child.stdout === null) throw new Error("spawn gave the submitter no stdout pipe");
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const first = await lines.next();
  if (first.done)
    throw new Error("submitter.mjs exited before submitting (is dist/ built? run npm run build)");
  const submitted: unknown = JSON.parse(first.value);
  if (!isJsonObject(submitted) || typeof submitted.id !== "string" || typeof submitted.pid !== "number") {
    throw new Error(`submitter.mjs printed ${first.value}, expected {"id", "pid"}`);
  }
  const decision = lines.next().then((line): InboxDecision => {
    if (line.done) throw new Error("submitter.mjs exited without a decision");
    const value: unknown = JSON.parse(line.value);
    if (
      !isJsonObject(value) ||
      typeof value.approved !== "boolean" ||
      typeof value.decidedBy !== "string" ||
      typeof value.reason !== "string" ||
      (value.note !== null && typeof value.note !== "string") ||
      typeof value.decidedAt !== "number"
    ) {
      throw new Error(`submitter.mjs printed ${line.value}, expected a decision`);
    }
    return {
      approved: value.approved,
      decidedBy: value.decidedBy,
      reason: value.reason,
      note: value.note,
      decidedAt: value.decidedAt,
    };
  });
  return { id: submitted.id, pid: submitted.pid, decision, child };
}

const run = promisify(execFile);

/** Runs the built CLI with $POLICYLAYER_STATE_DIR set to `dir`; never throws on a non-zero exit. */
export async function runPolicylayer(
  dir: string,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [policylayerBin, ...args], {
      env: { ...process.env, POLICYLAYER_STATE_DIR: dir },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = isJsonObject(error) ? error : {};
    return {
      code: typeof failed.code === "number" ? failed.code : -1,
      stdout: typeof failed.stdout === "string" ? failed.stdout : "",
      stderr: typeof failed.stderr === "string" ? failed.stderr : "",
    };
  }
}

/** Debian's Chromium, headless, quiet (no network of its own, no first-run work). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}
