// What a tool's name, description and input schema say it does, before annotations are weighed.
import { moreSevere, severityRank } from "./categories.js";
import { splitWords, textWords } from "./names.js";
import { isFreeText, propertyDescription, schemaProperties } from "./schema.js";
import type { Category } from "./types.js";
import {
  CONNECTOR_WORDS,
  DESTRUCTIVE_PHRASES,
  EXECUTE_PROPERTIES,
  FINANCIAL_NOUNS,
  FINANCIAL_PROPERTIES,
  HTTP_METHOD_WORDS,
  MULTIPLEXER_VERBS,
  PATH_PROPERTIES,
  READ_ONLY_PHRASES,
  VERBS,
  verbCategory,
} from "./verbs.js";

/** A category with the signals behind it. */
export interface Verdict {
  category: Category;
  signals: string[];
}

/** The verdict of the text, and whether a verb was found in the name (the strongest text signal). */
export interface TextVerdict extends Verdict {
  /** The category the name's own verb gave, if it had one. */
  nameCategory: Category | undefined;
  /** True when nothing in the text said what the tool does (the write is a default, not evidence). */
  unknown: boolean;
}

interface NameVerb {
  verb: string;
  category: Category;
  index: number;
}

// The verb that leads a name: the first lexicon word, except an HTTP method followed by a real verb
// (API-post-search searches).
function leadingNameVerb(words: readonly string[]): NameVerb | undefined {
  for (let index = 0; index < words.length; index++) {
    const word = words[index] ?? "";
    const category = VERBS.get(word);
    if (category === undefined) continue;
    if (HTTP_METHOD_WORDS.has(word) && words.slice(index + 1).some((later) => VERBS.has(later))) continue;
    return { verb: word, category, index };
  }
  return undefined;
}

function positionSignal(subject: string, verb: NameVerb, wordCount: number): string {
  if (verb.index === 0) return `${subject} starts with ${verb.verb}`;
  if (verb.index === wordCount - 1) return `${subject} ends with ${verb.verb}`;
  return `${subject} contains the verb ${verb.verb}`;
}

/**
 * What the words of a name say; undefined if they hold no verb. `subject` names it in the signals
 * ("name", or `operation "batch_delete"` for a selector value).
 */
export function nameVerdict(
  words: readonly string[],
  subject = "name",
): (Verdict & { verb: string }) | undefined {
  const lead = leadingNameVerb(words);
  if (lead === undefined) return undefined;
  let category = lead.category;
  const signals = [positionSignal(subject, lead, words.length)];
  // create_or_update, search_and_replace: each joined action counts, the most severe wins.
  for (let index = lead.index + 1; index < words.length; index++) {
    const joined = VERBS.get(words[index] ?? "");
    if (joined === undefined || !CONNECTOR_WORDS.has(words[index - 1] ?? "")) continue;
    if (severityRank(joined) > severityRank(category)) {
      category = joined;
      signals.push(`${subject} also says ${words[index]}`);
    }
  }
  if (category !== "read" && category !== "financial") {
    const noun = words.find((word, index) => index !== lead.index && FINANCIAL_NOUNS.has(word));
    if (noun !== undefined) {
      category = "financial";
      signals.push(`${subject} changes something financial (${noun})`);
    }
  }
  return { category, signals, verb: lead.verb };
}

interface DescriptionFacts {
  lead: { verb: string; category: Category } | undefined;
  mostSevere: { verb: string; category: Category } | undefined;
  readOnlyPhrase: string | undefined;
  destructivePhrase: string | undefined;
}

// The first sentence's first verb, the most severe verb anywhere, and telling phrases.
function descriptionFacts(description: string): DescriptionFacts {
  const lower = description.toLowerCase();
  const firstSentence = lower.trim().split(/[.!?]\s|\n/, 1)[0] ?? "";
  let lead: DescriptionFacts["lead"];
  for (const word of textWords(firstSentence)) {
    lead = verbCategory(word, true);
    if (lead !== undefined) break;
  }
  let mostSevere: DescriptionFacts["mostSevere"];
  for (const word of textWords(lower)) {
    const found = verbCategory(word, true);
    if (
      found !== undefined &&
      (mostSevere === undefined || severityRank(found.category) > severityRank(mostSevere.category))
    ) {
      mostSevere = found;
    }
  }
  return {
    lead,
    mostSevere,
    readOnlyPhrase: READ_ONLY_PHRASES.find((phrase) => lower.includes(phrase)),
    destructivePhrase: DESTRUCTIVE_PHRASES.find((phrase) => lower.includes(phrase)),
  };
}

/** What a tool's name, description and input schema say it does, leaning severe when they disagree. */
export function textVerdict(name: string, description: string, inputSchema: unknown): TextVerdict {
  const nameWords = splitWords(name);
  const fromName = nameVerdict(nameWords);
  const facts = descriptionFacts(description);
  const signals: string[] = [];
  let category: Category;

  if (fromName !== undefined && !MULTIPLEXER_VERBS.has(fromName.verb)) {
    category = fromName.category;
    signals.push(...fromName.signals);
    // A read verb in the name is specific ("find"); "Run a find query" only describes the mechanism.
    const lead = facts.lead;
    if (category !== "read" && lead !== undefined && severityRank(lead.category) > severityRank(category)) {
      category = lead.category;
      signals.push(`description says ${lead.verb}, more severe than the name: leaning severe`);
    }
  } else if (fromName !== undefined || MULTIPLEXER_VERBS.has(facts.lead?.verb ?? "")) {
    // manage_x does whatever its description lists: take the most severe action named there.
    const verb = fromName?.verb ?? facts.lead?.verb ?? "";
    category = "write";
    signals.push(...(fromName?.signals ?? [`description starts with ${verb}`]), `${verb} is ambiguous`);
    if (facts.mostSevere !== undefined && severityRank(facts.mostSevere.category) > severityRank(category)) {
      category = facts.mostSevere.category;
      signals.push(`description mentions ${facts.mostSevere.verb}`);
    }
  } else if (facts.lead !== undefined) {
    category = facts.lead.category;
    signals.push(`no verb in the name; description starts with ${facts.lead.verb}`);
    const noun = nameWords.find((word) => FINANCIAL_NOUNS.has(word));
    if (category !== "read" && noun !== undefined) {
      category = moreSevere(category, "financial");
      signals.push(`name changes something financial (${noun})`);
    }
  } else {
    category = "write";
    signals.push("no verb in name or description: an unknown tool is write, never read");
  }

  if (category === "execute" && facts.readOnlyPhrase !== undefined) {
    category = "read";
    signals.push(`description says "${facts.readOnlyPhrase}"`);
  }
  if (
    category !== "read" &&
    facts.destructivePhrase !== undefined &&
    severityRank(category) < severityRank("destructive")
  ) {
    category = "destructive";
    signals.push(`description says "${facts.destructivePhrase}"`);
  }

  const schema = schemaVerdict(inputSchema, category, fromName?.category, description);
  return {
    category: schema.category,
    signals: [...signals, ...schema.signals],
    nameCategory: fromName?.category,
    unknown: fromName === undefined && facts.lead === undefined && schema.category === "write",
  };
}

// Code, money and paths among the input properties.
function schemaVerdict(
  inputSchema: unknown,
  current: Category,
  nameCategory: Category | undefined,
  description: string,
): Verdict {
  let category = current;
  const signals: string[] = [];
  const mentionsSql = /\b(sql|cypher|graphql|select)\b/i;
  for (const [property, schema] of schemaProperties(inputSchema)) {
    const key = property.toLowerCase();
    const isCode =
      EXECUTE_PROPERTIES.has(key) ||
      (key === "query" && mentionsSql.test(`${propertyDescription(schema)} ${description}`));
    if (
      isCode &&
      isFreeText(schema) &&
      nameCategory !== "read" &&
      severityRank(category) < severityRank("execute")
    ) {
      category = "execute";
      signals.push(`accepts code or a command to run (${property})`);
    } else if (FINANCIAL_PROPERTIES.has(key) && category !== "read" && category !== "financial") {
      category = "financial";
      signals.push(`accepts an amount of money (${property})`);
    } else if (
      PATH_PROPERTIES.has(key) &&
      !signals.some((signal) => signal.startsWith("accepts a filesystem path"))
    ) {
      signals.push(`accepts a filesystem path (${property})`);
    }
  }
  return { category, signals };
}
