import { formatPolicyError, formatPolicyWarning, loadPolicyFile } from "../policy/load.js";
import type { CompiledPolicy } from "../policy/types.js";

function count(n: number, singular: string, plural: string): string {
  return `${n} ${n === 1 ? singular : plural}`;
}

/** The one-line summary of a valid policy: `4 rules: 1 hides tools, 1 rate-limited, 1 needs approval`. */
export function summarizePolicy(policy: CompiledPolicy): string {
  const hiding = policy.rules.filter((rule) => rule.hide).length;
  const limited = policy.rules.filter((rule) => rule.rateLimit !== null).length;
  const approval = policy.rules.filter((rule) => rule.action === "require_approval").length;
  const details = [
    hiding > 0 ? `${hiding} ${hiding === 1 ? "hides" : "hide"} tools` : "",
    limited > 0 ? `${limited} rate-limited` : "",
    approval > 0 ? `${approval} ${approval === 1 ? "needs" : "need"} approval` : "",
  ].filter((part) => part !== "");
  const rules = count(policy.rules.length, "rule", "rules");
  const head = `version 1, ${policy.mode}, default ${policy.defaultAction}`;
  return `${head}, ${details.length > 0 ? `${rules}: ${details.join(", ")}` : rules}`;
}

/** `policylayer validate FILE`: prints every error as FILE:LINE:COL and returns 1, or a summary and 0. */
export async function validateCommand(file: string): Promise<number> {
  const result = await loadPolicyFile(file);
  if (!result.ok) {
    for (const error of result.errors) process.stderr.write(`${formatPolicyError(error)}\n`);
    return 1;
  }
  for (const warning of result.warnings) process.stderr.write(`${formatPolicyWarning(warning)}\n`);
  process.stdout.write(`${file}: valid (${summarizePolicy(result.policy)})\n`);
  return 0;
}
