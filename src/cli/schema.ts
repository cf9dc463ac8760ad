import { load } from "js-yaml";
import { DEFAULT_POLICY_YAML } from "../policy/default.js";
import { policySchema } from "../policy/schema.js";

/**
 * `policylayer schema`: prints the policy file's JSON Schema, for editors and for reading, with
 * the built-in default policy as its example (JSON Schema's `examples`, which editors show).
 */
export function schemaCommand(): number {
  const withDefault = { ...policySchema, examples: [load(DEFAULT_POLICY_YAML)] };
  process.stdout.write(`${JSON.stringify(withDefault, null, 2)}\n`);
  return 0;
}
