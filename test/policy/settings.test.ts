import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readPolicy } from "../../src/policy/load.js";
import { countsInSharedStore } from "../../src/policy/settings.js";
import type { CompiledPolicy } from "../../src/policy/types.js";
import { repoRoot } from "../helpers/paths.js";
import { seededRandom } from "../helpers/random.js";

// wrap opens the audit log and decides whether to open the shared limit store before it compiles
// the policy (settings.ts); what it reads there must be what the compiled policy says.

/** What the compiled policy says: some limit counts in the shared store (server or global scope). */
function usesSharedStore(policy: CompiledPolicy): boolean {
  return policy.rules.some((rule) => rule.limits.some((limit) => limit.scope !== "session"));
}

function validTexts(): { name: string; text: string }[] {
  const valid = join(repoRoot, "test", "fixtures", "policies", "valid");
  const files = readdirSync(valid).map((name) => join("test/fixtures/policies/valid", name));
  files.push("bench/policy.yaml", "examples/sagemaker.yaml", "examples/filesystem.yaml");
  return files.map((name) => ({ name, text: readFileSync(join(repoRoot, name), "utf8") }));
}

describe("what a policy says before it is compiled", () => {
  it("gives the compiled policy's mode, source, audit path and shared-store use for every valid policy file", () => {
    for (const { name, text } of validTexts()) {
      const read = readPolicy(text, join(repoRoot, name), { warningsNow: false });
      expect(read.ok, name).toBe(true);
      if (!read.ok) continue;
      const policy = read.compile();
      expect(read.header, name).toEqual({
        mode: policy.mode,
        source: policy.source,
        audit: { path: policy.audit.path },
      });
      expect(countsInSharedStore(read.document), name).toBe(usesSharedStore(policy));
    }
  });

  it("tells shared-store use as the compiled policy does over 500 random limit blocks (seed 3)", () => {
    const random = seededRandom(3);
    const scopes = [undefined, "session", "server", "global"];
    let shared = 0;
    for (let i = 0; i < 500; i++) {
      const rules = Array.from({ length: 1 + Math.floor(random.next() * 3) }, (_, n) => {
        const rateScope = random.pick(scopes);
        const budgetScope = random.pick(scopes);
        const rate = random.chance(0.5)
          ? `\n    rate_limit: { max: 5, window: 60${rateScope ? `, scope: ${rateScope}` : ""} }`
          : "";
        const budget = random.chance(0.4)
          ? `\n    budget: { sum: args.amount, max: 100, window: 60${budgetScope ? `, scope: ${budgetScope}` : ""} }`
          : "";
        return `  - tool: t${n}\n    action: allow${rate}${budget}`;
      });
      const text = `version: 1\ndefault: deny\nrules:\n${rules.join("\n")}\n`;
      const read = readPolicy(text, "p.yaml", { warningsNow: false });
      expect(read.ok, text).toBe(true);
      if (!read.ok) continue;
      const uses = usesSharedStore(read.compile());
      if (uses) shared++;
      expect(countsInSharedStore(read.document), text).toBe(uses);
    }
    expect(shared).toBeGreaterThan(100);
    expect(shared).toBeLessThan(450);
  });
});
