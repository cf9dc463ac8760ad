import { spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectDirect, connectThroughProxy } from "../helpers/clients.js";
import { within } from "../helpers/deadline.js";
import { connectModern, wrapCommand } from "../helpers/modern-client.js";
import { modernServer, recordingServer } from "../helpers/paths.js";
import { RawSession } from "../helpers/raw-session.js";
import { readJsonLines, tempDir, writePolicy } from "../helpers/tmp.js";

// A client and a server whose protocol eras do not meet fail directly; through wrap they must fail
// at least as clearly. wrap does not bridge the eras: it passes each side's own refusal through.
let dir: { path: string; cleanup: () => void };
let wrapFlags: string[];

beforeAll(() => {
  dir = tempDir();
  wrapFlags = [
    "--policy",
    writePolicy(dir.path, "version: 1\ndefault: allow\n"),
    "--audit",
    join(dir.path, "a.jsonl"),
  ];
});
afterAll(() => dir.cleanup());

/** The first line `command` writes after it is sent `message` as the first line of its input, parsed. */
async function firstAnswer(command: string[], env: NodeJS.ProcessEnv, message: unknown): Promise<unknown> {
  const [file = "", ...args] = command;
  const child = spawn(file, args, { env: { ...process.env, ...env }, stdio: ["pipe", "pipe", "inherit"] });
  try {
    const lines = createInterface({ input: child.stdout });
    const first = once(lines, "line") as Promise<[string]>;
    child.stdin.write(`${JSON.stringify(message)}\n`);
    const [line] = await within(first, 10_000, "the server's answer to its first request");
    return JSON.parse(line);
  } finally {
    child.stdin.end();
    if (child.exitCode === null) await within(once(child, "exit"), 10_000, "the server to exit");
  }
}

/** The error a connect attempt ends with (it must end with one). */
async function connectError(connect: () => Promise<{ close: () => Promise<void> }>): Promise<Error> {
  try {
    const connected = await connect();
    await connected.close();
  } catch (error) {
    return error as Error;
  }
  throw new Error("the connection was expected to fail, and it succeeded");
}

describe("eras that do not meet", () => {
  it("a 2025-11-25 client and a 2026-07-28-only server fail through wrap with the server's own -32022", async () => {
    const server = [process.execPath, modernServer];
    const env = { MODERN_ONLY: "1" };
    const direct = await connectError(() => connectDirect(server, env));
    const proxied = await connectError(() => connectThroughProxy(wrapFlags, server, env));
    expect(direct.message).toContain("Unsupported protocol version");
    expect(proxied.message).toBe(direct.message);
  });

  it("a client pinned to 2026-07-28 and a legacy-only server fail through wrap as they do directly", async () => {
    const server = [process.execPath, recordingServer];
    const direct = await connectError(() => connectModern(server));
    const proxied = await connectError(() => connectModern(wrapCommand(wrapFlags, server)));
    expect(direct.message).toContain("did not offer pinned protocol version 2026-07-28");
    expect(proxied.message).toBe(direct.message);
  });
});

describe("a 2026-07-28 call whose envelope the server refuses, sent before anything else", () => {
  // Such a call is of a tool policylayer has not read the definition of: it asks the server's
  // tools/list first, under the call's own envelope. The server refuses that envelope, and would
  // refuse the call's the same way; the client negotiates its version from that refusal
  // (spec 2026-07-28, basic/versioning.mdx), so it must hear it rather than a policy denial.
  const envelopes = {
    "an unsupported protocol version (-32022)": {
      "io.modelcontextprotocol/protocolVersion": "2099-01-01",
      "io.modelcontextprotocol/clientCapabilities": {},
    },
    "no clientCapabilities (-32602)": { "io.modelcontextprotocol/protocolVersion": "2026-07-28" },
  };
  for (const [problem, meta] of Object.entries(envelopes)) {
    it(`gets the server's own error for ${problem}, as directly, and the server runs nothing`, async () => {
      const recordFile = join(dir.path, `runs-${problem.length}.jsonl`);
      const env = { MODERN_ONLY: "1", RECORD_FILE: recordFile };
      const call = { name: "echo", arguments: { a: 1 }, _meta: meta };
      const direct = await firstAnswer([process.execPath, modernServer], env, {
        jsonrpc: "2.0",
        id: 1,
        method: "tools/call",
        params: call,
      });
      expect(direct).toMatchObject({ id: 1, error: { code: expect.any(Number) } });
      const auditFile = join(dir.path, `audit-${problem.length}.jsonl`);
      const flags = ["--policy", wrapFlags[1] as string, "--audit", auditFile];
      const session = new RawSession([...flags, "--", process.execPath, modernServer], env);
      try {
        expect(await session.request(1, "tools/call", call)).toEqual(direct);
      } finally {
        session.closeInput();
        await within(session.exited, 10_000, "wrap to exit");
      }
      expect(readJsonLines(recordFile)).toEqual([]);
      expect(readJsonLines(auditFile).filter((line) => line.event === "tools/call")).toMatchObject([
        { id: 1, tool: "echo", decision: "deny" },
      ]);
    });
  }
});
