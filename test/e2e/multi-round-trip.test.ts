import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectModern, type ModernConnected, wrapCommand } from "../helpers/modern-client.js";
import { modernServer } from "../helpers/paths.js";
import { readJsonLines, tempDir, writePolicy } from "../helpers/tmp.js";

// A 2026-07-28 server that asks for input mid-call (input_required + requestState) through wrap:
// the client's retry is the same logical call, counted once against the rate limit and linked in
// the audit log; any other use of the server's state is decided as a new call.
const POLICY = `version: 1
default: allow
rules:
  - tool: greet
    action: allow
    rate_limit: { max: 2, window: 3600 }
`;

let dir: { path: string; cleanup: () => void };
let recordFile: string;
let auditFile: string;
let auto: ModernConnected;
let manual: ModernConnected;

beforeAll(async () => {
  dir = tempDir();
  recordFile = join(dir.path, "executed.jsonl");
  const policy = writePolicy(dir.path, POLICY);
  auditFile = join(dir.path, "audit.jsonl");
  const server = [process.execPath, modernServer];
  const capabilities = { elicitation: { form: {} } };
  [auto, manual] = await Promise.all([
    connectModern(
      wrapCommand(["--policy", policy, "--audit", auditFile], server),
      { RECORD_FILE: recordFile },
      {
        capabilities,
        beforeConnect: (client) =>
          client.setRequestHandler("elicitation/create", async () => ({
            action: "accept",
            content: { name: "Ada" },
          })),
      },
    ),
    connectModern(
      wrapCommand(["--policy", policy, "--audit", join(dir.path, "manual.jsonl")], server),
      { RECORD_FILE: recordFile },
      { capabilities, manualInput: true },
    ),
  ]);
});

afterAll(async () => {
  await Promise.all([auto?.close(), manual?.close()]);
  dir.cleanup();
});

const greetings = () => readJsonLines(recordFile).filter((entry) => entry.name !== undefined);
const callRecords = (file: string) => readJsonLines(file).filter((entry) => entry.event === "tools/call");
const textOf = (result: { content?: unknown }) =>
  (result.content as { type: string; text: string }[]).map((block) => block.text).join("\n");

describe("the server's multi-round-trip through wrap", () => {
  it("counts the call once and links its rounds in the audit log", async () => {
    const result = await auto.client.callTool({ name: "greet", arguments: { to: "auto" } });
    expect(textOf(result)).toBe("Hello, Ada");
    expect(greetings()).toEqual([{ tool: "greet", arguments: { to: "auto" }, name: "Ada" }]);
    const [first, second, ...more] = callRecords(auditFile);
    expect(more).toEqual([]);
    expect(first).toMatchObject({ tool: "greet", decision: "allow", outcome: "input_required" });
    expect(second).toMatchObject({
      tool: "greet",
      decision: "allow",
      outcome: "result",
      continues: first?.id,
    });
    expect(first?.continues).toBeUndefined();
  });

  it("decides any other use of the server's state as a new call, and continues only the genuine retry", async () => {
    const args = { to: "manual" };
    const answer = (name: string) => ({ name: { action: "accept" as const, content: { name } } });
    // Round one of the logical call: counted (1 of 2).
    const first = await manual.client.callTool(
      { name: "greet", arguments: args },
      { allowInputRequired: true },
    );
    expect(first.resultType).toBe("input_required");
    const state = first.requestState as string;
    // The state on other arguments is a new call: counted (2 of 2). The server's own state is not
    // bound to the arguments, so it runs.
    const moved = {
      name: "greet",
      arguments: { to: "moved" },
      inputResponses: answer("Mo"),
      requestState: state,
    };
    expect(textOf(await manual.client.callTool(moved))).toBe("Hello, Mo");
    // The genuine retry continues the first call: not counted again, so it passes the limit.
    const retry = { name: "greet", arguments: args, inputResponses: answer("Bo"), requestState: state };
    expect(textOf(await manual.client.callTool(retry))).toBe("Hello, Bo");
    // A replay of it is a new call, over the limit: the server never sees it.
    const replayed = await manual.client.callTool(retry);
    expect(replayed.isError).toBe(true);
    expect(textOf(replayed)).toContain("rate limit of rule 1");
    expect(greetings().filter((entry) => entry.name === "Bo")).toHaveLength(1);
    const records = callRecords(join(dir.path, "manual.jsonl"));
    expect(records.map((record) => [record.outcome ?? record.decision, record.continues ?? null])).toEqual([
      ["input_required", null],
      ["result", null],
      ["result", records[0]?.id],
      ["deny", null],
    ]);
  });
});
