// The one-line summary of a policy, kept apart from validate.ts so that wrap, which prints it at
// every start, does not load validate's server listing and schema reading with it.
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
