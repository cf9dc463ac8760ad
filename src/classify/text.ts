// What a tool's name, description and input schema say it does, before annotations are weighed.
import { moreSevere, severityRank } from "./categories.js";
import { splitWords, textWords } from "./names.js";
import { isFreeTextOrList, propertyDescription, schemaProperties } from "./schema.js";
import type { Category } from "./types.js";
import {
  CONNECTOR_WORDS,
  DATA_QUERY_LANGUAGES,
  DESCRIPTION_FINANCIAL_NOUNS,
  DESTRUCTIVE_PHRASES,
  FINANCIAL_NOUNS,
  FINANCIAL_PROPERTIES,
  FINANCIAL_VERBS_AS_NOUNS,
  HTTP_METHOD_WORDS,
  isCodePropertyName,
  MULTIPLEXER_VERBS,
  OBJECT_DEPENDENT_READ_VERBS,
  PATH_PROPERTIES,
  READ_ONLY_PHRASES,
  READ_QUERY_SUBJECTS,
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

// The verb that leads a name: the first lexicon word, except an HTTP method or a financial noun
// followed by a real verb (API-post-search searches, purchase_get gets).
function leadingNameVerb(words: readonly string[]): NameVerb | undefined {
  for (let index = 0; index < words.length; index++) {
    const word = words[index] ?? "";
    const category = VERBS.get(word);
    if (category === undefined) continue;
    const yields = HTTP_METHOD_WORDS.has(word) || FINANCIAL_VERBS_AS_NOUNS.has(word);
    if (yields && words.slice(index + 1).some((later) => VERBS.has(later))) continue;
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
  const changes = category !== "read" || OBJECT_DEPENDENT_READ_VERBS.has(lead.verb);
  if (changes && category !== "financial") {
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
  /** The most severe verb joined to the lead by and/or/then ("Download and import"), if any. */
  joined: { verb: string; category: Category } | undefined;
  mostSevere: { verb: string; category: Category } | undefined;
  /** The words of the first sentence. */
  firstWords: readonly string[];
  /** A verb of the first sentence that moves money ("by placing sell orders"), if any. */
  moneyVerb: string | undefined;
  /** A financial noun that a changing verb of the first sentence acts on ("accept UPI payments"), if any. */
  moneyObject: string | undefined;
  /** A read-only phrase that describes the tool itself (in the first sentence, or "this tool is read-only"). */
  readOnlyPhrase: string | undefined;
  destructivePhrase: string | undefined;
}

// Words that start the object of a verb ("and import the asset", "and send it").
const OBJECT_STARTS: ReadonlySet<string> = new Set([
  "the",
  "a",
  "an",
  "it",
  "them",
  "its",
  "their",
  "this",
  "that",
]);

// Words that end a verb's object ("create a shipment for a transaction": the object is the shipment).
// biome-ignore format: word lists read better packed
const PREPOSITIONS: ReadonlySet<string> = new Set([
  "for", "to", "in", "from", "of", "with", "on", "by", "into", "at", "as", "via", "using", "and", "or",
]);

// The verb at `index` if it is joined to the sentence's action by and/or/then: right after the lead
// ("Download and import") or followed by its object ("..., and import the asset"). Other verb-looking
// words after "and" are mostly nouns ("name, and type"; "and payout details").
function joinedVerb(
  words: readonly string[],
  index: number,
  leadIndex: number,
): { verb: string; category: Category } | undefined {
  const word = words[index] ?? "";
  const category = VERBS.get(word);
  if (category === undefined || FINANCIAL_VERBS_AS_NOUNS.has(word)) return undefined;
  if (!CONNECTOR_WORDS.has(words[index - 1] ?? "")) return undefined;
  const rightAfterLead = index - 2 === leadIndex;
  return rightAfterLead || OBJECT_STARTS.has(words[index + 1] ?? "") ? { verb: word, category } : undefined;
}

// Where a transfer that moves value starts or ends ("Transfer tokens from one wallet to another").
const VALUE_HOLDERS: ReadonlySet<string> = new Set(["wallet", "wallets", "bank"]);

// A financial noun within the object of a changing verb (up to four words after it, before a
// preposition), or a value holder anywhere in a transfer.
function moneyObject(words: readonly string[]): string | undefined {
  for (const [index, word] of words.entries()) {
    const category = verbCategory(word, true)?.category;
    if (category === undefined || category === "read") continue;
    if (verbCategory(word, true)?.verb === "transfer") {
      const holder = words.find((other) => VALUE_HOLDERS.has(other));
      if (holder !== undefined) return holder;
    }
    for (const later of words.slice(index + 1, index + 5)) {
      if (PREPOSITIONS.has(later)) break;
      if (DESCRIPTION_FINANCIAL_NOUNS.has(later)) return later;
    }
  }
  return undefined;
}

// What a read-only query does: these words name it, not another operation.
const READ_QUERY_WORDS: ReadonlySet<string> = new Set(["query", "queries", "select", "statement"]);

// The most severe changing or running operation the description names besides its lead verb, with
// identifiers split ("DeleteCluster", "ExecuteCommand"): a tool that lists them is not read-only.
function otherOperation(
  description: string,
  leadVerb: string | undefined,
): { verb: string; category: Category } | undefined {
  let found: { verb: string; category: Category } | undefined;
  for (const word of splitWords(description)) {
    if (READ_QUERY_WORDS.has(word)) continue;
    const verb = verbCategory(word, true);
    if (verb === undefined || verb.category === "read" || verb.verb === leadVerb) continue;
    if (found === undefined || severityRank(verb.category) > severityRank(found.category)) found = verb;
  }
  return found;
}

// The first sentence's first verb and the verbs joined to it, the most severe verb anywhere, and
// telling phrases.
function descriptionFacts(description: string): DescriptionFacts {
  const lower = description.toLowerCase();
  const firstSentence = lower.trim().split(/[.!?]\s|\n/, 1)[0] ?? "";
  const firstWords = textWords(firstSentence);
  let lead: DescriptionFacts["lead"];
  let leadIndex = firstWords.length;
  for (const [index, word] of firstWords.entries()) {
    lead = verbCategory(word, true);
    if (lead !== undefined) {
      leadIndex = index;
      break;
    }
  }
  let joined: DescriptionFacts["joined"];
  for (let index = leadIndex + 2; index < firstWords.length; index++) {
    const verb = joinedVerb(firstWords, index, leadIndex);
    if (
      verb !== undefined &&
      (joined === undefined || severityRank(verb.category) > severityRank(joined.category))
    )
      joined = verb;
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
    joined,
    moneyObject: moneyObject(firstWords),
    moneyVerb: firstWords
      .map((word) => verbCategory(word, true))
      .find((found) => found?.category === "financial" && !FINANCIAL_VERBS_AS_NOUNS.has(found.verb))?.verb,
    mostSevere,
    firstWords,
    readOnlyPhrase: READ_ONLY_PHRASES.find(
      (phrase) => firstSentence.includes(phrase) || lower.includes(`this tool is ${phrase}`),
    ),
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

  const joined = facts.joined;
  if (joined !== undefined && severityRank(joined.category) > severityRank(category)) {
    category = joined.category;
    signals.push(`description also says ${joined.verb}: leaning severe`);
  }
  const readQuery =
    category === "execute" ? readQuerySubject([...nameWords, ...facts.firstWords]) : undefined;
  if (readQuery !== undefined) {
    category = "read";
    signals.push(`a query of ${readQuery} reads`);
  }
  if (category !== "read" && category !== "financial" && facts.moneyVerb !== undefined) {
    // close_position "Closes a position by placing a sell order": the means moves money.
    category = "financial";
    signals.push(`description says ${facts.moneyVerb}: leaning severe`);
  }
  if (category === "write" && facts.moneyObject !== undefined) {
    category = "financial";
    signals.push(`description changes something financial (${facts.moneyObject})`);
  }

  if (category === "execute" && facts.readOnlyPhrase !== undefined) {
    // Looked for only here: the whole description's words, for the few tools that say "read-only".
    const other = otherOperation(description, facts.lead?.verb);
    if (other === undefined) {
      category = "read";
      signals.push(`description says "${facts.readOnlyPhrase}"`);
    } else {
      // "read-only" for some operations of a tool that also names others (DeleteCluster, INSERT).
      category = moreSevere(category, other.category);
      signals.push(`description says "${facts.readOnlyPhrase}" but also names ${other.verb}: leaning severe`);
    }
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

// What a query is about when it reads (metrics, logs, a search index); undefined when the words do
// not name a query, name none of those, or name a language that can change data (SQL).
function readQuerySubject(words: readonly string[]): string | undefined {
  if (!words.some((word) => word === "query" || word === "queries")) return undefined;
  if (words.some((word) => DATA_QUERY_LANGUAGES.has(word))) return undefined;
  return words.find((word) => READ_QUERY_SUBJECTS.has(word));
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
      isCodePropertyName(splitWords(property)) ||
      (key === "query" && mentionsSql.test(`${propertyDescription(schema)} ${description}`));
    if (
      isCode &&
      isFreeTextOrList(schema) &&
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
