import { describe, expect, it } from "vitest";
import { profileTool } from "../../src/classify/profile.js";
import { classifyForPolicy } from "../../src/policy/classification.js";
import { decideToolCall, hidingRule } from "../../src/policy/decide.js";
import { classified, policyFrom, readLow } from "./helpers.js";

const call = (name: string, args: Record<string, unknown> = {}) => ({ name, arguments: args });

const briefPolicy = policyFrom(`
version: 1
default: allow
classify:
  describe_hp_cluster: destructive
rules:
  - tool: manage_hyperpod_stacks
    when:
      - { path: args.operation, op: in, value: [deploy, delete] }
    action: deny
    reason: Stack changes go through the platform team
  - tool: update_hp_cluster
    action: allow
    rate_limit: { max: 10, window: 60 }
  - tool: "batch_delete_*"
    action: deny
    hide: true
  - category: [destructive, financial]
    risk: [high, critical]
    action: require_approval
    approval: { timeout: 120 }
`);

describe("decideToolCall", () => {
  it("lets the first matching rule decide, with the rule's own reason", () => {
    const decision = decideToolCall(
      briefPolicy,
      call("manage_hyperpod_stacks", { operation: "delete" }),
      readLow,
    );
    expect(decision).toMatchObject({
      action: "deny",
      reason: "Stack changes go through the platform team",
      hidden: false,
    });
    expect(decision.rule?.index).toBe(0);
  });

  it("skips a rule whose condition fails and falls through to later rules", () => {
    const decision = decideToolCall(
      briefPolicy,
      call("manage_hyperpod_stacks", { operation: "delete" }),
      classified("destructive", "critical"),
    );
    expect(decision.rule?.index).toBe(0);
    const describe = decideToolCall(
      briefPolicy,
      call("manage_hyperpod_stacks", { operation: "describe" }),
      classified("destructive", "critical"),
    );
    expect(describe.action).toBe("require_approval");
    expect(describe.rule?.index).toBe(3);
  });

  it("writes a reason naming the rule when the rule has none", () => {
    const decision = decideToolCall(briefPolicy, call("update_hp_cluster"), classified("write", "medium"));
    expect(decision.reason).toBe('allowed by rule 2 (tool "update_hp_cluster")');
    expect(decision.rule?.rateLimit).toEqual({ max: 10, windowSeconds: 60 });
  });

  it("falls back to the default when no rule matches, and says so", () => {
    const decision = decideToolCall(briefPolicy, call("list_things"), readLow);
    expect(decision).toEqual({
      action: "allow",
      rule: null,
      reason: "no rule matched; the policy's default is allow",
      hidden: false,
    });
  });

  it("matches category and risk together: both must hold", () => {
    expect(decideToolCall(briefPolicy, call("x"), classified("financial", "critical")).action).toBe(
      "require_approval",
    );
    expect(decideToolCall(briefPolicy, call("x"), classified("financial", "medium")).action).toBe("allow");
    expect(decideToolCall(briefPolicy, call("x"), classified("write", "critical")).action).toBe("allow");
  });

  it("applies the classify block's category over the classifier's", () => {
    const called = call("describe_hp_cluster");
    const classes = classifyForPolicy(briefPolicy, profileTool({ name: "describe_hp_cluster" }), called);
    expect(classes.call).toMatchObject({ category: "destructive", risk: "critical" });
    expect(classes.tool).toMatchObject({ category: "destructive", risk: "critical" });
    const decision = decideToolCall(briefPolicy, called, classes.call, classes.tool);
    expect(decision.action).toBe("require_approval");
    expect(decision.reason).toBe(
      "approval required by rule 4 (category destructive or financial, risk high or critical)",
    );
  });

  it("denies a call of a hidden tool before any rule, naming the hiding rule", () => {
    const policy = policyFrom(`
version: 1
default: deny
rules:
  - action: allow
  - tool: "batch_delete_*"
    action: deny
    hide: true
`);
    const decision = decideToolCall(policy, call("batch_delete_nodes"), readLow);
    expect(decision).toMatchObject({ action: "deny", hidden: true });
    expect(decision.reason).toBe('this tool is hidden by rule 2 (tool "batch_delete_*")');
    expect(decideToolCall(policy, call("batch_create_nodes"), readLow).action).toBe("allow");
  });

  it("hides by the tool's own classification, so a harmless call of a destructive tool stays denied", () => {
    const policy = policyFrom(`
version: 1
default: allow
rules:
  - category: destructive
    action: deny
    hide: true
    reason: Destructive tools are not offered.
`);
    const toolLevel = classified("destructive", "critical");
    const decision = decideToolCall(
      policy,
      call("manage_hyperpod_stacks", { operation: "describe" }),
      readLow,
      toolLevel,
    );
    expect(decision).toMatchObject({ action: "deny", hidden: true });
    expect(decision.reason).toBe(
      "this tool is hidden by rule 1 (category destructive): Destructive tools are not offered.",
    );
  });

  it("matches * across dots, dashes and slashes, and is case-sensitive", () => {
    const policy = policyFrom(`version: 1\ndefault: allow\nrules:\n  - tool: "fs*x"\n    action: deny\n`);
    expect(decideToolCall(policy, call("fs.a-b/x"), readLow).action).toBe("deny");
    expect(decideToolCall(policy, call("FS.x"), readLow).action).toBe("allow");
    expect(decideToolCall(policy, call("fs.xy"), readLow).action).toBe("allow");
  });

  it("decides correctly on a 200-rule policy, where the last rules still apply", () => {
    const rules = Array.from(
      { length: 199 },
      (_, i) => `  - tool: ["tool_${i}", "group_${i}_*"]\n    action: allow\n`,
    );
    const policy = policyFrom(
      `version: 1\ndefault: deny\nrules:\n${rules.join("")}  - tool: "group_1*"\n    action: require_approval\n`,
    );
    expect(policy.rules).toHaveLength(200);
    expect(decideToolCall(policy, call("tool_150"), readLow).rule?.index).toBe(150);
    expect(decideToolCall(policy, call("group_150_x"), readLow).rule?.index).toBe(150);
    expect(decideToolCall(policy, call("group_1_x"), readLow).rule?.index).toBe(1);
    expect(decideToolCall(policy, call("group_1zz"), readLow).rule?.index).toBe(199);
    expect(decideToolCall(policy, call("tool_200"), readLow).action).toBe("deny");
    // Asked again, the memoized candidates give the same answers.
    expect(decideToolCall(policy, call("group_1zz"), readLow).rule?.index).toBe(199);
  });
});

describe("hidingRule", () => {
  it("returns the hiding rule for tools/list filtering, and null for visible tools", () => {
    expect(hidingRule(briefPolicy, "batch_delete_nodes", readLow)?.index).toBe(2);
    expect(hidingRule(briefPolicy, "update_hp_cluster", readLow)).toBeNull();
  });
});

describe("compiled rules", () => {
  it("keep their fingerprints across reloads of the same content, even when rules move", () => {
    const first = policyFrom(
      "version: 1\ndefault: deny\nrules:\n  - { tool: a, action: allow }\n  - { tool: b, action: deny }\n",
    );
    const reloaded = policyFrom(
      "version: 1\ndefault: allow\nrules:\n  - tool: b\n    action: deny\n  - action: allow\n    tool: a\n",
    );
    expect(reloaded.rules[1]?.fingerprint).toBe(first.rules[0]?.fingerprint);
    expect(reloaded.rules[0]?.fingerprint).toBe(first.rules[1]?.fingerprint);
  });

  it("get a new fingerprint when their content changes", () => {
    const before = policyFrom(
      "version: 1\ndefault: deny\nrules:\n  - { tool: a, action: allow, rate_limit: { max: 1, window: 1 } }\n",
    );
    const after = policyFrom(
      "version: 1\ndefault: deny\nrules:\n  - { tool: a, action: allow, rate_limit: { max: 2, window: 1 } }\n",
    );
    expect(after.rules[0]?.fingerprint).not.toBe(before.rules[0]?.fingerprint);
  });
});
