// What every command that decides shares: which policy, and how its problems reach the user.
import { resolve } from "node:path";
import { builtInDefaultPolicy } from "../policy/default.js";
import { formatPolicyError, formatPolicyWarning, loadPolicyFile } from "../policy/load.js";
import type { CompiledPolicy } from "../policy/types.js";

/** Writes a diagnostic to stderr, prefixed so it stands apart from the server's own stderr. */
export function warn(message: string): void {
  process.stderr.write(`policylayer: ${message}\n`);
}

/** The policy file from --policy, else $POLICYLAYER_POLICY, as an absolute path; null means the built-in default. */
export function chosenPolicyPath(flag: string | undefined): string | null {
  const chosen = flag ?? process.env.POLICYLAYER_POLICY;
  return chosen === undefined || chosen.length === 0 ? null : resolve(chosen);
}

/**
 * The policy at `path` (the built-in default for null). Null when the file does not validate: its
 * errors have been printed as FILE:LINE:COL, after a line that ends with `consequence`.
 */
export async function loadChosenPolicy(
  path: string | null,
  consequence = "",
): Promise<CompiledPolicy | null> {
  if (path === null) return builtInDefaultPolicy();
  const loaded = await loadPolicyFile(path);
  if (loaded.ok) {
    for (const warning of loaded.warnings) process.stderr.write(`${formatPolicyWarning(warning)}\n`);
    return loaded.policy;
  }
  warn(`the policy ${path} does not validate${consequence}:`);
  for (const error of loaded.errors) process.stderr.write(`${formatPolicyError(error)}\n`);
  return null;
}
