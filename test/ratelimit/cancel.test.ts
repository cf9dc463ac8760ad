import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { listPending } from "../../src/approval/inbox-answer.js";
import { connectThroughProxy } from "../helpers/clients.js";
import { recordingServer } from "../helpers/paths.js";
import { pythonWithMcp } from "../helpers/python-sdk.js";
import { readJsonLines, tempDir, writePolicy } from "../helpers/tmp.js";
import { callOutcome, cliOn, closedAfterEach, limitsJson, wrapOnMachine } from "./helpers.js";

// What a client's notifications/cancelled does to a call's reservation: a call the server has
// received counts (it may have acted), one that never reached the server holds nothing.
const slowServer = fileURLToPath(new URL("../servers/slow_server.py", import.meta.url));
const largeAnswerServer = fileURLToPath(new URL("../servers/large_answer_server.py", import.meta.url));

const { opened, dirs } = closedAfterEach();

function machine(): string {
  const dir = tempDir();
  dirs.push(dir);
  return dir.path;
}

describe("a call the client cancels", () => {
  it("counts when the server had received it, though the Python SDK answers the cancelled call with an error", async () => {
    const dir = machine();
    const policy = writePolicy(
      dir,
      "version: 1\ndefault: deny\nrules:\n  - { id: slow-calls, tool: slow, action: allow, rate_limit: { max: 1, window: 600, scope: global } }\n",
    );
    const recordFile = join(dir, "record.jsonl");
    const python = await pythonWithMcp(1);
    const connected = await wrapOnMachine(policy, dir, { RECORD_FILE: recordFile }, [python, slowServer]);
    opened.push(connected);
    const controller = new AbortController();
    const call = connected.client.callTool({ name: "slow", arguments: {} }, undefined, {
      signal: controller.signal,
    });
    await expect
      .poll(() => readJsonLines(recordFile).length, {
        timeout: 30_000,
        message: "the slow tool to start on the server",
      })
      .toBe(1);
    controller.abort("changed my mind");
    await expect(call).rejects.toThrow();
    // The wrap writes the call's audit line when the server's answer to it arrives.
    const audit = join(dir, "audit.jsonl");
    const ended = () => readJsonLines(audit).find((line) => line.tool === "slow" && "outcome" in line);
    await expect
      .poll(() => ended() !== undefined, {
        timeout: 15_000,
        message: "the server's answer to the cancelled call",
      })
      .toBe(true);
    expect(ended()?.outcome).toBe("protocol_error");
    expect(await limitsJson(dir, policy)).toEqual([expect.objectContaining({ id: "slow-calls", used: 1 })]);
    expect(await callOutcome(connected.client, "slow", {})).toContain("rate limit of rule 1 (global scope)");
  });

  it("holds nothing while it waits for approval: cancelled there, the next approved call gets the unit", async () => {
    const dir = machine();
    const policy = writePolicy(
      dir,
      "version: 1\ndefault: deny\nrules:\n  - { id: asked, tool: echo, action: require_approval, approval: { timeout: 60 }, rate_limit: { max: 1, window: 600, scope: global } }\n",
    );
    const recordFile = join(dir, "record.jsonl");
    const connected = await wrapOnMachine(policy, dir, { RECORD_FILE: recordFile }, [
      process.execPath,
      recordingServer,
    ]);
    opened.push(connected);
    const waitingFor = async (text: string) => {
      await expect
        .poll(() => listPending(dir).some((entry) => entry.argumentsJson === text), {
          timeout: 15_000,
          message: `the call ${text} to wait in the inbox`,
        })
        .toBe(true);
      const entry = listPending(dir).find((pending) => pending.argumentsJson === text);
      if (entry === undefined) throw new Error(`the call ${text} left the inbox`);
      return entry;
    };
    const controller = new AbortController();
    const cancelled = connected.client.callTool({ name: "echo", arguments: { n: 1 } }, undefined, {
      signal: controller.signal,
    });
    await waitingFor('{"n":1}');
    controller.abort("changed my mind");
    await expect(cancelled).rejects.toThrow();
    await expect
      .poll(() => listPending(dir).length, { timeout: 15_000, message: "the inbox to be empty" })
      .toBe(0);
    expect(await limitsJson(dir, policy)).toEqual([]);
    const approved = callOutcome(connected.client, "echo", { n: 2 });
    const second = await waitingFor('{"n":2}');
    expect(await cliOn(dir, ["approve", second.id, "--yes"])).toMatchObject({ exitCode: 0 });
    expect(await approved).toBe("pass");
    const received = readJsonLines(recordFile).filter((line) => line.method === "tools/call");
    expect(received.map((line) => line.params)).toEqual([{ name: "echo", arguments: { n: 2 } }]);
    expect(await limitsJson(dir, policy)).toEqual([expect.objectContaining({ id: "asked", used: 1 })]);
  });
});

describe("a call whose answer policylayer cannot pass on", () => {
  it("counts: the server acted on it, though the client gets an error in its answer's place (over --max-line-bytes)", async () => {
    const dir = machine();
    const policy = writePolicy(
      dir,
      "version: 1\ndefault: deny\nrules:\n  - { id: blobs, tool: blob, action: allow, rate_limit: { max: 1, window: 600, scope: global } }\n",
    );
    const connected = await connectThroughProxy(
      ["--policy", policy, "--audit", join(dir, "audit.jsonl"), "--max-line-bytes", "1000000"],
      [await pythonWithMcp(1), largeAnswerServer],
      { POLICYLAYER_STATE_DIR: dir, POLICYLAYER_REDIS_URL: "" },
    );
    opened.push(connected);
    await expect(
      connected.client.callTool({ name: "blob", arguments: { size: 2_000_000 } }),
    ).rejects.toMatchObject({ code: -32001 });
    expect(await limitsJson(dir, policy)).toEqual([expect.objectContaining({ id: "blobs", used: 1 })]);
    expect(await callOutcome(connected.client, "blob", { size: 5 })).toContain(
      "rate limit of rule 1 (global scope)",
    );
  });
});
