// Reading a call's arguments as a server that validates them against the tool's inputSchema will:
// a string where a number, an integer or a boolean is declared is read as pydantic's lax mode reads
// it, and JSON text given for a top-level argument is parsed as the server's own pre-parsing (the
// Python MCP SDK's pre_parse_json) does, before the rest. The reading is what is decided and
// forwarded. Arguments that are already of their declared types are returned as they are.

import { jsonEqual } from "../policy/compile.js";
import { ExactNumber, isIntegral, isJsonNumber } from "../wire/exact-number.js";
import { stringifyJson } from "../wire/json.js";
import { parseJsonText } from "./exact.js";
import {
  exactDouble,
  isLaxFailure,
  type LaxFailure,
  readBooleanNumber,
  readBooleanText,
  readIntegerText,
  readNumberText,
} from "./lax.js";
import { jsonType, type SchemaNode, Type, type TypedNode } from "./schema.js";

/** Why arguments cannot be read as their schema declares: where (keys and indexes from the arguments), and what is wrong. */
export interface ArgumentProblem {
  path: (string | number)[];
  /** The sentence after the argument's name: `must be an integer; got "5000.5", which does not read as one`. */
  problem: string;
}

/** The arguments as the server will read them (`changed`: some value is not as sent), or why they cannot be read. */
export type ArgumentReading =
  | { ok: true; arguments: Record<string, unknown>; changed: boolean }
  | { ok: false; problem: ArgumentProblem };

export interface ReadOptions {
  /**
   * Let top-level keys the schema does not declare through as sent (a policy's choice for a tool);
   * refused otherwise. Inside a declared object an undeclared key stays refused: there it is most
   * often a model's field name beside its alias, which pydantic takes (populate_by_name) where a
   * condition on the alias would not see it.
   */
  allowUndeclared: boolean;
  /** Where the read adds how many schema nodes it read values against (for tests of its growth). */
  work?: { steps: number };
}

const FAILED = Symbol("failed");
type Read = unknown | typeof FAILED;

/** The first problem met; its path is filled in, key by key, as the walk unwinds from it. */
interface Context {
  options: ReadOptions;
  problem: ArgumentProblem | null;
  /** readValue calls made so far, and how many of them are open now. */
  steps: number;
  depth: number;
  /** Reads made once steps passed MEMO_AFTER, by strictness (lax, strict), node and value: see readValue. */
  memo: [Map<SchemaNode, Map<unknown, Memo>>, Map<SchemaNode, Map<unknown, Memo>>] | null;
}

/** A read made: its result, and the problem it left (path from the value read) when it failed. */
type Memo = { read: Read; problem: ArgumentProblem | null } | typeof IN_PROGRESS;
const IN_PROGRESS = Symbol("in progress");

/**
 * After this many readValue calls a read remembers what it has read. A schema's shared parts (two
 * members of a union, or of an allOf, holding the same $ref) would otherwise read the same value
 * again on every path to it: 2^depth reads of one short nested list. Small calls never get here.
 */
const MEMO_AFTER = 256;
/** readValue calls open at once: deeper is refused (a value nested so deep, or a schema that refers to itself in a loop). */
export const MAX_READ_DEPTH = 1000;

const TYPE_WORDS: [number, string][] = [
  [Type.string, "a string"],
  [Type.integer, "an integer"],
  [Type.number, "a number"],
  [Type.boolean, "a boolean"],
  [Type.null, "null"],
  [Type.array, "a list"],
  [Type.object, "an object"],
];

/** Reads a call's arguments against its tool's compiled inputSchema. */
export function readArguments(
  schema: SchemaNode,
  args: Record<string, unknown>,
  options: ReadOptions,
): ArgumentReading {
  const context: Context = { options, problem: null, steps: 0, depth: 0, memo: null };
  const read = readValue(schema, args, false, context, true);
  if (options.work !== undefined) options.work.steps += context.steps;
  if (read === FAILED || typeof read !== "object" || read === null || Array.isArray(read)) {
    return { ok: false, problem: context.problem ?? { path: [], problem: `must be ${describe(schema)}` } };
  }
  return { ok: true, arguments: read as Record<string, unknown>, changed: read !== args };
}

function fail(context: Context, problem: string): typeof FAILED {
  context.problem ??= { path: [], problem };
  return FAILED;
}

/**
 * `strict`: no conversion anywhere below (a union's first pass); `top`: the arguments object itself.
 * A node reads a value the same way wherever it meets it, so once a read is large, each (node, value,
 * strictness) is read once and remembered: the work is bounded by the schema's nodes times the values.
 */
function readValue(node: SchemaNode, value: unknown, strict: boolean, context: Context, top = false): Read {
  if (context.depth >= MAX_READ_DEPTH) {
    return fail(
      context,
      `nests deeper than policylayer reads (${MAX_READ_DEPTH} levels of the tool's inputSchema, or a schema that refers to itself without end)`,
    );
  }
  context.steps++;
  const known = context.steps > MEMO_AFTER && !top ? memoOf(context, node, strict) : null;
  if (known !== null) {
    const memo = known.get(value);
    if (memo === IN_PROGRESS) {
      return fail(context, "is read by a part of the tool's inputSchema that refers to itself without end");
    }
    if (memo !== undefined) {
      if (memo.problem !== null) context.problem ??= copyOf(memo.problem);
      return memo.read;
    }
    known.set(value, IN_PROGRESS);
  }
  context.depth++;
  const read = readNode(node, value, strict, context, top);
  context.depth--;
  if (known !== null) {
    const problem = read === FAILED ? context.problem : null;
    known.set(value, { read, problem: problem === null ? null : copyOf(problem) });
  }
  return read;
}

/** A problem with a path of its own: a remembered one is shared by every later read of its value. */
function copyOf(problem: ArgumentProblem): ArgumentProblem {
  return { path: [...problem.path], problem: problem.problem };
}

/** The reads remembered for `node` at this strictness. */
function memoOf(context: Context, node: SchemaNode, strict: boolean): Map<unknown, Memo> {
  context.memo ??= [new Map(), new Map()];
  const byNode = context.memo[strict ? 1 : 0];
  let known = byNode.get(node);
  if (known === undefined) {
    known = new Map();
    byNode.set(node, known);
  }
  return known;
}

function readNode(node: SchemaNode, value: unknown, strict: boolean, context: Context, top: boolean): Read {
  switch (node.kind) {
    case "any":
      return value;
    case "never":
      return fail(
        context,
        `is not accepted by the tool's inputSchema (it admits no value here); got ${shown(value)}`,
      );
    case "ref":
      return node.target === null ? value : readValue(node.target, value, strict, context, top);
    case "allOf": {
      let current = value;
      for (const member of node.members) {
        current = readValue(member, current, strict, context, top);
        if (current === FAILED) return FAILED;
      }
      return current;
    }
    case "anyOf":
      return readUnion(node.members, value, strict, context, top);
    case "typed":
      return readTyped(node, value, strict, context, top);
  }
}

/**
 * pydantic's smart union: the first member the value fits as it is, else the first that reads it. Where
 * none does, the problem told is the one inside the first member of the value's own JSON type.
 */
function readUnion(
  members: SchemaNode[],
  value: unknown,
  strict: boolean,
  context: Context,
  top: boolean,
): Read {
  let inside: ArgumentProblem | null = null;
  for (const pass of strict ? [true] : [true, false]) {
    for (const member of members) {
      context.problem = null;
      const read = readValue(member, value, pass, context, top);
      if (read !== FAILED) {
        context.problem = null;
        return read;
      }
      if (!pass && inside === null && admitsOnly(member) & jsonType(value)) inside = context.problem;
    }
  }
  context.problem = inside;
  return fail(context, `must be ${describeAll(members, " or ")}; got ${shown(value)}`);
}

function readTyped(node: TypedNode, value: unknown, strict: boolean, context: Context, top: boolean): Read {
  const fits = strictType(value, strict) & node.types;
  let inexact: string | null = null;
  if (fits !== 0) {
    if (fits & Type.array) return readList(node, value as unknown[], strict, context);
    if (fits & Type.object) return readObject(node, value as Record<string, unknown>, strict, context, top);
    if (value instanceof ExactNumber) {
      const nearest = Number(value.text);
      // 1e400 is an infinity to the server's JSON parser (and null to the 1.x SDK, which dumps the request as JSON again).
      if (!Number.isFinite(nearest)) inexact = String(nearest);
      else {
        const read =
          fits & Type.number || !FLOAT_LITERAL.test(value.text) ? value : floatAsInteger(nearest, value);
        if (read !== FAILED && isAllowed(node, read)) return read;
      }
    } else if (isAllowed(node, value)) return value;
    if (strict) return FAILED;
  }
  if (strict) return FAILED;
  for (const type of node.order) {
    const converted = convert(value, type);
    if (converted === FAILED) continue;
    if (isLaxFailure(converted)) {
      if (converted.fails === "inexact") inexact = converted.reading;
      continue;
    }
    if (isAllowed(node, converted)) return converted;
  }
  if (inexact !== null) {
    return fail(
      context,
      `must be ${describe(node)}; got ${shown(value)}, which reads as ${inexact}: a number policylayer cannot pass on exactly`,
    );
  }
  if (node.allowed !== null && fits !== 0) {
    return fail(context, `must be one of ${node.allowed.map(shown).join(", ")}; got ${shown(value)}`);
  }
  return fail(context, `must be ${describe(node)}; got ${shown(value)}${readsAsNothing(value)}`);
}

/** Python floats: a literal with a point or an exponent, which Python's JSON parser makes a float of. */
const FLOAT_LITERAL = /[.eE]/;

/**
 * The value's JSON types; in a union's strict pass, a float literal (`1.0`, `1e21`) is not an
 * integer, as a strict int refuses the float the server's parser makes of it: `bool | int` reads 1.0 as True.
 */
function strictType(value: unknown, strict: boolean): number {
  const types = jsonType(value);
  if (!strict || !(types & Type.integer)) return types;
  const isFloat =
    value instanceof ExactNumber ? FLOAT_LITERAL.test(value.text) : Math.abs(value as number) >= 1e21;
  return isFloat ? types & ~Type.integer : types;
}

/** 2^63: pydantic refuses a float this large or larger for an int. */
const FLOAT_INTEGER_LIMIT = 2 ** 63;

/**
 * The int pydantic makes of a float (the double the server's JSON parser made of a literal): every
 * digit of the double (9007199254740993.0 is 9007199254740992 there), and none from 2^63 on. Below
 * 2^53 the double is the literal's value, and `literal` is passed on as sent.
 */
function floatAsInteger(nearest: number, literal: unknown): unknown {
  if (!Number.isInteger(nearest) || Math.abs(nearest) >= FLOAT_INTEGER_LIMIT) return FAILED;
  return Math.abs(nearest) < 2 ** 53 ? literal : exactDouble(nearest, false);
}

/** A scalar `value` read as one JSON type, where a lax validator reads it so; FAILED where it does not convert at all. */
function convert(value: unknown, type: number): unknown | LaxFailure | typeof FAILED {
  if (typeof value === "string") {
    if (type === Type.integer) return readIntegerText(value);
    if (type === Type.number) return readNumberText(value);
    if (type === Type.boolean) return readBooleanText(value);
    // JSON text for a list or an object is parsed only as a top-level argument (preParsed): pydantic
    // itself refuses a string for a list or a model, so below the top the server refuses it too.
    return FAILED;
  }
  if (typeof value === "boolean")
    return type === Type.integer || type === Type.number ? Number(value) : FAILED;
  if (value instanceof ExactNumber && !isIntegral(value) && type !== Type.number) {
    // A literal no double holds (5000.0000000000001, 1e-400) is a float to the server's JSON parser,
    // rounded (5000.0, 0.0), and that float is what pydantic reads for an int or a bool.
    const nearest = Number(value.text);
    if (type === Type.integer) return floatAsInteger(nearest, nearest);
    if (type === Type.boolean) return readBooleanNumber(nearest);
  }
  if (type === Type.boolean && isJsonNumber(value)) return readBooleanNumber(value);
  return FAILED;
}

function readList(node: TypedNode, list: unknown[], strict: boolean, context: Context): Read {
  let copy: unknown[] | null = null;
  for (let index = 0; index < list.length; index++) {
    const read = readValue(node.prefixItems[index] ?? node.items, list[index], strict, context);
    if (read === FAILED) return failedAt(context, index);
    if (read !== list[index]) {
      copy ??= list.slice();
      copy[index] = read;
    }
  }
  return copy ?? list;
}

/** Passes a failure up from the member at `key`, which goes in front of the problem's path. */
function failedAt(context: Context, key: string | number): typeof FAILED {
  context.problem?.path.unshift(key);
  return FAILED;
}

function readObject(
  node: TypedNode,
  object: Record<string, unknown>,
  strict: boolean,
  context: Context,
  top: boolean,
): Read {
  let copy: Record<string, unknown> | null = null;
  // for-in: JSON.parse makes plain objects, whose enumerable keys are all their own.
  for (const key in object) {
    const declared = node.properties?.get(key);
    const original = object[key];
    let read: Read;
    if (declared !== undefined) {
      const value = top ? preParsed(declared, original, context) : original;
      read = value === FAILED ? FAILED : readValue(declared, value, strict, context);
    } else if (node.properties === null || (top && context.options.allowUndeclared)) {
      read = readValue(node.additionalProperties, original, strict, context);
    } else {
      const names = [...node.properties.keys()];
      read = fail(
        context,
        `is not declared by the tool's inputSchema (it declares ${names.length === 0 ? "no arguments" : names.join(", ")}): remove it, or name the tool in the policy's allow_undeclared_arguments`,
      );
    }
    if (read === FAILED) return failedAt(context, key);
    if (read !== original) {
      copy ??= { ...object };
      Object.defineProperty(copy, key, { value: read, enumerable: true, writable: true, configurable: true });
    }
  }
  return copy ?? object;
}

/**
 * The Python MCP SDK's pre_parse_json: a string given for a top-level argument not declared as a plain
 * string is parsed as JSON, and replaced where that gives a list, an object or null (numbers, booleans
 * and strings it leaves as text, for the validator to read). FAILED where the reading cannot be passed on.
 */
function preParsed(node: SchemaNode, value: unknown, context: Context): unknown {
  if (typeof value !== "string" || admitsOnly(node) === Type.string) return value;
  const parsed = parseJsonText(value);
  if (parsed === null) return value;
  const type = jsonType(parsed.value);
  if (!(type & (Type.array | Type.object | Type.null))) return value;
  // Python's json.loads takes "\ud800"; the server's own JSON parser (pydantic-core) refuses a message that carries it.
  if (ESCAPED_SURROGATE.test(value) && hasLoneSurrogate(parsed.value)) {
    return fail(
      context,
      "holds JSON text with a lone surrogate escape (\\ud800 to \\udfff), which policylayer cannot pass on: the server's JSON parser refuses it",
    );
  }
  return parsed.value;
}

const ESCAPED_SURROGATE = /\\u[dD][89a-fA-F]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Whether a parsed value holds a string (or a key) with half a surrogate pair. */
function hasLoneSurrogate(value: unknown): boolean {
  if (typeof value === "string") return LONE_SURROGATE.test(value);
  if (typeof value !== "object" || value === null) return false;
  if (Array.isArray(value)) return value.some(hasLoneSurrogate);
  return Object.entries(value).some(([key, item]) => LONE_SURROGATE.test(key) || hasLoneSurrogate(item));
}

/** admitsOnly's answers: a schema's shared parts are met on many paths, and may refer to themselves. */
const admitted = new WeakMap<SchemaNode, number>();

/** The JSON types a node admits at its own level (all of them where it does not say, or where it refers to itself). */
function admitsOnly(node: SchemaNode): number {
  switch (node.kind) {
    case "any":
      return 127;
    case "never":
      return 0;
    case "typed":
      return node.types;
    default: {
      const known = admitted.get(node);
      if (known !== undefined) return known;
      // Met again while it is worked out: the node refers to itself, and says nothing more there.
      admitted.set(node, 127);
      const bits = admittedBy(node);
      admitted.set(node, bits);
      return bits;
    }
  }
}

/** admitsOnly for a node made of others. */
function admittedBy(node: Extract<SchemaNode, { kind: "ref" | "anyOf" | "allOf" }>): number {
  switch (node.kind) {
    case "ref":
      return node.target === null ? 127 : admitsOnly(node.target);
    case "anyOf":
      return node.members.reduce((bits, member) => bits | admitsOnly(member), 0);
    case "allOf":
      return node.members.reduce((bits, member) => bits & admitsOnly(member), 127);
  }
}

function isAllowed(node: TypedNode, value: unknown): boolean {
  if (node.allowed === null || node.allowedScalars.has(value)) return true;
  return typeof value === "object" && node.allowed.some((option) => jsonEqual(option, value));
}

/** describe's longest answer: a schema's shared or recursive parts would make it as long as they have paths. */
const DESCRIBED_CHARS = 200;

/** What a node admits, for a person: `an integer`, `a list or null`, `one of "a", "b"`. */
export function describe(node: SchemaNode): string {
  return cut(describeUpTo(node, DESCRIBED_CHARS + 1, 0));
}

/** What several nodes admit, joined by `separator`, cut as describe cuts. */
function describeAll(members: readonly SchemaNode[], separator: string): string {
  return cut(joinedUpTo(members, separator, DESCRIBED_CHARS + 1, 0));
}

function cut(text: string): string {
  return text.length > DESCRIBED_CHARS ? `${text.slice(0, DESCRIBED_CHARS - 3)}...` : text;
}

/** describe, stopped once it has `room` characters (or at a depth no real schema reaches). */
function describeUpTo(node: SchemaNode, room: number, depth: number): string {
  if (room <= 0 || depth > 64) return "...";
  switch (node.kind) {
    case "any":
      return "any value";
    case "never":
      return "nothing";
    case "ref":
      return node.target === null ? "any value" : describeUpTo(node.target, room, depth + 1);
    case "anyOf":
      return joinedUpTo(node.members, " or ", room, depth + 1);
    case "allOf":
      return joinedUpTo(node.members, " and ", room, depth + 1);
    case "typed": {
      if (node.allowed !== null) return `one of ${node.allowed.map(shown).join(", ")}`;
      const words = TYPE_WORDS.filter(([bit]) => node.types & bit).map(([, word]) => word);
      return words.join(" or ");
    }
  }
}

function joinedUpTo(members: readonly SchemaNode[], separator: string, room: number, depth: number): string {
  let text = "";
  for (const member of members) {
    const described = describeUpTo(member, room - text.length, depth);
    text += `${text === "" ? "" : separator}${described}`;
    if (text.length >= room || described.endsWith("...")) break;
  }
  return text;
}

/** A value as the agent sent it, cut to a readable length. */
function shown(value: unknown): string {
  const text = stringifyJson(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function readsAsNothing(value: unknown): string {
  return typeof value === "string"
    ? ", which does not read as one the way the server reads it"
    : ` (${describeValue(value)})`;
}

function describeValue(value: unknown): string {
  const [, word] = TYPE_WORDS.find(([bit]) => jsonType(value) & bit) ?? [0, "a value"];
  return word;
}
