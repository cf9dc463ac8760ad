// The other readings a server could make of a value, for conditions that must not be walked around by
// a spelling: a string that reads as a number for a number condition, the boolean spellings for a
// condition on a boolean, JSON text for a list or an object. Where the tool's inputSchema is known the
// arguments already come typed (read.ts) and a value has no other reading of the type it is declared as;
// these cover arguments no schema types (no tools/list yet, an empty schema, `{}` items) and a server
// whose own code converts what its schema calls a string.

import { compareNumbers, ExactNumber, isJsonNumber } from "../wire/exact-number.js";
import { parseJsonText } from "./exact.js";
import { isLaxFailure, readBooleanNumber, readBooleanText, readIntegerText, readNumberText } from "./lax.js";
import { jsonType, Type } from "./schema.js";

/** The JSON types a condition compares with, as schema.ts's type bits: what other readings are worth making. */
export function wantedTypes(values: readonly unknown[]): number {
  let bits = 0;
  for (const value of values) bits |= jsonType(value);
  return bits;
}

/** The readings of `value` of the `wanted` types other than the value itself: [] for most values. */
export function otherReadings(value: unknown, wanted: number): unknown[] {
  switch (typeof value) {
    case "string":
      return stringReadings(value, wanted);
    case "boolean":
      return wanted & Type.number ? [Number(value)] : [];
    case "number":
      return numberReadings(value, wanted);
    default:
      return value instanceof ExactNumber ? numberReadings(value, wanted) : [];
  }
}

function numberReadings(value: number | ExactNumber, wanted: number): unknown[] {
  if (!(wanted & Type.boolean)) return [];
  const reading = readBooleanNumber(value);
  return isLaxFailure(reading) ? [] : [reading];
}

function stringReadings(text: string, wanted: number): unknown[] {
  const readings: unknown[] = [];
  if (wanted & Type.number) {
    // An integer field reads " 5_000 " where a float field does not, and the other way round for "1e3".
    // Both exact: "12345678901234567890" is that integer to an integer field, and a double to a float field.
    for (const reading of [readIntegerText(text), readNumberText(text)]) {
      const value = isLaxFailure(reading)
        ? reading.fails === "inexact"
          ? Number(reading.reading)
          : null
        : reading;
      if (value === null || Number.isNaN(value)) continue;
      if (!readings.some((other) => isJsonNumber(other) && compareNumbers(other, value) === 0))
        readings.push(value);
    }
  }
  if (wanted & Type.boolean) {
    const reading = readBooleanText(text);
    if (!isLaxFailure(reading)) readings.push(reading);
  }
  if (wanted & (Type.array | Type.object | Type.null)) {
    const parsed = parseJsonText(text);
    if (parsed !== null && jsonType(parsed.value) & wanted) readings.push(parsed.value);
  }
  return readings;
}

/** A list or an object that a string stands for as JSON text, for walking a path through it; null where it does not. */
export function containerReading(text: string): unknown[] | Record<string, unknown> | null {
  const parsed = parseJsonText(text);
  if (parsed === null || typeof parsed.value !== "object" || parsed.value === null) return null;
  return parsed.value as unknown[] | Record<string, unknown>;
}
