// A server that goes away on its own, by closing its input or by exiting: policylayer ends the
// rest of it, says so on stderr, and what the client is waiting for gets an answer.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { recordingServer, repoRoot } from "../helpers/paths.js";
import { pythonWithMcp } from "../helpers/python-sdk.js";
import { RawSession, waitForExit } from "../helpers/raw-session.js";
import { allowAllWrapFlags, tempDir, writePolicy } from "../helpers/tmp.js";

/** A server that answers initialize and tools/list, and closes its stdin (still running, stdout open) on any tools/call. */
const SERVER = `
import { closeSync, writeFileSync } from "node:fs";
writeFileSync(process.env.STARTED_FILE, String(process.pid));
const send = (message) => process.stdout.write(JSON.stringify(message) + "\\n");
let buffered = "";
process.stdin.on("data", (chunk) => {
  buffered += chunk;
  let newline;
  while ((newline = buffered.indexOf("\\n")) !== -1) {
    const message = JSON.parse(buffered.slice(0, newline));
    buffered = buffered.slice(newline + 1);
    if (message.method === "initialize")
      send({ jsonrpc: "2.0", id: message.id, result: { protocolVersion: "2025-06-18", capabilities: { tools: {} }, serverInfo: { name: "closes-input", version: "1" } } });
    else if (message.method === "tools/list")
      send({ jsonrpc: "2.0", id: message.id, result: { tools: [{ name: "close_input", inputSchema: { type: "object" } }] } });
    else if (message.method === "tools/call") {
      process.stdin.destroy();
      closeSync(0);
      process.stderr.write("closes-input: stdin closed\\n");
    }
  }
});
setInterval(() => {}, 1000);
`;

let dir: { path: string; cleanup: () => void };
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => dir.cleanup());

describe("a server that closes its input", () => {
  it("is ended once a write to it fails, and the requests sent to it get an error instead of no answer", async () => {
    const server = join(dir.path, "closes-input.mjs");
    writeFileSync(server, SERVER);
    const startedFile = join(dir.path, "started");
    const session = new RawSession([...allowAllWrapFlags(dir.path), "--", process.execPath, server], {
      STARTED_FILE: startedFile,
    });
    await session.initialize();
    await session.request("list", "tools/list", {});
    const serverPid = Number(readFileSync(startedFile, "utf8"));
    session.send({ jsonrpc: "2.0", id: "closes", method: "tools/call", params: { name: "close_input" } });
    await session.waitForStderr(/closes-input: stdin closed/);
    // Written after the server closed its input: the write fails.
    session.send({ jsonrpc: "2.0", id: "after", method: "tools/call", params: { name: "close_input" } });
    await session.waitForStderr(/writing to the server failed/);
    // Read although the write before it never drained: its answer is the server's exit.
    session.send({ jsonrpc: "2.0", id: "ping", method: "ping" });
    const closes = await session.responseTo("closes");
    expect((closes.error as { code: number }).code).toBe(-32000);
    const after = await session.responseTo("after");
    expect((after.error as { code: number }).code).toBe(-32000);
    const ping = await session.responseTo("ping");
    expect((ping.error as { code: number }).code).toBe(-32000);
    await waitForExit(serverPid, 5000);
    session.closeInput();
    await session.exited;
  });

  it("says on stderr that a server which crashed exited, with its code", async () => {
    const session = new RawSession([
      "--policy",
      writePolicy(dir.path, "version: 1\ndefault: allow\n"),
      "--audit",
      join(dir.path, "audit.jsonl"),
      "--",
      process.execPath,
      recordingServer,
    ]);
    await session.initialize();
    session.send({
      jsonrpc: "2.0",
      id: "crash",
      method: "tools/call",
      params: { name: "crash", arguments: { code: 3 } },
    });
    const crash = await session.responseTo("crash");
    expect((crash.error as { code: number }).code).toBe(-32000);
    expect((await session.exited).code).toBe(3);
    expect(session.stderr).toContain("policylayer: the MCP server exited with code 3");
  });
});

describe("a server that answers and exits at once", () => {
  // Shown where the server's socket may hold more than the client's side takes in before policylayer
  // pauses (net.core.wmem_max above Linux's default of 212992: the server then holds megabytes).
  it("passes on the whole answer it wrote before exiting, though the client had not read it yet", async () => {
    const session = new RawSession([
      // The rest of the answer is read for up to this long after the exit: ample on a loaded machine.
      ...allowAllWrapFlags(dir.path, 10_000),
      "--",
      await pythonWithMcp(1),
      join(repoRoot, "test", "servers", "answer_then_exit.py"),
    ]);
    await session.initialize();
    await session.request("list", "tools/list", {});
    // The client reads nothing while the server answers and exits: what the client's side does not
    // take in is still in the server's socket (its reading paused) when policylayer hears of the exit.
    session.child.stdout.pause();
    session.send({ jsonrpc: "2.0", id: "call", method: "tools/call", params: { name: "answer_and_exit" } });
    const answered = await session.waitForStderr(/answered with \d+ characters/);
    await session.waitForStderr(/policylayer: the MCP server exited with code 0/);
    session.child.stdout.resume();
    const answer = await session.responseTo("call");
    expect(answer.error).toBeUndefined();
    const text = (answer.result as { content: Array<{ text: string }> }).content[0]?.text;
    expect(text?.length).toBe(Number(answered.match(/\d+/)?.[0]));
    expect((await session.exited).code).toBe(0);
    expect(session.unread()).toEqual([]);
  });
});
