import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatPolicyError, parsePolicy } from "../../src/policy/load.js";
import { policySchema } from "../../src/policy/schema.js";

const fixtures = join(import.meta.dirname, "..", "fixtures", "policies");

function fixture(kind: "valid" | "invalid", name: string): string {
  return readFileSync(join(fixtures, kind, name), "utf8");
}

describe("valid policy files", () => {
  for (const name of readdirSync(join(fixtures, "valid"))) {
    it(`accepts ${name}`, () => {
      const result = parsePolicy(fixture("valid", name), name);
      expect(result.ok ? [] : result.errors.map(formatPolicyError)).toEqual([]);
    });
  }
});

describe("invalid policy files", () => {
  for (const name of readdirSync(join(fixtures, "invalid"))) {
    // Each fixture states its one expected error on its first line: `# expect: LINE:COL: message`.
    const text = fixture("invalid", name);
    const expected = /^# expect: (.*)$/m.exec(text)?.[1];
    it(`rejects ${name} at the offending node with a message saying what is expected`, () => {
      expect(expected).toBeDefined();
      const result = parsePolicy(text, name);
      expect(result.ok ? [] : result.errors.map(formatPolicyError)).toEqual([`${name}:${expected}`]);
    });
  }
});

describe("parsePolicy", () => {
  it("reports every schema error of a file, in file order", () => {
    const text = "version: 1\ndefault: maybe\nrules:\n  - action: block\n    tool: 3\n";
    const result = parsePolicy(text, "p.yaml");
    expect(result.ok ? [] : result.errors.map(formatPolicyError)).toEqual([
      'p.yaml:2:10: default must be allow or deny, got "maybe"',
      'p.yaml:4:13: rules[0].action must be allow, deny or require_approval, got "block"',
      "p.yaml:5:11: rules[0].tool must be a tool name or glob, or a non-empty list of them, got 3",
    ]);
  });

  it("points at the key of an empty value rather than past it", () => {
    const text =
      "version: 1\ndefault: allow\nrules:\n  - action: allow\n    rate_limit:\n      max: 1\n      window:\n";
    const result = parsePolicy(text, "p.yaml");
    expect(result.ok ? [] : result.errors.map(formatPolicyError)).toEqual([
      "p.yaml:7:7: rules[0].rate_limit.window must be a positive number of seconds, got an empty value",
    ]);
  });

  it("reports YAML syntax errors with their position", () => {
    const result = parsePolicy("version: 1\ndefault: allow\nrules: [ {action: allow}\n", "p.yaml");
    expect(result.ok ? [] : result.errors.map(formatPolicyError)).toEqual([
      "p.yaml:4:1: Flow sequence in block collection must be sufficiently indented and end with a ]; the file must be valid YAML (or JSON)",
    ]);
  });

  it("resolves the audit path against the policy file's folder", () => {
    const result = parsePolicy(
      "version: 1\ndefault: deny\naudit: { path: logs/a.jsonl }\n",
      "/etc/pl/policy.yaml",
    );
    expect(result.ok && result.policy.audit).toEqual({
      path: "/etc/pl/logs/a.jsonl",
      includeArguments: false,
    });
  });

  it("compiles mode monitor and the classify overrides", () => {
    const text = "version: 1\nmode: monitor\ndefault: deny\nclassify: { describe_hp_cluster: read }\n";
    const result = parsePolicy(text, "p.yaml");
    expect(result.ok && result.policy.mode).toBe("monitor");
    expect(result.ok && result.policy.categoryOverrides.get("describe_hp_cluster")).toBe("read");
  });
});

describe("policySchema", () => {
  it("closes every mapping and describes every field", () => {
    const undescribed: string[] = [];
    const open: string[] = [];
    const visit = (node: unknown, where: string): void => {
      if (typeof node !== "object" || node === null) return;
      const properties: unknown = Reflect.get(node, "properties");
      if (
        typeof properties === "object" &&
        properties !== null &&
        !where.includes("/if") &&
        !where.includes("/then")
      ) {
        if (Reflect.get(node, "additionalProperties") !== false && !where.endsWith("classify"))
          open.push(where);
        for (const [key, child] of Object.entries(properties)) {
          if (!where.includes("/then") && typeof Reflect.get(Object(child), "description") !== "string") {
            undescribed.push(`${where}/${key}`);
          }
        }
      }
      for (const [key, child] of Object.entries(node)) visit(child, `${where}/${key}`);
    };
    visit(policySchema, "");
    expect({ undescribed, open }).toEqual({ undescribed: [], open: [] });
  });
});
