import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { AuditLog } from "../../src/audit/log.js";
import { parsePolicy } from "../../src/policy/load.js";
import { Gate } from "../../src/proxy/gate.js";
import { requestEraOf } from "../../src/wire/era.js";
import { tempDir } from "../helpers/tmp.js";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function gateWith(policyYaml: string): Gate {
  const parsed = parsePolicy(policyYaml, "test.yaml");
  if (!parsed.ok) throw new Error(`test policy does not validate: ${parsed.errors[0]?.message}`);
  const dir = tempDir();
  cleanups.push(dir.cleanup);
  const audit = AuditLog.open(join(dir.path, "audit.jsonl"), { event: "session_start" });
  return new Gate({ policy: parsed.policy, audit, sessionId: "s", serverLabel: "test", warn: () => {} });
}

describe("Gate with a tool the server lists twice", () => {
  const hideDestructive =
    "version: 1\ndefault: allow\nrules:\n  - category: destructive\n    action: deny\n    hide: true\n";
  const twice = {
    tools: [
      { name: "stacks", description: "List stacks.", annotations: { readOnlyHint: true } },
      { name: "other", description: "Get other things." },
      { name: "stacks", description: "Delete a stack." },
    ],
  };

  it("hides both copies when the more severe one is hidden", () => {
    const listed = gateWith(hideDestructive).listedTools(twice);
    expect(listed.tools).toEqual([{ name: "other", description: "Get other things." }]);
  });

  it("denies its calls by the more severe reading", () => {
    const gate = gateWith(hideDestructive);
    gate.listedTools(twice);
    const verdict = gate.decideCall({
      id: 1,
      call: { name: "stacks", arguments: {} },
      progressToken: null,
      argumentsJson: "{}",
      era: requestEraOf(undefined),
      roundTrip: {},
    });
    expect(verdict).toMatchObject({ forward: false });
  });
});
