import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { connectThroughProxy } from "../helpers/clients.js";
import { npmServer, recordingServer } from "../helpers/paths.js";
import { RawSession } from "../helpers/raw-session.js";
import { tempDir, writePolicy } from "../helpers/tmp.js";

// wrap starts the server as soon as the policy has validated and loads the rest while the server
// boots; what a client writes meanwhile waits in the pipe until the gate is ready.

let dir: { path: string; cleanup: () => void };
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => dir.cleanup());

const DENY_DELETE =
  "version: 1\ndefault: allow\nrules:\n  - tool: delete_stack\n    action: deny\n    reason: stacks stay today\n";
/** A valid policy with one warning: starts_with on an argument named like a path. */
const WITH_WARNING =
  "version: 1\ndefault: allow\nrules:\n  - tool: echo\n    when:\n      - { path: args.path, op: starts_with, value: /etc }\n    action: deny\n";

type CallResult = { isError?: boolean; content: Array<{ type: string; text: string }> };

/** wrap's arguments: `policy`, an audit log in the test's folder, then the server's command. */
function wrapArgs(policy: string, ...server: string[]): string[] {
  return ["--policy", policy, "--audit", join(dir.path, "audit.jsonl"), "--", ...server];
}

describe("what a client sends while wrap starts", () => {
  it("a denied call written before wrap has loaded is decided, and never reaches the server", async () => {
    const record = join(dir.path, "record.jsonl");
    const policy = writePolicy(dir.path, DENY_DELETE);
    const session = new RawSession(wrapArgs(policy, process.execPath, recordingServer), {
      RECORD_FILE: record,
    });
    // All at once, as the process is spawned: wrap has not read its policy yet.
    session.write(
      [
        {
          jsonrpc: "2.0",
          id: 1,
          method: "initialize",
          params: {
            protocolVersion: "2025-06-18",
            capabilities: {},
            clientInfo: { name: "early", version: "1" },
          },
        },
        { jsonrpc: "2.0", method: "notifications/initialized" },
        {
          jsonrpc: "2.0",
          id: 2,
          method: "tools/call",
          params: { name: "delete_stack", arguments: { stack: "prod" } },
        },
        { jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: "echo", arguments: { text: "hi" } } },
      ]
        .map((message) => `${JSON.stringify(message)}\n`)
        .join(""),
    );
    expect((await session.responseTo(1)).result).toBeDefined();
    const denied = (await session.responseTo(2)).result as CallResult;
    expect(denied.isError).toBe(true);
    expect(denied.content[0]?.text).toMatch(/delete_stack/);
    expect(denied.content[0]?.text).toMatch(/stacks stay today/);
    const echoed = (await session.responseTo(3)).result as CallResult;
    expect(echoed.isError).not.toBe(true);
    session.child.stdin.end();
    expect((await session.exited).code).toBe(0);
    const reached = readFileSync(record, "utf8")
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => JSON.parse(line) as { method?: string; params?: { name?: string } });
    expect(reached.map((message) => message.method)).toContain("initialize");
    const calls = reached.filter((message) => message.method === "tools/call").map((m) => m.params?.name);
    expect(calls).toEqual(["echo"]);
  });

  it("a real SDK client that calls at once after connecting gets the policy's decisions from server-everything", async () => {
    const policy = writePolicy(
      dir.path,
      "version: 1\ndefault: allow\nrules:\n  - tool: get-sum\n    action: deny\n    reason: no sums\n",
    );
    const wrap = await connectThroughProxy(
      ["--policy", policy, "--audit", join(dir.path, "audit.jsonl")],
      npmServer("everything"),
    );
    try {
      const [sum, echo] = (await Promise.all([
        wrap.client.callTool({ name: "get-sum", arguments: { a: 1, b: 2 } }),
        wrap.client.callTool({ name: "echo", arguments: { message: "early" } }),
      ])) as [CallResult, CallResult];
      expect(sum.isError).toBe(true);
      expect(sum.content[0]?.text).toMatch(/get-sum.*no sums|no sums.*get-sum/s);
      expect(echo.isError).not.toBe(true);
      expect(echo.content[0]?.text).toContain("early");
    } finally {
      await wrap.close();
    }
  });
});

describe("a policy's warnings at start", () => {
  it("are printed at FILE:LINE:COL before the line that says the server started", async () => {
    const policy = writePolicy(dir.path, WITH_WARNING);
    const session = new RawSession(wrapArgs(policy, process.execPath, recordingServer));
    await session.initialize();
    session.child.stdin.end();
    await session.exited;
    const warning = session.stderr.indexOf(`${policy}:6:32: warning: rules[0].when[0].op starts_with`);
    expect(warning, session.stderr).toBeGreaterThanOrEqual(0);
    expect(session.stderr.indexOf("in force")).toBeGreaterThan(warning);
  });

  it("are printed before the error when the server command does not exist", async () => {
    const policy = writePolicy(dir.path, WITH_WARNING);
    const session = new RawSession(wrapArgs(policy, join(dir.path, "no-such-server")));
    expect((await session.exited).code).toBe(127);
    const warning = session.stderr.indexOf(`${policy}:6:32: warning:`);
    expect(warning, session.stderr).toBeGreaterThanOrEqual(0);
    expect(session.stderr.indexOf("the server was not started")).toBeGreaterThan(warning);
  });

  it("a policy that does not validate prints its errors and starts nothing, however early the client writes", async () => {
    const started = join(dir.path, "started");
    const policy = writePolicy(
      dir.path,
      "version: 1\ndefault: allow\nrules:\n  - tool: echo\n    action: allow\n    when: yes\n",
    );
    const session = new RawSession(["--policy", policy, "--", process.execPath, recordingServer], {
      STARTED_FILE: started,
    });
    session.send({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "echo", arguments: {} } });
    expect((await session.exited).code).toBe(1);
    expect(session.stderr).toContain(`${policy}:6:11:`);
    expect(session.lines).toEqual([]);
    expect(existsSync(started)).toBe(false);
  });

  it("shows an escape sequence or a bidi override in a refused key as marks, never raw on the terminal", async () => {
    const started = join(dir.path, "started");
    const policy = writePolicy(dir.path, 'version: 1\ndefault: deny\n"\\e[2J\\u202eyfissalc": {}\n');
    const session = new RawSession(["--policy", policy, "--", process.execPath, recordingServer], {
      STARTED_FILE: started,
    });
    expect((await session.exited).code).toBe(1);
    expect(session.stderr).toContain(
      `${policy}:3:1: the policy has an unknown key "⟨U+001B⟩[2J⟨U+202E⟩yfissalc"`,
    );
    expect([...session.stderr].filter((c) => c === "\u001b" || c === "\u202e")).toEqual([]);
    expect(existsSync(started)).toBe(false);
  });
});
