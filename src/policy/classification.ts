import { classifyCall } from "../classify/call.js";
import type { Classification, ToolProfile } from "../classify/types.js";
import type { CompiledPolicy, ToolCall } from "./types.js";

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
