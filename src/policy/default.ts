import { type PolicyReading, readPolicy } from "./load.js";
import type { CompiledPolicy } from "./types.js";

/** The policy used when the user gives none: it is written in the policy language so it validates like any other. */
export const DEFAULT_POLICY_YAML = `# policylayer's built-in default policy, used when no policy file is given.
# It relies on automatic classification of each call (read, write, execute, destructive, financial).
version: 1
mode: enforce
# Every category is covered by a rule below; deny is the safe answer for anything else.
default: deny
rules:
  # Reading is what agents do most and it changes nothing.
  - category: read
    action: allow
    reason: Reads are allowed by policylayer's built-in default policy.
  # Writes are allowed, but a runaway agent is slowed down: at most 30 in any minute.
  - category: write
    action: allow
    rate_limit: { max: 30, window: 60 }
    reason: Writes are allowed by policylayer's built-in default policy, at most 30 a minute.
  # Running commands, destroying data and spending money need a policy that says so.
  - category: [execute, destructive, financial]
    action: deny
    reason: >-
      policylayer's built-in default policy denies execute, destructive and financial calls;
      to allow them, write a policy file (see \`policylayer init\`).
`;

/** The built-in default policy, compiled from DEFAULT_POLICY_YAML. */
export function builtInDefaultPolicy(): CompiledPolicy {
  return builtInDefaultReading().compile();
}

/** The built-in default policy as readPolicy reads a file: validated, compiled on request. */
export function builtInDefaultReading(): Extract<PolicyReading, { ok: true }> {
  const result = readPolicy(DEFAULT_POLICY_YAML, "built-in default", { warningsNow: false });
  // The text is a constant covered by tests: failing here is a bug in policylayer, not in the user's input.
  if (!result.ok)
    throw new Error(`the built-in default policy does not validate: ${result.errors[0]?.message}`);
  return result;
}
