import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { recordingServer } from "../helpers/paths.js";
import { RawSession } from "../helpers/raw-session.js";
import { readJsonLines, tempDir, writePolicy } from "../helpers/tmp.js";

let dir: { path: string; cleanup: () => void };
let session: RawSession;

beforeEach(() => {
  dir = tempDir();
});
afterEach(async () => {
  session.closeInput();
  await session.exited;
  dir.cleanup();
});

/** wrap with the policy file at `policyPath` around the recording server, initialized. */
async function wrapWithPolicy(policyPath: string): Promise<RawSession> {
  const wrap = new RawSession([
    "--policy",
    policyPath,
    "--audit",
    join(dir.path, "a.jsonl"),
    "--",
    process.execPath,
    recordingServer,
  ]);
  await wrap.initialize();
  return wrap;
}

function isError(response: Record<string, unknown>): boolean {
  return (response.result as { isError: boolean }).isError;
}

describe("audit log", () => {
  it("records every decision with tool, rule, reason, argument hash and the outcome of forwarded calls", async () => {
    const policy = writePolicy(
      dir.path,
      `version: 1
default: allow
audit: { include_arguments: true }
rules:
  - tool: delete_stack
    action: deny
    reason: No stack deletions
`,
    );
    const auditFile = join(dir.path, "audit.jsonl");
    session = new RawSession([
      "--policy",
      policy,
      "--audit",
      auditFile,
      "--",
      process.execPath,
      recordingServer,
    ]);
    await session.initialize();
    await session.request(1, "tools/call", { name: "echo", arguments: { b: 2, a: 1 } });
    await session.request(2, "tools/call", { name: "delete_stack", arguments: { stack: "prod" } });
    await session.request(3, "tools/call", { name: "tool_error", arguments: {} });
    const calls = readJsonLines(auditFile).filter((line) => line.event === "tools/call");
    expect(calls.map((line) => [line.tool, line.decision, line.outcome ?? null])).toEqual([
      ["echo", "allow", "result"],
      ["delete_stack", "deny", null],
      ["tool_error", "allow", "tool_error"],
    ]);
    const [echo, denied] = calls;
    expect(echo?.args_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(echo?.arguments).toEqual({ a: 1, b: 2 });
    expect(typeof echo?.duration_ms).toBe("number");
    expect(denied?.rule).toEqual({ index: 0, tool: ["delete_stack"] });
    expect(denied?.reason).toBe("No stack deletions");
    expect(denied?.session).toBe(echo?.session);
    expect(String(denied?.server)).toContain("recording-server.mjs");
  });

  it("keeps arguments out of the log unless the policy asks for them", async () => {
    const policy = writePolicy(dir.path, "version: 1\ndefault: allow\n");
    const auditFile = join(dir.path, "audit.jsonl");
    session = new RawSession([
      "--policy",
      policy,
      "--audit",
      auditFile,
      "--",
      process.execPath,
      recordingServer,
    ]);
    await session.initialize();
    await session.request(1, "tools/call", { name: "echo", arguments: { secret: "hunter2" } });
    const calls = readJsonLines(auditFile).filter((line) => line.event === "tools/call");
    expect(calls).toHaveLength(1);
    expect(calls[0]?.arguments).toBeUndefined();
    expect(JSON.stringify(calls)).not.toContain("hunter2");
  });

  it("writes to $XDG_STATE_HOME/policylayer/audit.jsonl by default", async () => {
    const policy = writePolicy(dir.path, "version: 1\ndefault: allow\n");
    session = new RawSession(["--policy", policy, "--", process.execPath, recordingServer], {
      XDG_STATE_HOME: dir.path,
    });
    await session.initialize();
    await session.request(1, "tools/call", { name: "echo", arguments: {} });
    const lines = readJsonLines(join(dir.path, "policylayer", "audit.jsonl"));
    expect(lines.filter((line) => line.event === "tools/call")).toHaveLength(1);
  });

  it("writes to $POLICYLAYER_STATE_DIR/audit.jsonl by default when it is set, as the approval inbox does", async () => {
    const policy = writePolicy(dir.path, "version: 1\ndefault: allow\n");
    const stateFolder = join(dir.path, "state");
    session = new RawSession(["--policy", policy, "--", process.execPath, recordingServer], {
      XDG_STATE_HOME: dir.path,
      POLICYLAYER_STATE_DIR: stateFolder,
    });
    await session.initialize();
    await session.request(1, "tools/call", { name: "echo", arguments: {} });
    const lines = readJsonLines(join(stateFolder, "audit.jsonl"));
    expect(lines.filter((line) => line.event === "tools/call")).toHaveLength(1);
    expect(existsSync(join(dir.path, "policylayer", "audit.jsonl"))).toBe(false);
  });
});

describe("audit failures", () => {
  it("denies every call after a write to the audit log fails, and says why on stderr", async () => {
    const audit = join(dir.path, "audit-full.jsonl");
    // Each call's arguments go into its line, so the first call's line crosses the 1 KiB file size
    // limit wrap runs under: that write is cut short, as on a full disk, and fails.
    const policy = writePolicy(
      dir.path,
      "version: 1\ndefault: allow\naudit:\n  include_arguments: true\n",
      "full-disk.yaml",
    );
    session = new RawSession(
      ["--policy", policy, "--audit", audit, "--", process.execPath, recordingServer],
      {},
      1,
    );
    await session.initialize();
    expect(readFileSync(audit, "utf8")).toContain("session_start");
    const text = "x".repeat(1200);
    expect(isError(await session.request(1, "tools/call", { name: "echo", arguments: { text } }))).toBe(
      false,
    );
    await session.waitForStderr(/cannot write the audit log/);
    const denied = await session.request(2, "tools/call", { name: "echo", arguments: {} });
    expect(isError(denied)).toBe(true);
    expect(JSON.stringify(denied)).toContain("the audit log cannot be written");
  });
});

describe("policy reload", () => {
  it("puts an edited policy in force from the next call, and keeps the last good one when an edit does not validate", async () => {
    const policyPath = writePolicy(dir.path, "version: 1\ndefault: allow\n");
    session = await wrapWithPolicy(policyPath);
    expect(isError(await session.request(1, "tools/call", { name: "echo", arguments: {} }))).toBe(false);

    writeFileSync(
      policyPath,
      "version: 1\ndefault: allow\nrules:\n  - tool: echo\n    action: deny\n    reason: echo is off\n",
    );
    await session.waitForStderr(/policy reloaded/);
    const denied = await session.request(2, "tools/call", { name: "echo", arguments: {} });
    expect(isError(denied)).toBe(true);
    expect(JSON.stringify(denied)).toContain("echo is off");

    writeFileSync(policyPath, "version: 1\ndefault: allow\nrules:\n  - tool: echo\n    action: sometimes\n");
    await session.waitForStderr(
      /does not validate; the last good policy stays in force[\s\S]*policy\.yaml:5:13/,
    );
    expect(isError(await session.request(3, "tools/call", { name: "echo", arguments: {} }))).toBe(true);
  });
});

describe("choosing the policy", () => {
  it("takes $POLICYLAYER_POLICY when --policy is not given", async () => {
    const policy = writePolicy(
      dir.path,
      "version: 1\ndefault: allow\nrules:\n  - tool: echo\n    action: deny\n    reason: from the environment\n",
    );
    session = new RawSession(
      ["--audit", join(dir.path, "a.jsonl"), "--", process.execPath, recordingServer],
      {
        POLICYLAYER_POLICY: policy,
      },
    );
    await session.initialize();
    const denied = await session.request(1, "tools/call", { name: "echo", arguments: {} });
    expect(JSON.stringify(denied)).toContain("from the environment");
  });

  it("uses the built-in default without either, which denies code execution and allows reads", async () => {
    session = new RawSession(
      ["--audit", join(dir.path, "a.jsonl"), "--", process.execPath, recordingServer],
      {
        POLICYLAYER_POLICY: "",
      },
    );
    await session.initialize();
    // The recording server's spawn_grandchild says it starts a process: execute, denied by default.
    const spawned = await session.request(1, "tools/call", { name: "spawn_grandchild", arguments: {} });
    expect(isError(spawned)).toBe(true);
    expect(JSON.stringify(spawned)).toContain("policylayer init");
    const listed = await session.request("l", "tools/list", {});
    expect(listed.result).toBeDefined();
  });
});

describe("reloads that change hiding", () => {
  it("tell the client to fetch tools/list again, and the new list hides the tool", async () => {
    const policyPath = writePolicy(dir.path, "version: 1\ndefault: allow\n");
    session = await wrapWithPolicy(policyPath);
    writeFileSync(
      policyPath,
      "version: 1\ndefault: allow\nrules:\n  - tool: echo\n    action: deny\n    hide: true\n",
    );
    expect(await session.next()).toEqual({
      jsonrpc: "2.0",
      method: "notifications/tools/list_changed",
      params: {},
    });
    const { names } = await session.listAllTools("after-reload");
    expect(names).toContain("delete_stack");
    expect(names).not.toContain("echo");
  });

  it("tell the client when only a classify: override changes which listed tools are hidden, and not when none does", async () => {
    const hideDestructive = "rules:\n  - category: destructive\n    action: deny\n    hide: true\n";
    const policyPath = writePolicy(dir.path, `version: 1\ndefault: allow\n${hideDestructive}`);
    session = await wrapWithPolicy(policyPath);
    expect((await session.listAllTools("before")).names).toContain("echo");
    // An override that hides nothing listed: no notification; the next message is the answer to "ping".
    let mark = session.stderrMark();
    writeFileSync(
      policyPath,
      `version: 1\ndefault: allow\nclassify:\n  not_listed: destructive\n${hideDestructive}`,
    );
    await session.waitForStderrAfter(mark, /policy reloaded/, 10_000);
    session.send({ jsonrpc: "2.0", id: "ping", method: "ping" });
    expect(await session.next()).toMatchObject({ id: "ping" });
    mark = session.stderrMark();
    writeFileSync(
      policyPath,
      `version: 1\ndefault: allow\nclassify:\n  echo: destructive\n${hideDestructive}`,
    );
    await session.waitForStderrAfter(mark, /policy reloaded/, 10_000);
    expect(await session.next()).toEqual({
      jsonrpc: "2.0",
      method: "notifications/tools/list_changed",
      params: {},
    });
    expect((await session.listAllTools("after")).names).not.toContain("echo");
  });
});
