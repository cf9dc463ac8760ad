import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parsePolicy, readPolicy } from "../../src/policy/load.js";
import { repoRoot } from "../helpers/paths.js";

// wrap places a valid policy's warnings after it has started the server (readPolicy without
// warningsNow: the file is parsed again for positions). They must be the warnings parsePolicy gives.

/** Every valid policy text of the repository that has warnings, and some that have none. */
function samples(): { name: string; text: string }[] {
  const valid = join(repoRoot, "test", "fixtures", "policies", "valid");
  const files = readdirSync(valid).map((name) => join("test/fixtures/policies/valid", name));
  files.push("bench/policy.yaml", "examples/sagemaker.yaml", "examples/filesystem.yaml");
  const texts = files.map((name) => ({ name, text: readFileSync(join(repoRoot, name), "utf8") }));
  // A file js-yaml's events cannot be followed in (an alias): placed by the yaml library either way.
  texts.push({
    name: "aliases.yaml",
    text: "version: 1\ndefault: allow\nrules:\n  - tool: a\n    when:\n      - &c { path: args.path, op: starts_with, value: /etc }\n    action: deny\n  - tool: b\n    when: [*c]\n    action: deny\n",
  });
  return texts;
}

describe("a valid policy's warnings placed later", () => {
  it("are the warnings placed at once, at the same FILE:LINE:COL", () => {
    let withWarnings = 0;
    for (const { name, text } of samples()) {
      const now = parsePolicy(text, name);
      const later = readPolicy(text, name, { warningsNow: false });
      expect(now.ok && later.ok, name).toBe(true);
      if (!now.ok || !later.ok) continue;
      expect(later.warnings(), name).toEqual(now.warnings);
      expect(
        later.compile().rules.map((rule) => rule.fingerprint),
        name,
      ).toEqual(now.policy.rules.map((rule) => rule.fingerprint));
      if (now.warnings.length > 0) withWarnings++;
    }
    expect(withWarnings).toBeGreaterThanOrEqual(3);
  });

  it("leave a policy that does not validate refused with the same errors", () => {
    const text = "version: 1\ndefault: allow\nrules:\n  - tool: x\n    action: maybe\n";
    expect(readPolicy(text, "bad.yaml", { warningsNow: false })).toEqual(parsePolicy(text, "bad.yaml"));
  });
});
