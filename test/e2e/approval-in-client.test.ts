import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listPending } from "../../src/approval/inbox-answer.js";
import { runPolicylayer } from "../approval/helpers.js";
import { connectModern, type ModernConnected, wrapCommand } from "../helpers/modern-client.js";
import { modernServer } from "../helpers/paths.js";
import { readJsonLines, tempDir, writePolicy } from "../helpers/tmp.js";

// require_approval for a 2026-07-28 request that declares elicitation: wrap answers input_required
// with its own signed, single-use, short-lived requestState bound to the session, the tool and the
// arguments; the client asks the person and retries; the call runs once, or never.
const POLICY = `version: 1
default: allow
rules:
  - tool: [deploy, greet]
    action: require_approval
    reason: deploys need a person
    approval: { timeout: 2 }
`;
const KEY = "policylayer/approval";

let dir: { path: string; cleanup: () => void };
let recordFile: string;
let wrapFlags: (name: string) => string[];
const asked: string[] = [];
let answers: Record<string, unknown>[] = [];
let auto: ModernConnected;
let manual: ModernConnected;

beforeAll(async () => {
  dir = tempDir();
  recordFile = join(dir.path, "executed.jsonl");
  const policy = writePolicy(dir.path, POLICY);
  wrapFlags = (name) => ["--policy", policy, "--audit", join(dir.path, name), "--no-approval-inbox"];
  const server = [process.execPath, modernServer];
  const capabilities = { elicitation: { form: {} } };
  [auto, manual] = await Promise.all([
    connectModern(
      wrapCommand(wrapFlags("auto.jsonl"), server),
      { RECORD_FILE: recordFile },
      {
        capabilities,
        beforeConnect: (client) =>
          client.setRequestHandler("elicitation/create", async (request) => {
            const { message } = request.params as { message: string };
            asked.push(message);
            const answer = answers.shift();
            if (!answer) throw new Error(`the test did not expect to be asked: ${message}`);
            return answer as { action: "accept" };
          }),
      },
    ),
    connectModern(
      wrapCommand(wrapFlags("manual.jsonl"), server),
      { RECORD_FILE: recordFile },
      {
        capabilities,
        manualInput: true,
      },
    ),
  ]);
});

afterAll(async () => {
  await Promise.all([auto?.close(), manual?.close()]);
  dir.cleanup();
});

const executed = (tool: string) =>
  readJsonLines(recordFile).filter((entry) => entry.tool === tool && entry.arguments !== undefined);
const textOf = (result: { content?: unknown }) =>
  (result.content as { type: string; text: string }[]).map((block) => block.text).join("\n");

describe("approval asked in a 2026-07-28 client", () => {
  it("asks the person with today's wording; accept runs the exact call once", async () => {
    asked.length = 0;
    answers = [{ action: "accept", content: { approve: true } }];
    const result = await auto.client.callTool({ name: "deploy", arguments: { env: "accepted" } });
    expect(textOf(result)).toBe('deploy ran with {"env":"accepted"}');
    expect(asked).toHaveLength(1);
    expect(asked[0]).toContain("policylayer: approve this tool call?");
    expect(asked[0]).toContain("Tool: deploy");
    expect(asked[0]).toContain("Why approval is needed: deploys need a person");
    expect(executed("deploy").filter((entry) => JSON.stringify(entry).includes("accepted"))).toHaveLength(1);
    const records = readJsonLines(join(dir.path, "auto.jsonl"));
    const request = records.find((record) => record.event === "approval_request");
    const call = records.find((record) => record.event === "tools/call" && record.decision === "allow");
    expect(call).toMatchObject({
      tool: "deploy",
      continues: request?.id,
      outcome: "result",
      approval: { channel: "elicitation (in the client)", outcome: "approved" },
    });
  });

  it("denies on decline, says so, and the server never sees the call", async () => {
    answers = [{ action: "decline" }];
    const result = await auto.client.callTool({ name: "deploy", arguments: { env: "declined" } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain("the user declined the approval request in the client");
    expect(executed("deploy").filter((entry) => JSON.stringify(entry).includes("declined"))).toEqual([]);
  });

  it("coexists with the server's own input request on the same call: one approval, one run", async () => {
    asked.length = 0;
    answers = [
      { action: "accept", content: { approve: true } },
      { action: "accept", content: { name: "Ada" } },
    ];
    const result = await auto.client.callTool({ name: "greet", arguments: { to: "both" } });
    expect(textOf(result)).toBe("Hello, Ada");
    expect(asked.map((message) => message.split("\n")[0])).toEqual([
      "policylayer: approve this tool call?",
      "Whom shall I greet?",
    ]);
    expect(executed("greet").filter((entry) => JSON.stringify(entry).includes("both"))).toHaveLength(1);
  });
});

/** Round one of a deploy through the manual client: our input_required, with our state. */
async function ask(args: Record<string, unknown>): Promise<string> {
  const first = await manual.client.callTool(
    { name: "deploy", arguments: args },
    { allowInputRequired: true },
  );
  expect(first.resultType).toBe("input_required");
  expect(Object.keys(first.inputRequests as object)).toEqual([KEY]);
  return first.requestState as string;
}

const yes = { [KEY]: { action: "accept", content: { approve: true } } };

/** The retry of a call with a yes and `requestState` (the SDK's callTool types omit the round-trip members). */
function retry(tool: string, args: Record<string, unknown>, requestState: string) {
  const params = { name: tool, arguments: args, inputResponses: yes, requestState };
  return manual.client.callTool(params);
}

/** The retry with `requestState` and a yes; must be refused with `why`, nothing forwarded. */
async function expectRefused(
  args: Record<string, unknown>,
  requestState: string,
  why: string,
  tool = "deploy",
) {
  const before = readJsonLines(recordFile).length;
  const result = await retry(tool, args, requestState);
  expect(result.isError).toBe(true);
  expect(textOf(result)).toContain(`the approval state on this retry was refused: ${why}`);
  expect(readJsonLines(recordFile).length).toBe(before);
}

describe("our approval state, attacked", () => {
  it("refuses a tampered state", async () => {
    const state = await ask({ env: "t" });
    const at = state.indexOf(".", "policylayer.1.".length) - 2;
    const tampered = state.slice(0, at) + (state[at] === "A" ? "B" : "A") + state.slice(at + 1);
    await expectRefused({ env: "t" }, tampered, "its signature does not match");
  });

  it("refuses a forged state", async () => {
    const claims = { s: "any", t: "deploy", h: "0".repeat(64), e: Date.now() + 60_000, n: "nonce" };
    const forged = `policylayer.1.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.${"A".repeat(43)}`;
    await expectRefused({ env: "f" }, forged, "its signature does not match");
  });

  it("refuses a replayed state: the approved call ran once", async () => {
    const state = await ask({ env: "r" });
    const approved = await retry("deploy", { env: "r" }, state);
    expect(textOf(approved)).toBe('deploy ran with {"env":"r"}');
    await expectRefused({ env: "r" }, state, "it was already used (a replay)");
    expect(
      executed("deploy").filter(
        (entry) => JSON.stringify(entry) === JSON.stringify({ tool: "deploy", arguments: { env: "r" } }),
      ),
    ).toHaveLength(1);
  });

  it("refuses a state moved to other arguments or another tool", async () => {
    await expectRefused({ env: "prod" }, await ask({ env: "dev" }), "it was issued for other arguments");
    await expectRefused({ env: "dev" }, await ask({ env: "dev" }), 'it was issued for tool "deploy"', "echo");
  });

  it("refuses an expired state", async () => {
    const state = await ask({ env: "e" });
    // The state lives for the rule's approval timeout (2 s); time is what this test waits for.
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    await expectRefused({ env: "e" }, state, "it has expired");
  });
});

describe("a 2026-07-28 request that does not declare elicitation", () => {
  it("waits in the local inbox, as today; approve there runs it once", async () => {
    const stateDir = join(dir.path, "state");
    const policy = writePolicy(dir.path, POLICY.replace("timeout: 2", "timeout: 60"), "inbox.yaml");
    const flags = ["--policy", policy, "--audit", join(dir.path, "inbox.jsonl")];
    const connected = await connectModern(wrapCommand(flags, [process.execPath, modernServer]), {
      RECORD_FILE: recordFile,
      POLICYLAYER_STATE_DIR: stateDir,
    });
    try {
      const call = connected.client.callTool({ name: "deploy", arguments: { env: "inbox" } });
      await expect
        .poll(() => listPending(stateDir).length, {
          timeout: 20_000,
          message: "one call waiting in the inbox",
        })
        .toBe(1);
      const [waiting] = listPending(stateDir);
      expect(waiting?.argumentsJson).toBe('{"env":"inbox"}');
      expect(await runPolicylayer(stateDir, "approve", waiting?.id as string, "--yes")).toMatchObject({
        code: 0,
      });
      expect(textOf(await call)).toBe('deploy ran with {"env":"inbox"}');
      expect(executed("deploy").filter((entry) => JSON.stringify(entry).includes("inbox"))).toHaveLength(1);
    } finally {
      await connected.close();
    }
  });
});
