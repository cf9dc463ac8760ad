import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { policylayerBin } from "./paths.js";

/**
 * `policylayer wrap` driven line by line, for what an SDK client would never send:
 * malformed lines, batches, shape tricks. Also the handle for process and shutdown tests.
 */
export class RawSession {
  readonly child: ChildProcessWithoutNullStreams;
  private stdoutBuffer = "";
  private readonly messages: unknown[] = [];
  private readonly messageWaiters: Array<(message: unknown) => void> = [];
  stderr = "";
  private readonly stderrWaiters: Array<{ pattern: RegExp; resolve: (text: string) => void }> = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(wrapArgs: string[], env: NodeJS.ProcessEnv = {}) {
    this.child = spawn(process.execPath, [policylayerBin, "wrap", ...wrapArgs], {
      env: { ...process.env, ...env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.child.stdout.on("data", (chunk: Buffer) => {
      this.stdoutBuffer += chunk.toString("utf8");
      let newline = this.stdoutBuffer.indexOf("\n");
      while (newline !== -1) {
        const line = this.stdoutBuffer.slice(0, newline);
        this.stdoutBuffer = this.stdoutBuffer.slice(newline + 1);
        const message: unknown = JSON.parse(line);
        const waiter = this.messageWaiters.shift();
        if (waiter) waiter(message);
        else this.messages.push(message);
        newline = this.stdoutBuffer.indexOf("\n");
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

  /** The next message policylayer writes to stdout. */
  next(): Promise<unknown> {
    const ready = this.messages.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    return new Promise((resolve) => this.messageWaiters.push(resolve));
  }

  /** Sends a request and waits for the message that answers its id (others are kept in order). */
  async request(id: number | string, method: string, params?: unknown): Promise<Record<string, unknown>> {
    this.send(params === undefined ? { jsonrpc: "2.0", id, method } : { jsonrpc: "2.0", id, method, params });
    return this.responseTo(id);
  }

  /** Waits for the response with this id, keeping other messages for later. */
  async responseTo(id: number | string): Promise<Record<string, unknown>> {
    const skipped: unknown[] = [];
    for (;;) {
      const message = (await this.next()) as Record<string, unknown>;
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

  /** Resolves with the first stderr text matching the pattern (already written or still to come). */
  waitForStderr(pattern: RegExp): Promise<string> {
    const match = this.stderr.match(pattern);
    if (match) return Promise.resolve(match[0]);
    return new Promise((resolve) => this.stderrWaiters.push({ pattern, resolve }));
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

/** True while a process with this pid exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Waits until the process is gone, checking its pid; rejects after `timeoutMs`. */
export async function waitForExit(pid: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) throw new Error(`process ${pid} is still alive after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
