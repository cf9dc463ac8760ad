import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ApprovalInbox } from "../../src/approval/inbox-wait.js";
import { describeForPerson } from "../../src/approval/notify.js";
import { policylayer } from "../cli/run.js";
import { recordingServer } from "../helpers/paths.js";
import { RawSession } from "../helpers/raw-session.js";
import { readJsonLines, tempDir, writePolicy } from "../helpers/tmp.js";

// One numbering wherever a person reads it: rule N counts from 1 in file order; the machine
// fields `_meta["policylayer/decision"].rule.index` and the audit log's `rule.index` are N - 1.

const POLICY = `version: 1
default: allow
rules:
  - tool: delete_stack
    action: deny
  - tool: batch_delete_nodes
    action: deny
  - tool: echo
    action: deny
`;

let dir: { path: string; cleanup: () => void };
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => dir.cleanup());

describe("rule numbers", () => {
  it("the third rule is rule 3 in the denial, in check and in tools, and index 2 in _meta and the audit log", async () => {
    const policy = writePolicy(dir.path, POLICY);
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
      await session.initialize();
      const response = await session.request(1, "tools/call", { name: "echo", arguments: {} });
      const result = response.result as {
        content: Array<{ text: string }>;
        _meta: Record<string, { rule: { index: number } }>;
      };
      expect(result.content[0]?.text).toContain('denied by rule 3 (tool "echo")');
      expect(result._meta["policylayer/decision"]?.rule.index).toBe(2);
    } finally {
      session.closeInput();
      await session.exited;
    }
    const line = readJsonLines(audit).find((entry) => entry.event === "tools/call");
    expect(line?.rule).toMatchObject({ index: 2 });

    const check = await policylayer("check", "--policy", policy, "--tool", "echo");
    expect(check.stdout).toContain('  rule 3 (tool "echo"): MATCHES');
    expect(check.stdout).toContain('result: DENY: echo is denied by rule 3 (tool "echo")');
    const tools = await policylayer(
      "tools",
      "--policy",
      policy,
      "--json",
      "--",
      process.execPath,
      recordingServer,
    );
    const echo = (JSON.parse(tools.stdout) as { tool: string; rule: number }[]).find(
      (row) => row.tool === "echo",
    );
    expect(echo?.rule).toBe(3);
  });
});

describe("the sentences people read", () => {
  it("check says a call is held for a person's approval, not 'is approval required'", async () => {
    const policy = writePolicy(
      dir.path,
      "version: 1\ndefault: deny\nrules:\n  - tool: deploy\n    action: require_approval\n    reason: Deploys need a person.\n",
    );
    const check = await policylayer("check", "--policy", policy, "--tool", "deploy");
    expect(check.stdout).toContain(
      "result: REQUIRE APPROVAL: deploy is held for a person's approval by rule 1 (Deploys need a person)",
    );
    expect(check.stdout).not.toContain("is approval required");
  });

  it("a reason that ends with a full stop gets no second one in the notice", () => {
    const stateDir = join(dir.path, "state");
    const inbox = ApprovalInbox.open(stateDir);
    try {
      const { entry } = inbox.submit({
        session: "s",
        server: "sagemaker",
        tool: "update_hp_cluster",
        arguments: {},
        classification: { category: "write", risk: "medium" },
        reason: "Cluster updates need a person's approval (at most 5 in 10 minutes).",
        rule: 'rule 6 (tool "update_hp_cluster")',
        timeoutSeconds: 50,
      });
      const notice = describeForPerson(entry);
      expect(notice).toContain("(at most 5 in 10 minutes). Answer within 50 s");
      expect(notice).not.toContain("..");
    } finally {
      inbox.close();
    }
  });
});
