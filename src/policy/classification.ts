import { readCall } from "../arguments/call.js";
import { classifyCall } from "../classify/call.js";
import type { Classification, ToolProfile } from "../classify/types.js";
import type { CompiledPolicy, Decision, ToolCall } from "./types.js";

/** A call's classification and its tool's, as the policy sees them. */
export interface PolicyClassification {
  /** The call's own (a tool with a selector argument is classified by its value). */
  call: Classification;
  /** The tool's as a whole, which hiding is about: the call's when the server never listed the tool. */
  tool: Classification;
}

/**
 * How the policy sees a call: the `classify:` block's category for the tool wins over automatic
 * classification. The one place that rule is applied, for wrap, check, tools and init alike.
 * `profile` is the tool's from the server's tools/list, undefined when the server never listed it.
 */
export function classifyForPolicy(
  policy: CompiledPolicy,
  profile: ToolProfile | undefined,
  call: ToolCall,
): PolicyClassification {
  const classification = classifyCall(
    profile,
    call.name,
    call.arguments,
    policy.categoryOverrides.get(call.name),
  );
  return { call: classification, tool: profile ? toolClassForPolicy(policy, profile) : classification };
}

/** A listed tool's own classification as the policy sees it (for hiding it from tools/list). */
export function toolClassForPolicy(policy: CompiledPolicy, profile: ToolProfile): Classification {
  const override = policy.categoryOverrides.get(profile.name);
  return override === undefined ? profile.classification : classifyCall(profile, profile.name, {}, override);
}

/** A call as the policy decides it: its arguments read as the tool's server will read them. */
export interface PolicyReading {
  /** The call to decide and forward (as sent where the arguments could not be read). */
  call: ToolCall;
  /** Its arguments are not as sent. */
  changed: boolean;
  /** Why the arguments cannot be read as the tool's inputSchema declares them; null when they can. */
  refusal: string | null;
}

/**
 * Reads a call's arguments against its tool's inputSchema (arguments/read.ts), the `allow_undeclared_arguments`
 * setting applied: the one place that is done, for wrap and check alike.
 */
export function readForPolicy(
  policy: CompiledPolicy,
  profile: ToolProfile | undefined,
  call: ToolCall,
): PolicyReading {
  const reading = readCall(profile?.argumentSchema, call, policy.allowsUndeclaredArguments(call.name));
  if (!reading.ok) return { call, changed: false, refusal: reading.reason };
  return { call: reading.call, changed: reading.changed, refusal: null };
}

/** The decision on a call whose arguments could not be read: denied with the reason (a hidden tool stays hidden). */
export function withRefusal(decision: Decision, refusal: string | null): Decision {
  if (refusal === null || decision.hidden) return decision;
  return { action: "deny", rule: null, reason: refusal, hidden: false };
}
