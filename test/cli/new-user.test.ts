import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { connectDirect } from "../helpers/clients.js";
import { policylayerBin, recordingServer, repoRoot } from "../helpers/paths.js";
import { RawSession } from "../helpers/raw-session.js";
import { readJsonLines, tempDir, writePolicy } from "../helpers/tmp.js";
import { parseToolsJson, policylayer } from "./run.js";

// The rough edges a new user hits first (issue 11, part 4), each tried as that user would.

const run = promisify(execFile);
const manyTools = fileURLToPath(new URL("./servers/many-tools-server.mjs", import.meta.url));
const slowReader = fileURLToPath(new URL("./slow-reader.mjs", import.meta.url));
const DENY_ECHO =
  "version: 1\ndefault: allow\nrules:\n  - tool: echo\n    action: deny\n    reason: echo is off\n";

let dir: { path: string; cleanup: () => void };
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => {
  vi.unstubAllEnvs();
  dir.cleanup();
});

/** Single-quotes a word for sh. */
const sh = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;

describe("output through a pipe", () => {
  it.each([
    ["tools --json", ["tools", "--json", "--"]],
    ["tools (plain)", ["tools", "--"]],
    ["init to stdout", ["init", "--"]],
  ])("%s: a slow reader on a pipe gets every byte a file gets", async (_label, words) => {
    const command = [process.execPath, policylayerBin, ...words, process.execPath, manyTools]
      .map(sh)
      .join(" ");
    const toFile = join(dir.path, "to-file.txt");
    const piped = join(dir.path, "piped.txt");
    await run("sh", ["-c", `POLICYLAYER_POLICY= ${command} > ${sh(toFile)}`]);
    const { stdout } = await run("sh", [
      "-c",
      `POLICYLAYER_POLICY= ${command} | ${sh(process.execPath)} ${sh(slowReader)} ${sh(piped)}`,
    ]);
    const whole = readFileSync(toFile);
    expect(whole.length).toBeGreaterThan(100_000);
    expect(Number(stdout)).toBe(whole.length);
    expect(readFileSync(piped).equals(whole)).toBe(true);
  });

  it("tools --json of 925 tools through a pipe is one whole JSON document", async () => {
    const command = [process.execPath, policylayerBin, "tools", "--json", "--", process.execPath, manyTools];
    const piped = join(dir.path, "piped.json");
    const { stdout } = await run("sh", [
      "-c",
      `POLICYLAYER_POLICY= ${command.map(sh).join(" ")} | ${sh(process.execPath)} ${sh(slowReader)} ${sh(piped)}`,
    ]);
    console.info(`tools --json of 925 tools: ${stdout} bytes through the pipe`);
    expect(parseToolsJson(readFileSync(piped, "utf8"))).toHaveLength(925);
  });
});

describe("wrap started by hand", () => {
  it("says on stderr which policy is in force, where the audit log is, and that it waits for a client", async () => {
    const policy = writePolicy(dir.path, DENY_ECHO);
    const audit = join(dir.path, "audit.jsonl");
    const session = new RawSession([
      "--policy",
      policy,
      "--audit",
      audit,
      "--",
      process.execPath,
      recordingServer,
    ]);
    try {
      const line = await session.waitForStderrAfter(0, /policylayer: [^\n]*\n/, 20_000);
      expect(line).toBe(
        `policylayer: policy ${policy} in force (version 1, enforce, default allow, 1 rule); audit log ${audit}; ` +
          `${process.execPath} ${recordingServer} started; waiting for an MCP client on stdin ` +
          "(an MCP client such as Claude Desktop starts wrap; Ctrl-C stops it)\n",
      );
    } finally {
      session.closeInput();
      await session.exited;
    }
  });

  it("runs the server command without --: the first word that is not a wrap option starts it", async () => {
    const policy = writePolicy(dir.path, DENY_ECHO);
    const recordFile = join(dir.path, "record.jsonl");
    // As the MCP Inspector starts it: no --; the server's own --policy flag stays the server's.
    const wrap = await connectDirect(
      [
        process.execPath,
        policylayerBin,
        "wrap",
        "--policy",
        policy,
        process.execPath,
        recordingServer,
        "--policy",
        "theirs",
      ],
      { RECORD_FILE: recordFile },
    );
    try {
      const denied = (await wrap.client.callTool({ name: "echo", arguments: {} })) as {
        isError?: boolean;
        content: Array<{ text: string }>;
      };
      expect(denied.isError).toBe(true);
      expect(denied.content[0]?.text).toContain("echo is off");
      expect((await wrap.client.listTools()).tools.length).toBeGreaterThan(0);
      expect(readJsonLines(recordFile).some((message) => message.method === "tools/list")).toBe(true);
      expect(readJsonLines(recordFile).some((message) => message.method === "tools/call")).toBe(false);
    } finally {
      await wrap.close();
    }
  });

  it("says a server command that is not on PATH was not found there, and exits 127", async () => {
    const result = await policylayer(
      "wrap",
      "--audit",
      join(dir.path, "a.jsonl"),
      "--",
      "no-such-server-h11",
    );
    expect(result.exitCode).toBe(127);
    expect(result.stderr).toContain(
      "cannot start no-such-server-h11: command not found on PATH: no-such-server-h11",
    );
    expect(result.stderr).not.toContain("ENOENT");
    const tools = await policylayer("tools", "--", "no-such-server-h11");
    expect(tools.exitCode).toBe(1);
    expect(tools.stderr).toContain("command not found on PATH: no-such-server-h11");
  });
});

describe("the other commands", () => {
  it("--version prints the version in package.json", async () => {
    const { version } = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
      version: string;
    };
    const result = await policylayer("--version");
    expect(result).toMatchObject({ exitCode: 0, stdout: version });
  });

  it("validate checks every file it is given and exits 1 when any does not validate", async () => {
    const good = writePolicy(dir.path, DENY_ECHO, "good.yaml");
    const other = writePolicy(dir.path, "version: 1\ndefault: deny\n", "other.yaml");
    const both = await policylayer("validate", good, other);
    expect(both.exitCode).toBe(0);
    expect(both.stdout.split("\n")).toEqual([
      `${good}: valid (version 1, enforce, default allow, 1 rule)`,
      `${other}: valid (version 1, enforce, default deny, 0 rules)`,
    ]);
    const bad = writePolicy(dir.path, "version: 1\ndefault: maybe\n", "bad.yaml");
    const mixed = await policylayer("validate", bad, good);
    expect(mixed.exitCode).toBe(1);
    expect(mixed.stderr).toMatch(new RegExp(`^${bad.replaceAll(/[.*+?^${}()|[\]\\/]/g, "\\$&")}:2:10: `));
    expect(mixed.stdout).toBe(`${good}: valid (version 1, enforce, default allow, 1 rule)`);
  });

  it("check refuses a server command given without --, and starts nothing", async () => {
    const started = join(dir.path, "started.txt");
    // The recording server writes this file as it starts.
    vi.stubEnv("STARTED_FILE", started);
    const result = await policylayer("check", "--tool", "echo", process.execPath, recordingServer);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("check takes the server's command after --");
    expect(existsSync(started)).toBe(false);
    const withSeparator = await policylayer(
      "check",
      "--tool",
      "echo",
      "--",
      process.execPath,
      recordingServer,
    );
    expect(withSeparator.exitCode).toBe(0);
    expect(withSeparator.stdout).toContain("classified with the tools/list of");
    expect(existsSync(started)).toBe(true);
  });
});
