// The hot path: classifying one tools/call from its tool's profile.
import { riskOf } from "./categories.js";
import { profileTool } from "./profile.js";
import type { Category, Classification, ToolProfile } from "./types.js";

// Profiles of tools the server never listed, classified by name alone; bounded so that a client
// calling endless made-up names cannot grow it.
const MAX_UNLISTED_PROFILES = 1024;
const unlistedProfiles = new Map<string, ToolProfile>();

function profileByName(toolName: string): ToolProfile {
  const cached = unlistedProfiles.get(toolName);
  if (cached !== undefined) return cached;
  const profile = profileTool({ name: toolName });
  const unlisted = {
    ...profile,
    classification: {
      ...profile.classification,
      signals: [
        "the server never listed this tool: classified by name only",
        ...profile.classification.signals,
      ],
    },
  };
  if (unlistedProfiles.size >= MAX_UNLISTED_PROFILES) {
    const oldest = unlistedProfiles.keys().next();
    if (oldest.done !== true) unlistedProfiles.delete(oldest.value);
  }
  unlistedProfiles.set(toolName, unlisted);
  return unlisted;
}

/** The profile's classification with one more signal in front (profiles' own are frozen and shared). */
function withSignal(classification: Classification, leadingSignal: string): Classification {
  return {
    category: classification.category,
    risk: classification.risk,
    signals: [leadingSignal, ...classification.signals],
  };
}

function describeValue(value: unknown): string {
  const text = typeof value === "string" ? JSON.stringify(value) : typeof value;
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/**
 * Classifies one call: by the value of the tool's selector argument if it has one, else as the tool.
 * `profile` undefined means the server never listed the tool; `override` comes from the policy.
 * The result may be the profile's own frozen classification: it is shared, not copied, per call.
 */
export function classifyCall(
  profile: ToolProfile | undefined,
  toolName: string,
  args: Record<string, unknown>,
  override?: Category,
): Classification {
  const known = profile ?? profileByName(toolName);
  if (override !== undefined) {
    return {
      category: override,
      risk: riskOf(override),
      signals: [
        `classified as ${override} by the policy's classify block`,
        `heuristics said ${known.classification.category}`,
      ],
    };
  }
  const selector = known.selector;
  if (selector === undefined) return known.classification;
  const argument = selector.argument;
  const value: unknown =
    typeof args === "object" && args !== null && Object.hasOwn(args, argument) ? args[argument] : undefined;
  if (typeof value === "string") {
    const classification = selector.values.get(value);
    if (classification !== undefined) return classification;
  }
  const why =
    value === undefined
      ? `no ${argument} argument: classified as the tool's most severe ${argument}`
      : `${argument} ${describeValue(value)} is not one of the tool's values: classified as its most severe ${argument}`;
  return withSignal(known.classification, why);
}
