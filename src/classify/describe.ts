import type { Classification } from "./types.js";

/** One human line for a classification, for logs and denials: "destructive (critical): name starts with delete; …". */
export function describeClassification(classification: Classification): string {
  const because = classification.signals.length > 0 ? `: ${classification.signals.join("; ")}` : "";
  return `${classification.category} (${classification.risk})${because}`;
}
