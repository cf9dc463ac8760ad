import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { within } from "../helpers/deadline.js";
import { policylayerBin, recordingServer } from "../helpers/paths.js";
import { isAlive, RawSession, waitForExit } from "../helpers/raw-session.js";
import { allowAllWrapFlags, tempDir } from "../helpers/tmp.js";

let dir: { path: string; cleanup: () => void };

beforeEach(() => {
  dir = tempDir();
});
afterEach(() => dir.cleanup());

/**
 * wrap's flags in these tests: a policy that allows everything (the built-in default would deny
 * spawn_grandchild, which runs code: these tests are about processes), an audit log, short grace.
 */
function allowAllFlags(): string[] {
  return allowAllWrapFlags(dir.path);
}

/** Starts wrap around the recording server; returns the session, the server's pid and a grandchild's pid. */
async function startWithGrandchild(env: NodeJS.ProcessEnv = {}, flags: string[] = []) {
  const startedFile = join(dir.path, "started");
  const session = new RawSession([...allowAllFlags(), ...flags, "--", process.execPath, recordingServer], {
    STARTED_FILE: startedFile,
    XDG_STATE_HOME: dir.path,
    ...env,
  });
  await session.initialize();
  const serverPid = Number(readFileSync(startedFile, "utf8"));
  const response = await session.request("g", "tools/call", { name: "spawn_grandchild", arguments: {} });
  const grandchildPid = Number((response.result as { content: Array<{ text: string }> }).content[0]?.text);
  expect(isAlive(serverPid)).toBe(true);
  expect(isAlive(grandchildPid)).toBe(true);
  return { session, serverPid, grandchildPid, wrapPid: session.child.pid as number };
}

/** The pid in `file` once it is written there; rejects after `timeoutMs`, naming the file. */
async function pidWritten(file: string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pid = Number(readFileSync(file, { encoding: "utf8", flag: "a+" }));
    if (pid > 0) return pid;
    if (Date.now() > deadline) throw new Error(`no pid in ${file} within ${timeoutMs} ms`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe("no process outlives the session", () => {
  it("client closes stdin: server and grandchild end, policylayer exits with the server's code", async () => {
    const { session, serverPid, grandchildPid } = await startWithGrandchild();
    const started = Date.now();
    session.closeInput();
    const exit = await session.exited;
    process.stderr.write(`shutdown after stdin close: ${Date.now() - started} ms\n`);
    expect(exit.code).toBe(0);
    await waitForExit(serverPid, 5000);
    await waitForExit(grandchildPid, 5000);
  });

  it("client closes stdin and the server ignores EOF and SIGTERM: SIGKILL ends the group", async () => {
    const { session, serverPid, grandchildPid } = await startWithGrandchild({
      IGNORE_EOF: "1",
      IGNORE_SIGTERM: "1",
    });
    const started = Date.now();
    session.closeInput();
    const exit = await session.exited;
    process.stderr.write(`shutdown of a server ignoring EOF and SIGTERM: ${Date.now() - started} ms\n`);
    expect(exit.code).toBe(137);
    await waitForExit(serverPid, 5000);
    await waitForExit(grandchildPid, 5000);
  });

  it("server crashes: the pending request gets an error and policylayer exits with the server's code", async () => {
    const { session, serverPid, grandchildPid } = await startWithGrandchild();
    session.send({
      jsonrpc: "2.0",
      id: "hung",
      method: "tools/call",
      params: { name: "hang", arguments: {} },
    });
    const crash = await session.request("crash", "tools/call", { name: "crash", arguments: { code: 7 } });
    expect((crash.error as { code: number }).code).toBe(-32000);
    const hung = await session.responseTo("hung");
    expect((hung.error as { message: string }).message).toMatch(/exited with code 7/);
    const exit = await session.exited;
    expect(exit.code).toBe(7);
    await waitForExit(serverPid, 5000);
    await waitForExit(grandchildPid, 5000);
  });

  it("server closes its stdout but keeps running: pending requests get an error, and the server is ended", async () => {
    const { session, serverPid, grandchildPid } = await startWithGrandchild({ IGNORE_EOF: "1" });
    session.send({
      jsonrpc: "2.0",
      id: "hung",
      method: "tools/call",
      params: { name: "hang", arguments: {} },
    });
    const closing = await session.request("closing", "tools/call", { name: "close_output", arguments: {} });
    expect((closing.error as { code: number }).code).toBe(-32000);
    const hung = await session.responseTo("hung");
    expect((hung.error as { code: number }).code).toBe(-32000);
    // It ignores its stdin closing: SIGTERM, after the grace period, ends it.
    expect((await session.exited).code).toBe(143);
    await waitForExit(serverPid, 5000);
    await waitForExit(grandchildPid, 5000);
  });

  it("a grandchild the server started in a process group of its own ends too", async () => {
    const { session, serverPid, grandchildPid } = await startWithGrandchild();
    const response = await session.request("d", "tools/call", { name: "spawn_detached", arguments: {} });
    const detachedPid = Number((response.result as { content: Array<{ text: string }> }).content[0]?.text);
    expect(isAlive(detachedPid)).toBe(true);
    session.closeInput();
    expect((await session.exited).code).toBe(0);
    await waitForExit(serverPid, 5000);
    await waitForExit(grandchildPid, 5000);
    try {
      await waitForExit(detachedPid, 5000);
    } finally {
      if (isAlive(detachedPid)) process.kill(detachedPid, "SIGKILL");
    }
  });

  it.each(["SIGTERM", "SIGINT", "SIGHUP"] as const)(
    "%s to policylayer reaches the server's process group",
    async (signal) => {
      const { session, serverPid, grandchildPid, wrapPid } = await startWithGrandchild();
      const started = Date.now();
      process.kill(wrapPid, signal);
      const exit = await session.exited;
      process.stderr.write(`shutdown after ${signal}: ${Date.now() - started} ms\n`);
      expect(exit.code).toBe(128 + { SIGTERM: 15, SIGINT: 2, SIGHUP: 1 }[signal]);
      await waitForExit(serverPid, 5000);
      await waitForExit(grandchildPid, 5000);
    },
  );

  it("a client that closes policylayer's stderr: the session goes on without its warnings", async () => {
    const { session, serverPid, grandchildPid } = await startWithGrandchild();
    session.child.stderr.destroy();
    // A line policylayer refuses, with a warning on the closed stderr.
    session.write("not json\n");
    expect(await session.responseTo(null)).toMatchObject({ error: { code: -32700 } });
    const echo = session.request("echo", "tools/call", {
      name: "echo",
      arguments: { after: "stderr closed" },
    });
    const outcome = await Promise.race([echo, session.exited.then((exit) => ({ exitedFirst: exit }))]);
    expect(outcome).toMatchObject({ id: "echo", result: { isError: false } });
    session.closeInput();
    expect((await session.exited).code).toBe(0);
    await waitForExit(serverPid, 5000);
    await waitForExit(grandchildPid, 5000);
  });

  it("SIGTERM to policylayer while it is still starting reaches the server", async () => {
    // A shell that writes its pid and then becomes the server: the pid is there at once, before
    // policylayer has finished starting.
    const startedFile = join(dir.path, "started");
    const session = new RawSession(
      [
        ...allowAllFlags(),
        "--",
        "sh",
        "-c",
        `echo $$ > '${startedFile}'; exec '${process.execPath}' '${recordingServer}'`,
      ],
      { IGNORE_EOF: "1", XDG_STATE_HOME: dir.path },
    );
    const serverPid = await pidWritten(startedFile, 10_000);
    process.kill(session.child.pid as number, "SIGTERM");
    try {
      expect(await session.exited).toEqual({ code: 143, signal: null });
      await waitForExit(serverPid, 5000);
    } finally {
      if (isAlive(serverPid)) process.kill(serverPid, "SIGKILL");
    }
  });

  it("SIGKILL to policylayer is the one case it cannot handle; its stdin closing still ends a well-behaved server", async () => {
    const { session, serverPid, grandchildPid, wrapPid } = await startWithGrandchild();
    process.kill(wrapPid, "SIGKILL");
    await session.exited;
    // The server's stdin was our pipe: it sees EOF when we die and exits by itself.
    await waitForExit(serverPid, 5000);
    // A grandchild that ignores EOF and SIGTERM does survive a SIGKILL of policylayer; clean it up here.
    process.kill(grandchildPid, "SIGKILL");
  });
});

describe("a client that is gone while the server reads nothing", () => {
  // A client that starts wrap, sends more than the pipes and wrap's buffers hold to a server that
  // never reads, and says so (with wrap's pid) once its own output stops moving.
  const CLIENT = `
const { spawn } = require("node:child_process");
const [bin, ...args] = process.argv.slice(1);
const wrap = spawn(process.execPath, [bin, "wrap", ...args], { stdio: ["pipe", "pipe", "inherit"] });
wrap.stdout.resume();
const line = JSON.stringify({ jsonrpc: "2.0", method: "notifications/message", params: { pad: "x".repeat(60000) } }) + "\\n";
for (let i = 0; i < 70; i++) wrap.stdin.write(line);
let last = -1;
const check = setInterval(() => {
  const waiting = wrap.stdin.writableLength;
  if (waiting > 1000000 && waiting === last) {
    clearInterval(check);
    process.stdout.write("stuck " + wrap.pid + "\\n");
  }
  last = waiting;
}, 200);
`;

  it("is seen by wrap's being handed to another parent: the server is ended and wrap exits", async () => {
    const startedFile = join(dir.path, "started");
    const client = spawn(
      process.execPath,
      [
        "-e",
        CLIENT,
        policylayerBin,
        ...allowAllFlags(),
        "--",
        "sh",
        "-c",
        `echo $$ > '${startedFile}'; exec sleep 600`,
      ],
      { env: { ...process.env, XDG_STATE_HOME: dir.path }, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stderr = "";
    client.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
    });
    // wrap keeps the client's stderr (inherited) open until it exits.
    const stderrEnded = new Promise<void>((resolve) => client.stderr.once("end", () => resolve()));
    const stuck = new Promise<number>((resolve) => {
      let out = "";
      client.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString("utf8");
        const match = /stuck (\d+)\n/.exec(out);
        if (match) resolve(Number(match[1]));
      });
    });
    const wrapPid = await within(stuck, 20_000, "the client's writes to wrap to stop moving");
    const serverPid = await pidWritten(startedFile, 10_000);
    try {
      expect(isAlive(wrapPid)).toBe(true);
      client.kill("SIGKILL");
      await waitForExit(wrapPid, 10_000);
      await waitForExit(serverPid, 10_000);
      await within(stderrEnded, 10_000, "wrap's stderr to close");
      expect(stderr).toContain("the client's process ended while the server was not reading its input");
    } finally {
      for (const pid of [wrapPid, serverPid]) if (isAlive(pid)) process.kill(pid, "SIGKILL");
    }
  });
});

describe("refusing to start", () => {
  // Without --, the first word that is not a wrap option starts the server (issue 11; see
  // test/cli/new-user.test.ts); with no command at all, wrap refuses.
  it("refuses without a server command, with or without --, and starts nothing", async () => {
    for (const args of [
      ["--grace-ms", "500"],
      ["--grace-ms", "500", "--"],
    ]) {
      const session = new RawSession(args);
      const exit = await session.exited;
      expect(exit.code).toBe(2);
      expect(session.stderr).toMatch(
        /wrap needs the server's command, e\.g\. policylayer wrap --policy policy\.yaml -- /,
      );
    }
  });

  it("refuses a policy that does not validate, prints FILE:LINE:COL, and never starts the server", async () => {
    const startedFile = join(dir.path, "started");
    const policy = join(dir.path, "bad.yaml");
    const { writeFileSync } = await import("node:fs");
    writeFileSync(policy, "version: 1\nrules:\n  - tool: x\n    action: maybe\n");
    const session = new RawSession(["--policy", policy, "--", process.execPath, recordingServer], {
      STARTED_FILE: startedFile,
    });
    const exit = await session.exited;
    expect(exit.code).toBe(1);
    expect(session.stderr).toContain(`${policy}:4:13:`);
    expect(() => readFileSync(startedFile)).toThrow();
  });

  it("refuses when the audit log cannot be written and never starts the server", async () => {
    const startedFile = join(dir.path, "started");
    const session = new RawSession(["--audit", "/dev/full", "--", process.execPath, recordingServer], {
      STARTED_FILE: startedFile,
    });
    const exit = await session.exited;
    expect(exit.code).toBe(1);
    expect(session.stderr).toMatch(/cannot write the audit log \/dev\/full/);
    expect(() => readFileSync(startedFile)).toThrow();
  });

  it("exits 127 when the server command does not exist", async () => {
    const session = new RawSession([
      "--audit",
      join(dir.path, "a.jsonl"),
      "--",
      "/nonexistent/server-binary",
    ]);
    const exit = await session.exited;
    expect(exit.code).toBe(127);
    expect(session.stderr).toMatch(/cannot start \/nonexistent\/server-binary/);
  });
});
