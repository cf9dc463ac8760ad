// What a validated policy says about itself without compiling its rules: enough for wrap to open
// the audit log, open the shared limit store and start the server, and compile while it boots.
import { resolve } from "node:path";
import type { CompiledPolicy, LimitScope, PolicyDocument, RuleDocument } from "./types.js";

/** The part of a policy that starting wrap needs: compilePolicy's values for these fields. */
export type PolicyHeader = Pick<CompiledPolicy, "mode" | "source"> & { audit: { path: string | null } };

/** Where a policy came from, and the folder its relative paths are resolved against. */
export interface PolicyPlace {
  source: string;
  baseDir: string;
}

/** The policy's mode, source and audit path (resolved against its folder). */
export function policyHeader(document: PolicyDocument, place: PolicyPlace): PolicyHeader {
  const auditPath = document.audit?.path;
  return {
    mode: document.mode ?? "enforce",
    source: place.source,
    audit: { path: auditPath === undefined ? null : resolve(place.baseDir, auditPath) },
  };
}

/** The scope each of a rule's limits counts in (a rate_limit's default: session; a budget's: server). */
export function limitScopes(rule: RuleDocument): { rateLimit: LimitScope | null; budget: LimitScope | null } {
  return {
    rateLimit: rule.rate_limit === undefined ? null : (rule.rate_limit.scope ?? "session"),
    budget: rule.budget === undefined ? null : (rule.budget.scope ?? "server"),
  };
}

/** True when a rule's limit counts beyond this session, in the shared store (read from the document, before compiling). */
export function countsInSharedStore(document: PolicyDocument): boolean {
  return (document.rules ?? []).some((rule) => {
    const { rateLimit, budget } = limitScopes(rule);
    return (rateLimit !== null && rateLimit !== "session") || (budget !== null && budget !== "session");
  });
}
