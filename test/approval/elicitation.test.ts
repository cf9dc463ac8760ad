import { join } from "node:path";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { ElicitRequestSchema, type ElicitResult } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { approvalMessage } from "../../src/approval/elicitation.js";
import { FORGED_CUT, FORGED_MARK } from "../helpers/attack-strings.js";
import { type Connected, connectThroughProxy } from "../helpers/clients.js";
import { within } from "../helpers/deadline.js";
import { recordingServer } from "../helpers/paths.js";
import { readJsonLines, tempDir, writePolicy } from "../helpers/tmp.js";

type ToolResult = { isError?: boolean; content: Array<{ type: string; text: string }> };

const POLICY = `version: 1
default: allow
rules:
  - tool: delete_stack
    action: require_approval
    reason: Deleting a stack needs a person
    approval: { timeout: 2 }
`;

let dir: { path: string; cleanup: () => void };
let recordFile: string;
let auditFile: string;
let connected: Connected;
/** What the test's person answers; replaced per test. */
let answer: (message: string) => Promise<ElicitResult>;
const questions: string[] = [];

async function connect(
  policy = POLICY,
  capabilities: Record<string, unknown> = { elicitation: {} },
): Promise<Client> {
  const policyFile = writePolicy(dir.path, policy);
  connected = await connectThroughProxy(
    ["--policy", policyFile, "--audit", auditFile, "--no-approval-inbox"],
    [process.execPath, recordingServer],
    { RECORD_FILE: recordFile, XDG_STATE_HOME: dir.path },
    {
      capabilities,
      beforeConnect(client: Client) {
        if (!("elicitation" in capabilities)) return;
        client.setRequestHandler(ElicitRequestSchema, async (request) => {
          questions.push(request.params.message);
          return answer(request.params.message);
        });
      },
    },
  );
  return connected.client;
}

/** Names of the tool calls that reached the server. */
function callsReceived(): Array<{ name: string; arguments: unknown }> {
  return readJsonLines(recordFile)
    .filter((message) => message.method === "tools/call")
    .map((message) => message.params as { name: string; arguments: unknown });
}

function approvalRecord(): Record<string, unknown> | undefined {
  return readJsonLines(auditFile).find((line) => line.event === "tools/call" && line.tool === "delete_stack");
}

const DELETE = { name: "delete_stack", arguments: { stack: "prod", force: true } };

beforeEach(() => {
  dir = tempDir();
  recordFile = join(dir.path, "received.jsonl");
  auditFile = join(dir.path, "audit.jsonl");
  questions.length = 0;
});
afterEach(async () => {
  await connected?.close();
  dir.cleanup();
});

describe("require_approval through MCP elicitation in the client", () => {
  it("accept with yes forwards exactly the approved call, once", async () => {
    answer = async () => ({ action: "accept", content: { approve: true } });
    const client = await connect();
    const result = (await client.callTool(DELETE)) as ToolResult;
    expect(result.isError).toBeFalsy();
    expect(result.content[0]?.text).toBe("called delete_stack");
    expect(callsReceived()).toEqual([DELETE]);
    expect(questions[0]).toContain("Tool: delete_stack");
    // Each JSON string isolated (U+2068 ... U+2069), so right-to-left text in one cannot reorder the line.
    expect(questions[0]).toContain('\u2068"stack"\u2069: \u2068"prod"\u2069');
    expect(questions[0]?.replace(/[\u2068\u2069]/g, "")).toContain('"stack": "prod"');
    expect(questions[0]).toContain("Deleting a stack needs a person");
    expect(approvalRecord()).toMatchObject({
      decision: "allow",
      policy_action: "require_approval",
      outcome: "result",
      approval: { channel: "elicitation", outcome: "approved" },
    });
  });

  it.each([
    ["accept with no", { action: "accept", content: { approve: false } }, /answered no/],
    ["decline", { action: "decline" }, /declined/],
    ["cancel", { action: "cancel" }, /dismissed/],
  ] as const)(
    "%s denies the call, says who decided, and the server never sees it",
    async (_label, reply, reason) => {
      answer = async () => reply as ElicitResult;
      const client = await connect();
      const result = (await client.callTool(DELETE)) as ToolResult;
      expect(result.isError).toBe(true);
      expect(result.content[0]?.text).toMatch(reason);
      expect(callsReceived()).toEqual([]);
      expect(approvalRecord()).toMatchObject({
        decision: "deny",
        approval: { channel: "elicitation", outcome: "denied" },
      });
    },
  );

  it("no answer within the timeout denies the call", async () => {
    let release: () => void = () => {};
    answer = () =>
      new Promise((resolve) => (release = () => resolve({ action: "accept", content: { approve: true } })));
    const client = await connect();
    const result = (await client.callTool(DELETE)) as ToolResult;
    expect(result.isError).toBe(true);
    expect(result.content[0]?.text).toMatch(/nobody approved the call within 2 seconds/);
    release();
    // A late yes after the timeout must not run the call: a later call proves the late answer was handled.
    await client.callTool({ name: "echo", arguments: {} });
    expect(callsReceived().map((call) => call.name)).toEqual(["echo"]);
    expect(approvalRecord()).toMatchObject({ decision: "deny", approval: { decided_by: "timeout" } });
  });

  it("a call waiting for approval holds up nothing else", async () => {
    let release: () => void = () => {};
    answer = () =>
      new Promise((resolve) => (release = () => resolve({ action: "accept", content: { approve: true } })));
    const client = await connect(POLICY.replace("timeout: 2", "timeout: 30"));
    const waiting = client.callTool(DELETE);
    await expect
      .poll(() => questions.length, {
        timeout: 20_000,
        interval: 1,
        message: "the client to be asked about delete_stack",
      })
      .toBeGreaterThan(0);
    const echo = (await client.callTool({ name: "echo", arguments: { meanwhile: true } })) as ToolResult;
    expect(echo.content[0]?.text).toBe('{"meanwhile":true}');
    expect(await client.listTools()).toHaveProperty("tools");
    expect(callsReceived().map((call) => call.name)).toEqual(["echo"]);
    release();
    expect(((await waiting) as ToolResult).isError).toBeFalsy();
    expect(callsReceived().map((call) => call.name)).toEqual(["echo", "delete_stack"]);
  });

  it("a cancelled request withdraws its pending approval and never reaches the server", async () => {
    let asked: () => void = () => {};
    const wasAsked = new Promise<void>((resolve) => (asked = resolve));
    answer = () => {
      asked();
      return new Promise(() => {});
    };
    const client = await connect(POLICY.replace("timeout: 2", "timeout: 30"));
    const controller = new AbortController();
    const call = client.callTool(DELETE, undefined, { signal: controller.signal });
    await within(wasAsked, 20_000, "the client to be asked about delete_stack");
    controller.abort("changed my mind");
    await expect(call).rejects.toThrow();
    await client.callTool({ name: "echo", arguments: {} });
    expect(callsReceived().map((received) => received.name)).toEqual(["echo"]);
    expect(approvalRecord()).toMatchObject({ decision: "deny", approval: { decided_by: "client" } });
  });

  it("progress keeps a client with resetTimeoutOnProgress waiting past its plain timeout", async () => {
    let release: () => void = () => {};
    answer = () =>
      new Promise((resolve) => (release = () => resolve({ action: "accept", content: { approve: true } })));
    const client = await connect(POLICY.replace("timeout: 2", "timeout: 30"));
    const progress: string[] = [];
    const started = Date.now();
    const result = (await client.callTool(DELETE, undefined, {
      timeout: 1500,
      resetTimeoutOnProgress: true,
      onprogress: (update) => {
        progress.push(update.message ?? "");
        // Answer only after the client has waited well past its 1.5 s timeout.
        if (progress.length === 3) release();
      },
    })) as ToolResult;
    expect(Date.now() - started).toBeGreaterThan(1500);
    expect(result.isError).toBeFalsy();
    expect(progress[0]).toMatch(/waiting for a person to approve delete_stack/);
    expect(callsReceived().map((call) => call.name)).toEqual(["delete_stack"]);
  });

  it("past the bound of pending approvals, new ones are denied at once", async () => {
    answer = () => new Promise(() => {});
    const client = await connect(POLICY.replace("timeout: 2", "timeout: 30"));
    const calls = Array.from({ length: 17 }, (_, n) =>
      client.callTool({ name: "delete_stack", arguments: { n } }, undefined, { timeout: 60_000 }),
    );
    const first = (await within(
      Promise.race(calls),
      20_000,
      "the first of 17 calls to be answered",
    )) as ToolResult;
    expect(first.isError).toBe(true);
    expect(first.content[0]?.text).toMatch(
      /too many calls are already waiting for approval in this session \(at most 16\)/,
    );
    expect(callsReceived()).toEqual([]);
  });

  it("without an approval channel the call is denied at once, naming the missing channel", async () => {
    const client = await connect(POLICY, {});
    const result = (await client.callTool(DELETE)) as ToolResult;
    expect(result.isError).toBe(true);
    expect(result.content[0]?.text).toMatch(/did not declare the elicitation capability/);
    expect(result.content[0]?.text).toMatch(/policylayer approvals --web/);
    expect(callsReceived()).toEqual([]);
  });
});

/** The question asked in the client about one call that needs approval, from the server "recording". */
function questionFor(call: { name: string; arguments: Record<string, unknown> }): string {
  return approvalMessage(
    {
      requestId: 1,
      call,
      classification: { category: "destructive", risk: "critical", signals: [] },
      decision: { action: "require_approval", rule: null, reason: "deleting", hidden: false },
      timeoutSeconds: 60,
      progressToken: null,
      era: "legacy",
    },
    "recording",
  );
}

describe("the question asked in the client", () => {
  it("shortens a tool name of thousands of characters with a marker, so the fields after it stay in view", () => {
    const message = questionFor({ name: `delete_stack${" ".repeat(20_000)}`, arguments: { stack: "prod" } });
    expect(message.length).toBeLessThan(12_000);
    expect(message).toContain(`Tool: delete_stack${"⟨U+0020⟩".repeat(988)}…⟨19012 more characters⟩\n`);
  });

  it("shows a cut marker or a mark written into an argument as text, so it never reads as one of ours", () => {
    const message = questionFor({
      name: "delete_stack",
      arguments: { path: FORGED_CUT, command: FORGED_MARK },
    });
    const [i, e] = ["\u2068", "\u2069"];
    expect(message).toContain(`  ${i}"path"${e}: ${i}"/tmp/ok…⟨U+27E8⟩9000 more characters⟨U+27E9⟩"${e}\n`);
    expect(message).toContain(`  ${i}"command"${e}: ${i}"rm -rf /tmp/cache⟨U+27E8⟩U+202E⟨U+27E9⟩"${e}\n`);
    expect(message).not.toContain("⟨9000 more characters⟩");
  });
});
