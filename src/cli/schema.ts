import { policySchema } from "../policy/schema.js";

/** `policylayer schema`: prints the policy file's JSON Schema, for editors and for reading. */
export function schemaCommand(): number {
  process.stdout.write(`${JSON.stringify(policySchema, null, 2)}\n`);
  return 0;
}
