import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { policylayerBin } from "./paths.js";

/**
 * How long a wait for policylayer's output may take before the test fails, naming what it waited
 * for: just under vitest's 60 s test timeout, so a slow machine (a 20 MB result under load) is not cut short.
 */
const WAIT_MS = 55_000;

/**
 * `policylayer wrap` driven line by line, for what an SDK client would never send:
 * malformed lines, batches, shape tricks. Also the handle for process and shutdown tests.
 */
export class RawSession {
  readonly child: ChildProcessWithoutNullStreams;
  private stdoutBuffer = "";
  private readonly messages: unknown[] = [];
  private readonly messageWaiters: Array<(message: unknown) => void> = [];
  /** Every line policylayer wrote to stdout, as text (for digits JSON.parse would change). */
  readonly lines: string[] = [];
  private readonly lineWaiters: Array<{ pattern: RegExp; resolve: (line: string) => void }> = [];
  stderr = "";
  private readonly stderrWaiters: Array<{ pattern: RegExp; resolve: (text: string) => void }> = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  /** `fileSizeLimitKiB`: wrap runs under that RLIMIT_FSIZE (`ulimit -f`): a write past it is cut short, as on a full disk. */
  constructor(wrapArgs: string[], env: NodeJS.ProcessEnv = {}, fileSizeLimitKiB?: number) {
    const command = [process.execPath, policylayerBin, "wrap", ...wrapArgs];
    const [program, ...args] =
      fileSizeLimitKiB === undefined
        ? command
        : ["bash", "-c", `ulimit -f ${fileSizeLimitKiB} && exec "$0" "$@"`, ...command];
    this.child = spawn(program as string, args, {
      env: { ...process.env, ...env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.child.stdout.on("data", (chunk: Buffer) => {
      this.stdoutBuffer += chunk.toString("utf8");
      let newline = this.stdoutBuffer.indexOf("\n");
      while (newline !== -1) {
        const line = this.stdoutBuffer.slice(0, newline);
        this.stdoutBuffer = this.stdoutBuffer.slice(newline + 1);
        this.lines.push(line);
        for (const waiter of [...this.lineWaiters]) {
          if (!waiter.pattern.test(line)) continue;
          this.lineWaiters.splice(this.lineWaiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
        newline = this.stdoutBuffer.indexOf("\n");
        let message: unknown;
        try {
          message = JSON.parse(line);
        } catch {
          // A line no JSON parser reads (an answer cut off): skipped, as the SDKs' clients do; it stays in lines.
          continue;
        }
        const waiter = this.messageWaiters.shift();
        if (waiter) waiter(message);
        else this.messages.push(message);
      }
    });
    this.child.stderr.on("data", (chunk: Buffer) => {
      this.stderr += chunk.toString("utf8");
      for (const waiter of [...this.stderrWaiters]) {
        const match = this.stderr.match(waiter.pattern);
        if (match) {
          this.stderrWaiters.splice(this.stderrWaiters.indexOf(waiter), 1);
          waiter.resolve(match[0]);
        }
      }
    });
    this.exited = new Promise((resolve) =>
      this.child.once("exit", (code, signal) => resolve({ code, signal })),
    );
  }

  /** Writes raw text to policylayer's stdin (add the newline yourself). */
  write(text: string | Buffer): void {
    this.child.stdin.write(text);
  }

  /** Sends one message as a JSON line. */
  send(message: unknown): void {
    this.write(`${JSON.stringify(message)}\n`);
  }

  /** The next message policylayer writes to stdout; rejects after `timeoutMs`, naming `what` it waited for. */
  next(what = "the next message on stdout", timeoutMs = WAIT_MS): Promise<unknown> {
    const ready = this.messages.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const waiter = (message: unknown) => {
        clearTimeout(timer);
        resolve(message);
      };
      const timer = setTimeout(() => {
        this.messageWaiters.splice(this.messageWaiters.indexOf(waiter), 1);
        reject(new Error(`waited ${timeoutMs} ms for ${what}; stderr so far:\n${this.stderr}`));
      }, timeoutMs);
      this.messageWaiters.push(waiter);
    });
  }

  /** Sends a request and waits for the message that answers its id (others are kept in order). */
  async request(id: number | string, method: string, params?: unknown): Promise<Record<string, unknown>> {
    this.send(params === undefined ? { jsonrpc: "2.0", id, method } : { jsonrpc: "2.0", id, method, params });
    return this.responseTo(id);
  }

  /** Waits for the response with this id (null: an error for a line whose id could not be read), keeping other messages for later. */
  async responseTo(id: number | string | null): Promise<Record<string, unknown>> {
    const skipped: unknown[] = [];
    for (;;) {
      const message = (await this.next(`the response to id ${JSON.stringify(id)}`)) as Record<
        string,
        unknown
      >;
      if (message.id === id && !("method" in message)) {
        this.messages.unshift(...skipped);
        return message;
      }
      skipped.push(message);
    }
  }

  /** Runs initialize and notifications/initialized. */
  async initialize(capabilities: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const response = await this.request("init", "initialize", {
      protocolVersion: "2025-06-18",
      capabilities,
      clientInfo: { name: "raw-test-client", version: "1.0.0" },
    });
    this.send({ jsonrpc: "2.0", method: "notifications/initialized" });
    return response;
  }

  /** The names of every tool in tools/list, following nextCursor across all pages, and how many pages. */
  async listAllTools(idPrefix: string): Promise<{ names: string[]; pages: number }> {
    const names: string[] = [];
    let cursor: string | undefined;
    let page = 0;
    do {
      const response = await this.request(`${idPrefix}-${page++}`, "tools/list", cursor ? { cursor } : {});
      const result = response.result as { tools: Array<{ name: string }>; nextCursor?: string };
      names.push(...result.tools.map((tool) => tool.name));
      cursor = result.nextCursor;
    } while (cursor);
    return { names, pages: page };
  }

  /** The first stdout line matching the pattern (already written or still to come), as its text. */
  lineMatching(pattern: RegExp, what: string, timeoutMs = 20_000): Promise<string> {
    const written = this.lines.find((line) => pattern.test(line));
    if (written !== undefined) return Promise.resolve(written);
    return new Promise((resolve, reject) => {
      const waiter: { pattern: RegExp; resolve: (line: string) => void } = { pattern, resolve };
      const timer = setTimeout(() => {
        this.lineWaiters.splice(this.lineWaiters.indexOf(waiter), 1);
        reject(new Error(`no line on policylayer's stdout within ${timeoutMs} ms: ${what}`));
      }, timeoutMs);
      waiter.resolve = (line: string) => {
        clearTimeout(timer);
        resolve(line);
      };
      this.lineWaiters.push(waiter);
    });
  }

  /** Resolves with the first stderr text matching the pattern (already written or still to come); rejects after `timeoutMs`. */
  waitForStderr(pattern: RegExp, timeoutMs = WAIT_MS): Promise<string> {
    const match = this.stderr.match(pattern);
    if (match) return Promise.resolve(match[0]);
    return new Promise((resolve, reject) => {
      const waiter = {
        pattern,
        resolve: (text: string) => {
          clearTimeout(timer);
          resolve(text);
        },
      };
      const timer = setTimeout(() => {
        this.stderrWaiters.splice(this.stderrWaiters.indexOf(waiter), 1);
        reject(
          new Error(`waited ${timeoutMs} ms for stderr to match ${pattern}; stderr so far:\n${this.stderr}`),
        );
      }, timeoutMs);
      this.stderrWaiters.push(waiter);
    });
  }

  /** Where stderr ends now, to wait for what is written after it (waitForStderrAfter). */
  stderrMark(): number {
    return this.stderr.length;
  }

  /** The first stderr text matching the pattern after `mark`; rejects, naming what it waited for, after `timeoutMs`. */
  waitForStderrAfter(mark: number, pattern: RegExp, timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const look = () => this.stderr.slice(mark).match(pattern)?.[0];
      const found = look();
      if (found !== undefined) {
        resolve(found);
        return;
      }
      const timer = setTimeout(() => {
        this.child.stderr.off("data", onData);
        reject(
          new Error(
            `no stderr matching ${pattern} within ${timeoutMs} ms; after the mark: ${this.stderr.slice(mark)}`,
          ),
        );
      }, timeoutMs);
      const onData = () => {
        const match = look();
        if (match === undefined) return;
        clearTimeout(timer);
        this.child.stderr.off("data", onData);
        resolve(match);
      };
      this.child.stderr.on("data", onData);
    });
  }

  /** The messages written so far and not yet taken by next() (all of them once `exited` settled). */
  unread(): unknown[] {
    return this.messages.splice(0);
  }

  /** Closes policylayer's stdin, as a client does when it goes away. */
  closeInput(): void {
    this.child.stdin.end();
  }
}

/**
 * True while a process with this pid runs. A zombie has ended (only its parent has not collected its
 * exit status yet: an orphan waits for whoever adopts it, which under load can take a while).
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
  return !isZombie(pid);
}

/** Linux: the process's state in /proc is Z. Elsewhere (no /proc) false. */
function isZombie(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return false;
  }
  // "pid (command) S ...": the command may hold spaces and parentheses, the state follows the last ")".
  const close = stat.lastIndexOf(")");
  return stat.charAt(close + 2) === "Z";
}

/** Waits until the process is gone, checking its pid; rejects after `timeoutMs`. */
export async function waitForExit(pid: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) throw new Error(`process ${pid} is still alive after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
