/** A text as a whole sentence: a full stop added unless it already ends with one (or with ! or ?). */
export function asSentence(text: string): string {
  const trimmed = text.trimEnd();
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}
