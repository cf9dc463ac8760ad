// The hot path: classifying one tools/call from its tool's profile.
import { riskOf, severityRank } from "./categories.js";
import { splitWords } from "./names.js";
import { isSelectorName, profileTool } from "./profile.js";
import { nameVerdict } from "./text.js";
import type { Category, Classification, ToolProfile } from "./types.js";
import { FINANCIAL_PROPERTIES, isCodePropertyName } from "./verbs.js";

// A tool the server does not list: the most severe reading of its name and of its arguments, since no
// definition says which of them matter (operation: "delete", a `sql` string, an `amount`).
function unlistedClassification(toolName: string, args: Record<string, unknown>): Classification {
  let worst = profileTool({ name: toolName }).classification;
  const consider = (category: Category, signal: string): void => {
    if (severityRank(category) > severityRank(worst.category))
      worst = { category, risk: riskOf(category), signals: [signal] };
  };
  for (const [key, value] of Object.entries(args)) {
    const lower = key.toLowerCase();
    if (isCodePropertyName(splitWords(key)) && isTextOrTexts(value))
      consider("execute", `${key} may be code to run`);
    if (FINANCIAL_PROPERTIES.has(lower)) consider("financial", `${key} may be an amount of money`);
    if (typeof value !== "string" || !isSelectorName(key)) continue;
    const verdict = nameVerdict(splitWords(value), `${key} ${describeValue(value)}`);
    if (verdict !== undefined) consider(verdict.category, verdict.signals.join("; "));
  }
  return {
    category: worst.category,
    risk: worst.risk,
    signals: [
      "the server does not list this tool: the most severe reading of its name and arguments",
      ...worst.signals,
    ],
  };
}

function isTextOrTexts(value: unknown): boolean {
  return (
    typeof value === "string" || (Array.isArray(value) && value.some((item) => typeof item === "string"))
  );
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
 * `profile` undefined means the server does not list the tool; `override` comes from the policy.
 * The result may be the profile's own frozen classification: it is shared, not copied, per call.
 */
export function classifyCall(
  profile: ToolProfile | undefined,
  toolName: string,
  args: Record<string, unknown>,
  override?: Category,
): Classification {
  if (override !== undefined) {
    const heuristics =
      profile === undefined ? unlistedClassification(toolName, args) : profile.classification;
    return {
      category: override,
      risk: riskOf(override),
      signals: [
        `classified as ${override} by the policy's classify block`,
        `heuristics said ${heuristics.category}`,
      ],
    };
  }
  if (profile === undefined) return unlistedClassification(toolName, args);
  if (profile.noLongerListed) {
    // Its last definition, or what its name and arguments say, whichever is more severe.
    const unlisted = unlistedClassification(toolName, args);
    return severityRank(unlisted.category) > severityRank(profile.classification.category)
      ? unlisted
      : profile.classification;
  }
  const known = profile;
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
