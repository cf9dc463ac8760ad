// Profiling a listed tool once, so that classifying its calls is a lookup.
import { compileInputSchema } from "../arguments/schema.js";
import { applyHints, type Hints, readHints } from "./annotations.js";
import { riskOf, severityRank } from "./categories.js";
import { splitWords } from "./names.js";
import { schemaProperties, stringEnum } from "./schema.js";
import { nameVerdict, type TextVerdict, textVerdict, type Verdict } from "./text.js";
import type { Classification, ToolDefinition, ToolProfile } from "./types.js";
import { FINANCIAL_NOUNS, SELECTOR_ARGUMENTS } from "./verbs.js";

/**
 * Classifies a tool from its annotations, name, description and input schema; once per tools/list.
 * The classifications in a profile are frozen: classifyCall hands them out without copying.
 */
export function profileTool(tool: ToolDefinition): ToolProfile {
  const profile = unfrozenProfile(tool);
  freezeClassification(profile.classification);
  for (const classification of profile.selector?.values.values() ?? []) freezeClassification(classification);
  return profile;
}

function freezeClassification(classification: Classification): void {
  Object.freeze(classification.signals);
  Object.freeze(classification);
}

function unfrozenProfile(tool: ToolDefinition): ToolProfile {
  const name = typeof tool.name === "string" ? tool.name : "";
  const description = typeof tool.description === "string" ? tool.description : "";
  const hints = readHints(tool.annotations);
  const selector = findSelector(name, tool.inputSchema, hints);
  const argumentSchema = compileInputSchema(tool.inputSchema);
  if (selector !== undefined) {
    return {
      name,
      classification: mostSevereValue(selector.argument, selector.values),
      selector,
      argumentSchema,
    };
  }
  return {
    name,
    classification: toClassification(applyHints(hints, textVerdict(name, description, tool.inputSchema))),
    argumentSchema,
  };
}

/**
 * Profiles every tool of a tools/list result (unknown JSON from the server), keyed by name;
 * entries without a string name are skipped, and a name listed twice gets the more severe reading.
 */
export function profileToolList(result: unknown): Map<string, ToolProfile> {
  const profiles = new Map<string, ToolProfile>();
  const tools = typeof result === "object" && result !== null && "tools" in result ? result.tools : undefined;
  if (!Array.isArray(tools)) return profiles;
  for (const tool of tools) {
    const profile = profileListedTool(tool);
    if (profile === null) continue;
    const earlier = profiles.get(profile.name);
    profiles.set(profile.name, earlier === undefined ? profile : listedTwice(earlier, profile));
  }
  return profiles;
}

/** Profiles one entry of a tools/list result (unknown JSON from the server); null when it has no string name. */
function profileListedTool(tool: unknown): ToolProfile | null {
  if (typeof tool !== "object" || tool === null || !("name" in tool) || typeof tool.name !== "string")
    return null;
  const field = (key: string): unknown => (key in tool ? Reflect.get(tool, key) : undefined);
  const description = field("description");
  return profileTool({
    name: tool.name,
    description: typeof description === "string" ? description : undefined,
    inputSchema: field("inputSchema"),
    annotations: readHintsAsAnnotations(readHints(field("annotations"))),
  });
}

/**
 * The profile of a tool the server listed more than once: which definition the server acts on is
 * unknown, so every call gets the most severe reading of either (no selector: one definition's read
 * value is no comfort), and no schema reads its arguments (conditions then match every reading).
 */
export function listedTwice(first: ToolProfile, second: ToolProfile): ToolProfile {
  const worse =
    severityRank(second.classification.category) > severityRank(first.classification.category)
      ? second
      : first;
  const classification: Classification = {
    ...worse.classification,
    signals: ["the server listed this tool more than once: leaning severe", ...worse.classification.signals],
  };
  freezeClassification(classification);
  return { name: first.name, classification, argumentSchema: null };
}

/**
 * The profile of a tool the server listed before and no longer lists: its last definition's most
 * severe reading (no selector, no schema to read its arguments), which each call then compares with
 * the reading of a tool nobody lists (classifyCall), so that dropping a tool never makes it milder.
 */
export function noLongerListed(profile: ToolProfile): ToolProfile {
  if (profile.noLongerListed) return profile;
  const classification: Classification = {
    ...profile.classification,
    signals: [
      "the server no longer lists this tool: the most severe reading of its last definition",
      ...profile.classification.signals,
    ],
  };
  freezeClassification(classification);
  return { name: profile.name, classification, argumentSchema: null, noLongerListed: true };
}

function readHintsAsAnnotations(hints: Hints): ToolDefinition["annotations"] {
  return {
    ...(hints.readOnly === undefined ? {} : { readOnlyHint: hints.readOnly }),
    ...(hints.destructive === undefined ? {} : { destructiveHint: hints.destructive }),
    ...(hints.idempotent === undefined ? {} : { idempotentHint: hints.idempotent }),
    ...(hints.openWorld === undefined ? {} : { openWorldHint: hints.openWorld }),
  };
}

/** A verdict with its risk. */
export function toClassification(verdict: Verdict): Classification {
  return { category: verdict.category, risk: riskOf(verdict.category), signals: verdict.signals };
}

/** Whether an argument's name says it selects an action (operation, action, subcommand, ...). */
export function isSelectorName(argument: string): boolean {
  const key = argument.toLowerCase();
  return SELECTOR_ARGUMENTS.has(key) || /(_|^)(operation|action)s?$|(Operation|Action)$/.test(argument);
}

// An enum-valued argument whose values are mostly verbs (operation: list_nodes | batch_delete).
function findSelector(toolName: string, inputSchema: unknown, hints: Hints): ToolProfile["selector"] {
  const financialNouns = splitWords(toolName).filter((word) => FINANCIAL_NOUNS.has(word));
  for (const [argument, property] of schemaProperties(inputSchema)) {
    if (!isSelectorName(argument)) continue;
    const values = stringEnum(property);
    if (values === undefined || values.length < 2) continue;
    const verdicts = values.map((value) =>
      nameVerdict([...splitWords(value), ...financialNouns], `${argument} "${value}"`),
    );
    const withVerb = verdicts.filter((verdict) => verdict !== undefined).length;
    if (withVerb === 0 || withVerb * 2 < values.length) continue;
    const classified = new Map<string, Classification>();
    values.forEach((value, index) => {
      const verdict = verdicts[index];
      const text: TextVerdict =
        verdict === undefined
          ? {
              category: "write",
              signals: [`${argument} "${value}" has no verb: an unknown action is write, never read`],
              nameCategory: undefined,
              unknown: true,
            }
          : {
              category: verdict.category,
              signals: verdict.signals,
              nameCategory: verdict.category,
              unknown: false,
            };
      classified.set(value, toClassification(applyHints(hints, text)));
    });
    return { argument, values: classified };
  }
  return undefined;
}

// The tool's own classification: its most severe value (the first in enum order on a tie).
function mostSevereValue(argument: string, values: ReadonlyMap<string, Classification>): Classification {
  let worst: [string, Classification] | undefined;
  for (const entry of values) {
    if (worst === undefined || severityRank(entry[1].category) > severityRank(worst[1].category))
      worst = entry;
  }
  if (worst === undefined) throw new Error("a selector has at least two values");
  const [value, classification] = worst;
  return {
    ...classification,
    signals: [`most severe ${argument}: ${value}`, ...classification.signals],
  };
}
