import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_POLICY_YAML } from "../../src/policy/default.js";
import { repoRoot } from "../helpers/paths.js";

describe("README: classification and the default policy", () => {
  it("shows the built-in default policy exactly as policylayer uses it", () => {
    const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
    expect(readme).toContain(`## Classification and the default policy`);
    expect(readme).toContain(`\`\`\`yaml\n${DEFAULT_POLICY_YAML}\`\`\``);
  });
});
