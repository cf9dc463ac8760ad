// How a waiting call and a past decision are shown to a person (CLI, stderr, notification, page):
// every field from the agent or the server through the one sanitizer, every argument key shown.
import { type ArgumentEntry, argumentView, formatArgumentEntry } from "../display/arguments.js";
import { cutText, visibleField, visibleText, visibleToolName } from "../display/visible.js";
import type { PendingRecord, RecentDecision } from "./records.js";

/** Longest tool name, argument key or value in the CLI list and on the page before it is shortened with a marker. */
export const LISTED_VALUE_CHARS = 200;

/** A waiting call's fields, each safe to show; `arguments` has every key; the tool name, keys and values cut to the given length. */
export interface PendingView {
  id: string;
  server: string;
  tool: string;
  category: string;
  risk: string;
  reason: string;
  rule: string | null;
  arguments: ArgumentEntry[];
  /** The inbox holds only the first 64 KiB of the arguments (the wrap process holds them whole). */
  argumentsIncomplete: boolean;
  /** Whether the tool name or some key or value in `arguments` was shortened. */
  shortened: boolean;
}

/** A waiting call ready to show: the tool name, keys and values cut to `maxValueChars` (null: whole). */
export function pendingView(entry: PendingRecord, maxValueChars: number | null): PendingView {
  const view = argumentView(entry.argumentsJson, maxValueChars);
  const later = entry.keysAfterCut.map((key) => ({
    key: visibleText(key),
    keyOmittedChars: 0,
    value: NOT_KEPT_VALUE,
    omittedChars: 0,
  }));
  return {
    id: visibleField(entry.id),
    server: visibleField(entry.server),
    tool: visibleToolName(entry.tool, maxValueChars),
    category: visibleField(entry.classification.category),
    risk: visibleField(entry.classification.risk),
    reason: visibleField(entry.reason),
    rule: entry.rule === null ? null : visibleField(entry.rule),
    arguments: [...view.entries, ...later],
    argumentsIncomplete: entry.argumentsTruncated || view.incomplete,
    shortened:
      cutText(entry.tool, maxValueChars).omittedChars > 0 ||
      view.entries.some((argument) => argument.omittedChars > 0 || argument.keyOmittedChars > 0),
  };
}

/** A past decision's fields, each safe to show. */
export function recentView(decision: RecentDecision): Record<keyof RecentDecision, string | number> {
  return {
    id: visibleField(decision.id),
    server: visibleField(decision.server),
    tool: visibleToolName(decision.tool, LISTED_VALUE_CHARS),
    classification: `${visibleField(decision.classification.category)}, ${visibleField(decision.classification.risk)} risk`,
    outcome: decision.outcome,
    decidedBy: visibleField(decision.decidedBy),
    reason: visibleField(decision.reason),
    decidedAt: decision.decidedAt,
    waitedMs: decision.waitedMs,
  };
}

/** The value shown for a key past the inbox's cut: the key is kept, the value is not. */
const NOT_KEPT_VALUE = "…⟨not kept in the inbox: the wrap process holds it⟩";

/** Where the inbox cut the arguments, said where they end. */
export const INCOMPLETE_ARGUMENTS_NOTE =
  "…⟨the inbox keeps the first 64 KiB of the arguments; the wrap process holds them whole⟩";

/** The arguments of a view, one `"key": value` per line (cut markers included). */
export function argumentLines(view: PendingView): string[] {
  const lines = view.arguments.map((entry) => formatArgumentEntry(entry));
  if (view.argumentsIncomplete) lines.push(INCOMPLETE_ARGUMENTS_NOTE);
  return lines;
}

/** The arguments of a view on one line, `{"a":1,"b":"x…⟨20 more characters⟩"}`. */
export function argumentsInline(view: PendingView): string {
  const body = view.arguments.map((entry) => formatArgumentEntry(entry, ":")).join(",");
  return view.argumentsIncomplete ? `{${body}${INCOMPLETE_ARGUMENTS_NOTE}}` : `{${body}}`;
}
