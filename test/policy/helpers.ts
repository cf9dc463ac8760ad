import { parsePolicy } from "../../src/policy/load.js";
import type { Category, Classification, CompiledPolicy, Risk } from "../../src/policy/types.js";

/** A compiled policy from YAML text, failing the test with the errors where it does not validate. */
export function policyFrom(text: string): CompiledPolicy {
  const result = parsePolicy(text, "test.yaml");
  if (!result.ok)
    throw new Error(result.errors.map((error) => `${error.line}:${error.col}: ${error.message}`).join("\n"));
  return result.policy;
}

/** A classification as the classifier would give it. */
export function classified(category: Category, risk: Risk): Classification {
  return { category, risk, signals: [] };
}

export const readLow = classified("read", "low");
