// How the server's annotations combine with what the text says. Annotations are the strongest
// signal, but a contradiction with the text leans to the more severe side.
import { moreSevere, severityRank } from "./categories.js";
import { isRecord } from "./schema.js";
import type { TextVerdict, Verdict } from "./text.js";

/** The hints a server sent, each kept only if it is a boolean. */
export interface Hints {
  readOnly: boolean | undefined;
  destructive: boolean | undefined;
  idempotent: boolean | undefined;
  openWorld: boolean | undefined;
}

/** Reads the annotation hints defensively: a non-boolean hint counts as not given. */
export function readHints(annotations: unknown): Hints {
  const from = isRecord(annotations) ? annotations : {};
  const hint = (key: string): boolean | undefined =>
    typeof from[key] === "boolean" ? Boolean(from[key]) : undefined;
  return {
    readOnly: hint("readOnlyHint"),
    destructive: hint("destructiveHint"),
    idempotent: hint("idempotentHint"),
    openWorld: hint("openWorldHint"),
  };
}

/** The verdict once the annotations have been weighed against the text. */
export function applyHints(hints: Hints, text: TextVerdict): Verdict {
  const extra: string[] = [];
  if (hints.idempotent !== undefined) extra.push(`idempotentHint: ${hints.idempotent}`);
  if (hints.openWorld !== undefined) extra.push(`openWorldHint: ${hints.openWorld}`);
  const reason = text.signals[0] ?? "the text says otherwise";

  if (hints.readOnly === undefined && hints.destructive === undefined) {
    return {
      category: text.category,
      signals: [
        ...text.signals,
        "no readOnlyHint or destructiveHint: the tool may write and destroy",
        ...extra,
      ],
    };
  }

  if (hints.readOnly === true && hints.destructive === true) {
    return {
      category: moreSevere("destructive", text.category),
      signals: [
        "conflict: readOnlyHint: true and destructiveHint: true; leaning severe",
        ...text.signals,
        ...extra,
      ],
    };
  }

  if (hints.readOnly === true) {
    // A read-only query or job is plausible; a read-only delete is a contradiction.
    if (!text.unknown && text.category !== "execute" && severityRank(text.category) > severityRank("read")) {
      return {
        category: text.category,
        signals: [`conflict: readOnlyHint: true but ${reason}; leaning severe`, ...text.signals, ...extra],
      };
    }
    const accepted =
      text.category === "execute" ? [`${reason}, taken as a read-only query or job`] : text.signals;
    return { category: "read", signals: ["readOnlyHint: true", ...accepted, ...extra] };
  }

  const signals: string[] = [];
  if (hints.readOnly === false) signals.push("readOnlyHint: false");
  let category = moreSevere("write", text.category);

  if (hints.destructive === true) {
    signals.push("destructiveHint: true");
    // get_x with destructiveHint: true: the server's word against the name's; the more severe wins.
    category = moreSevere("destructive", text.category);
  } else if (hints.destructive === false) {
    signals.push("destructiveHint: false");
    if (text.category === "destructive")
      signals.push(`conflict: destructiveHint: false but ${reason}; leaning severe`);
  } else {
    signals.push("destructiveHint not given (the spec's default says it may destroy)");
  }
  if (text.category === "read")
    signals.push(`conflict: the server says it is not read-only but ${reason}; leaning severe`);
  return { category, signals: [...signals, ...text.signals, ...extra] };
}
