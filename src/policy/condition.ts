// A `when` condition over a call: the path it names (`args.a.0.b`, with `*` for any element of a list
// or any member of an object), and the readings of the value there that a server could make (see
// arguments/readings.ts). A deny or approval rule's condition holds when any reading holds, an allow
// rule's only when every reading does, so a spelling never turns a denial into an allow.

import { argumentPath } from "../arguments/call.js";
import { isLaxFailure, readIntegerText } from "../arguments/lax.js";
import { containerReading, otherReadings, wantedTypes } from "../arguments/readings.js";
import { Type } from "../arguments/schema.js";
import { compareNumbers, numberFromText } from "../wire/exact-number.js";
import type {
  CompiledCondition,
  ConditionDocument,
  ConditionFinding,
  RuleAction,
  ToolCall,
} from "./types.js";

/** What a condition finds where the call has no value at its path. */
export const ABSENT: unique symbol = Symbol("absent");
/** An allow rule's path that runs through JSON text: the server may read a structure there, so the condition does not hold. */
const THROUGH_TEXT: unique symbol = Symbol("through JSON text");
const EACH: unique symbol = Symbol("*");

type Segment = string | typeof EACH;

/**
 * The types whose other readings a condition looks at: numbers for comparisons, the types of the
 * values compared with, strings (a URL's, a UUID's, an address's other spellings) for text operators.
 */
function conditionWants(condition: ConditionDocument): number {
  switch (condition.op) {
    case "lt":
    case "lte":
    case "gt":
    case "gte":
      return Type.number;
    case "eq":
    case "neq":
      return wantedTypes([condition.value]);
    case "in":
    case "not_in":
      return wantedTypes(Array.isArray(condition.value) ? condition.value : []);
    case "contains":
      return Type.array | Type.string;
    case "regex":
    case "glob":
    case "starts_with":
      return Type.string;
    default:
      return 0;
  }
}

/**
 * Compiles a condition for a rule of `action`: `onPresent` is the operator's predicate on a present
 * value. The path is split once; `args.operation` is one own-property lookup.
 */
export function compilePathCondition(
  condition: ConditionDocument,
  onPresent: (actual: unknown) => boolean,
  action: RuleAction,
): CompiledCondition {
  const matchesAbsent = condition.op === "exists" && condition.value === false;
  const wanted = conditionWants(condition);
  const anyReading = action !== "allow";

  /** Whether the condition holds for the value at one place (ABSENT where there is none). */
  const holdsFor = (value: unknown): boolean => {
    if (value === ABSENT) return matchesAbsent;
    if (value === THROUGH_TEXT || matchesAbsent) return false;
    // Any reading decides for a deny rule once one holds, every reading for an allow rule once one fails.
    const direct = onPresent(value);
    if (wanted === 0 || direct === anyReading) return direct;
    for (const reading of otherReadings(value, wanted))
      if (onPresent(reading) === anyReading) return anyReading;
    return direct;
  };

  const base = { path: condition.path, op: condition.op, value: condition.value };
  if (condition.path === "tool") {
    return {
      ...base,
      test: (call) => onPresent(call.name),
      explain: (call) => ({ holds: onPresent(call.name), path: "tool", value: call.name }),
    };
  }
  const segments: Segment[] = condition.path
    .split(".")
    .slice(1)
    .map((segment) => (segment === "*" ? EACH : segment));
  const [only] = segments;
  const test =
    segments.length === 1 && typeof only === "string" && !/^\d+$/.test(only)
      ? (call: ToolCall) => holdsFor(Object.hasOwn(call.arguments, only) ? call.arguments[only] : ABSENT)
      : (call: ToolCall) => visit(call.arguments, segments, 0, [], anyReading, holdsFor);
  return {
    ...base,
    test,
    explain(call) {
      let first: ConditionFinding | null = null;
      let found: ConditionFinding | null = null;
      visit(call.arguments, segments, 0, [], anyReading, (value, trail, rest) => {
        const holds = holdsFor(value);
        const unwalked = segments.slice(rest).map((segment) => (segment === EACH ? "*" : segment));
        const path = ["args", ...(trail.length > 0 ? [argumentPath(trail)] : []), ...unwalked].join(".");
        const finding: ConditionFinding = { holds, path, value: value === THROUGH_TEXT ? ABSENT : value };
        if (value !== ABSENT && value !== THROUGH_TEXT && onPresent(value) !== holds) {
          // The reading that decided: the one that held (deny), or the one that failed (allow).
          finding.reading = otherReadings(value, wanted).find((reading) => onPresent(reading) === holds);
        }
        first ??= finding;
        if (holds) found = finding;
        return holds;
      });
      return found ?? first ?? { holds: false, path: condition.path, value: ABSENT };
    },
  };
}

/**
 * Walks `segments` from `value`, calling `at` with each value the path reaches (ABSENT where it
 * reaches none), the keys that led there and the index of the segments not walked, until `at`
 * answers true; returns whether it did.
 * Own properties only, so `args.constructor` is absent. `*` visits every element or member; with
 * none, the path is absent. A string met before the path ends is walked into where it is JSON text
 * (`lookInsideText`, for deny and approval rules); for allow rules the place counts as THROUGH_TEXT.
 */
function visit(
  value: unknown,
  segments: readonly Segment[],
  index: number,
  trail: (string | number)[],
  lookInsideText: boolean,
  at: (value: unknown, trail: readonly (string | number)[], rest: number) => boolean,
): boolean {
  if (index === segments.length) return at(value, trail, index);
  if (typeof value === "string") {
    const container = containerReading(value);
    if (container === null) return at(ABSENT, trail, index);
    if (!lookInsideText) return at(THROUGH_TEXT, trail, index);
    // The server may read the text as the structure it stands for, or keep it as text (then nothing is there).
    return at(ABSENT, trail, index) || visit(container, segments, index, trail, lookInsideText, at);
  }
  const segment = segments[index] as Segment;
  const step = (key: string | number, next: unknown): boolean => {
    trail.push(key);
    const stop = visit(next, segments, index + 1, trail, lookInsideText, at);
    trail.pop();
    return stop;
  };
  if (segment === EACH) {
    if (Array.isArray(value) && value.length > 0) return value.some((item, i) => step(i, item));
    if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      const keys = Object.keys(value);
      if (keys.length > 0) return keys.some((key) => step(key, Reflect.get(value, key)));
    }
    return at(ABSENT, trail, index);
  }
  if (Array.isArray(value)) {
    const position = /^\d+$/.test(segment) ? Number(segment) : -1;
    return position >= 0 && position < value.length
      ? step(position, value[position])
      : at(ABSENT, trail, index);
  }
  if (typeof value === "object" && value !== null) {
    const own = Object.hasOwn(value, segment);
    // `args.limits.1` also reads " 1", "01", "+1": a dict[int, ...] field takes each of them as the
    // key 1 (the last one given wins there). A deny rule holds when one of them does; an allow rule
    // needs the key as spelled, and every one of them to hold.
    const keys = INTEGER_SEGMENT.test(segment) ? keysReadAsInteger(value, segment) : own ? [segment] : [];
    const take = (key: string) => step(key, Reflect.get(value, key));
    if (lookInsideText && keys.length > 0) return keys.some(take);
    if (!lookInsideText && own) return keys.every(take);
  }
  return at(ABSENT, trail, index);
}

/** A path step that is an integer (`1` in `args.limits.1`), which a `dict[int, ...]` field may hold under other keys. */
export const INTEGER_SEGMENT = /^-?\d+$/;

/** The keys of `value` that a pydantic `dict[int, ...]` field reads as the integer `segment` spells (`"1"`, `" 1"`, `"01"`), in order. */
export function keysReadAsInteger(value: object, segment: string): string[] {
  return Object.keys(value).filter((key) => key === segment || sameInteger(key, segment));
}

/** Whether an object's key reads, to a pydantic integer field, as the integer `segment` spells. */
function sameInteger(key: string, segment: string): boolean {
  const reading = readIntegerText(key);
  return !isLaxFailure(reading) && compareNumbers(reading, numberFromText(segment)) === 0;
}
