import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../helpers/paths.js";

const testRoot = join(repoRoot, "test");
// The folder beside the repository that tests once read (spelt in two parts so this file does not name it).
const besideRepo = ["shared", "fixtures/"].join("/");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(ts|mjs|js|py)$/.test(entry.name) ? [path] : [];
  });
}

describe("the tests are self-contained", () => {
  it("resolves every relative URL a test file names inside the repository", () => {
    const outside: string[] = [];
    for (const file of sourceFiles(testRoot)) {
      const text = readFileSync(file, "utf8");
      for (const match of text.matchAll(/new URL\(\s*["'`](\.\.?\/[^"'`]*)["'`]\s*,\s*import\.meta\.url/g)) {
        const target = resolve(dirname(file), match[1] ?? "");
        if (relative(repoRoot, target).startsWith(".."))
          outside.push(`${relative(repoRoot, file)}: ${match[1]}`);
      }
      if (text.includes(besideRepo)) outside.push(`${relative(repoRoot, file)}: ${besideRepo}`);
    }
    expect(outside).toEqual([]);
  });

  it("keeps the captured SageMaker tool list in test/fixtures", () => {
    const list = JSON.parse(
      readFileSync(join(testRoot, "fixtures", "sagemaker-ai-mcp-server.tools-list.json"), "utf8"),
    ) as { tools: { name: string }[] };
    expect(list.tools.map((tool) => tool.name).sort()).toEqual([
      "describe_hp_cluster",
      "manage_hyperpod_cluster_nodes",
      "manage_hyperpod_stacks",
      "update_hp_cluster",
    ]);
  });
});
