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

describe("README and examples agree on what a new user runs", () => {
  const readme = () => readFileSync(join(repoRoot, "README.md"), "utf8");

  it("the quick start starts the SageMaker server as the example policy's header says, with --allow-write", () => {
    const example = readFileSync(join(repoRoot, "examples", "sagemaker.yaml"), "utf8");
    const header = /^#\s+(policylayer wrap --policy examples\/sagemaker\.yaml -- .*)$/m.exec(example)?.[1];
    expect(header).toBe(
      "policylayer wrap --policy examples/sagemaker.yaml -- uvx awslabs.sagemaker-ai-mcp-server --allow-write",
    );
    expect(readme()).toContain(`  ${header}\n`);
    const desktop = readFileSync(join(repoRoot, "examples", "claude_desktop_config.json"), "utf8");
    expect(desktop).toMatch(/"awslabs\.sagemaker-ai-mcp-server",\s*"--allow-write"/);
  });

  it("every approval timeout in the examples stays under the 60 s a client's request waits", () => {
    for (const name of ["sagemaker.yaml", "filesystem.yaml"]) {
      const text = readFileSync(join(repoRoot, "examples", name), "utf8");
      const timeouts = [...text.matchAll(/approval: \{ timeout: (\d+) \}/g)].map((match) => Number(match[1]));
      expect(timeouts.length).toBeGreaterThan(0);
      for (const seconds of timeouts) expect([name, seconds < 60]).toEqual([name, true]);
    }
  });

  it("says which clients reset their timeout on progress, and how rules are numbered", () => {
    const text = readme();
    expect(text).toContain("| TypeScript SDK `Client` | 60 s");
    expect(text).toContain("| MCP Inspector |");
    expect(text).toContain("| Python SDK `ClientSession` |");
    expect(text).toContain("Rules are numbered from 1");
  });
});
