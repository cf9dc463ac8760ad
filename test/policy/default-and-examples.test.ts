import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decideToolCall } from "../../src/policy/decide.js";
import { builtInDefaultPolicy, DEFAULT_POLICY_YAML } from "../../src/policy/default.js";
import { parsePolicy } from "../../src/policy/load.js";
import { classified, policyFrom, readLow } from "./helpers.js";

const call = (name: string, args: Record<string, unknown> = {}) => ({ name, arguments: args });
const example = (name: string) =>
  readFileSync(join(import.meta.dirname, "..", "..", "examples", name), "utf8");

describe("the built-in default policy", () => {
  const policy = builtInDefaultPolicy();

  it("validates with the policy schema", () => {
    expect(parsePolicy(DEFAULT_POLICY_YAML, "built-in default").ok).toBe(true);
    expect(policy.source).toBe("built-in default");
  });

  it("allows reads", () => {
    expect(decideToolCall(policy, call("read_file"), readLow).action).toBe("allow");
  });

  it("allows writes at most 30 a minute", () => {
    const decision = decideToolCall(policy, call("write_file"), classified("write", "medium"));
    expect(decision.action).toBe("allow");
    expect(decision.rule?.rateLimit).toEqual({ max: 30, windowSeconds: 60 });
  });

  for (const category of ["execute", "destructive", "financial"] as const) {
    it(`denies ${category} calls and tells the user how to allow them`, () => {
      const decision = decideToolCall(policy, call("x"), classified(category, "critical"));
      expect(decision.action).toBe("deny");
      expect(decision.reason).toContain("write a policy file (see `policylayer init`)");
    });
  }
});

describe("examples/sagemaker.yaml", () => {
  const policy = policyFrom(example("sagemaker.yaml"));
  const stacks = (operation: string) => call("manage_hyperpod_stacks", { operation });
  const nodes = (operation: string) => call("manage_hyperpod_cluster_nodes", { operation });

  it("denies manage_hyperpod_stacks with operation delete by rule 1", () => {
    const decision = decideToolCall(policy, stacks("delete"), classified("destructive", "critical"));
    expect(decision.action).toBe("deny");
    expect(decision.rule?.index).toBe(0);
  });

  it("allows describe_hp_cluster", () => {
    expect(decideToolCall(policy, call("describe_hp_cluster"), readLow).action).toBe("allow");
  });

  it("denies batch_delete of nodes and allows listing them", () => {
    expect(decideToolCall(policy, nodes("batch_delete"), readLow).action).toBe("deny");
    expect(decideToolCall(policy, nodes("list_nodes"), readLow).action).toBe("allow");
  });

  it("asks a person before deploys, node software updates and cluster updates", () => {
    expect(decideToolCall(policy, stacks("deploy"), readLow).action).toBe("require_approval");
    expect(decideToolCall(policy, nodes("update_software"), readLow).action).toBe("require_approval");
    expect(decideToolCall(policy, call("update_hp_cluster"), readLow).action).toBe("require_approval");
  });

  it("denies a stack call without an operation by the default", () => {
    expect(decideToolCall(policy, call("manage_hyperpod_stacks"), readLow)).toMatchObject({
      action: "deny",
      rule: null,
    });
  });
});

describe("examples/filesystem.yaml", () => {
  const policy = policyFrom(example("filesystem.yaml"));

  it("denies write_file with a reason pointing at edit_file", () => {
    const decision = decideToolCall(policy, call("write_file", { path: "/p/a.txt", content: "" }), readLow);
    expect(decision.action).toBe("deny");
    expect(decision.reason).toContain("use edit_file");
  });

  it("rate-limits edit_file", () => {
    const decision = decideToolCall(policy, call("edit_file", { path: "/p/a.txt" }), readLow);
    expect(decision.action).toBe("allow");
    expect(decision.rule?.rateLimit).toEqual({ max: 20, windowSeconds: 60 });
  });

  it("allows reading ordinary files and denies reading .env files", () => {
    expect(decideToolCall(policy, call("read_text_file", { path: "/p/src/a.ts" }), readLow).action).toBe(
      "allow",
    );
    expect(decideToolCall(policy, call("read_text_file", { path: "/p/.env.local" }), readLow).action).toBe(
      "deny",
    );
    expect(
      decideToolCall(policy, call("read_file", { path: "/home/u/.ssh/id_ed25519" }), readLow).action,
    ).toBe("deny");
  });
});
