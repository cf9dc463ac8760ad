// A tool's inputSchema compiled, once per tools/list, into the shape the argument reader walks: which
// JSON types each place admits, through properties, items, $ref/$defs, anyOf/oneOf/allOf and nullable.
// Keywords that constrain values (minimum, pattern, ...) are the server's to check; only types are read.
// The schema comes from the server: nothing about its shape is assumed.

import { isRecord } from "../classify/schema.js";
import { ExactNumber, isIntegral } from "../wire/exact-number.js";

/** JSON types as bits, so a place that admits several is one number. */
export const Type = {
  string: 1,
  integer: 2,
  number: 4,
  boolean: 8,
  null: 16,
  array: 32,
  object: 64,
} as const;

/** One place in a schema. `any` admits every value as it is; `never` admits none. */
export type SchemaNode =
  | { kind: "any" }
  | { kind: "never" }
  | TypedNode
  | { kind: "anyOf"; members: SchemaNode[] }
  | { kind: "allOf"; members: SchemaNode[] }
  | { kind: "ref"; target: SchemaNode | null };

/** A place with types: the JSON types it admits (in the order a union of them is tried), and what lists and objects hold. */
export interface TypedNode {
  kind: "typed";
  types: number;
  /** The admitted types in the schema's order, for reading a value given as another type. */
  order: number[];
  /** Positional items (prefixItems, or a draft-4 items list), then `items` for the rest. */
  prefixItems: SchemaNode[];
  items: SchemaNode;
  /** The declared properties, or null where the schema lists none (then any key is taken). */
  properties: Map<string, SchemaNode> | null;
  /** What an undeclared key's value is read as, where undeclared keys are taken. */
  additionalProperties: SchemaNode;
  /** enum and const: the value read must equal one of these. */
  allowed: unknown[] | null;
  /** The scalars among `allowed`, for a lookup. */
  allowedScalars: ReadonlySet<unknown>;
}

const ANY: SchemaNode = { kind: "any" };
const NEVER: SchemaNode = { kind: "never" };

const TYPE_NAMES: Record<string, number> = Type;

/** A value's JSON type as a bit; an integral number is both an integer and a number (an exact `5000.0` too, as Python reads it). */
export function jsonType(value: unknown): number {
  if (value === null) return Type.null;
  if (value instanceof ExactNumber) return isIntegral(value) ? Type.integer | Type.number : Type.number;
  switch (typeof value) {
    case "string":
      return Type.string;
    case "boolean":
      return Type.boolean;
    case "number":
      return Number.isInteger(value) ? Type.integer | Type.number : Type.number;
    case "object":
      return Array.isArray(value) ? Type.array : Type.object;
    default:
      return 0;
  }
}

/** Compiles schemas of one tool; `$ref`s resolve against the root, each once, cycles included. */
class SchemaCompiler {
  private readonly refs = new Map<string, { kind: "ref"; target: SchemaNode | null }>();

  constructor(private readonly root: unknown) {}

  compile(schema: unknown): SchemaNode {
    if (schema === true || schema === undefined) return ANY;
    if (schema === false) return NEVER;
    if (!isRecord(schema)) return ANY;
    const parts: SchemaNode[] = [];
    if (typeof schema.$ref === "string") parts.push(this.ref(schema.$ref));
    const own = this.typed(schema);
    if (own !== null) parts.push(own);
    for (const key of ["anyOf", "oneOf"] as const) {
      const members = schema[key];
      if (Array.isArray(members) && members.length > 0) {
        const union: SchemaNode = { kind: "anyOf", members: members.map((member) => this.compile(member)) };
        parts.push(
          schema.nullable === true ? { kind: "anyOf", members: [...union.members, nullNode()] } : union,
        );
      }
    }
    if (Array.isArray(schema.allOf)) for (const member of schema.allOf) parts.push(this.compile(member));
    const useful = parts.filter((part) => part.kind !== "any");
    if (useful.length === 0) return ANY;
    return useful.length === 1 ? (useful[0] as SchemaNode) : { kind: "allOf", members: useful };
  }

  /** A local reference (`#`, `#/$defs/Name`, any JSON pointer into the root); one we cannot follow admits anything. */
  private ref(pointer: string): SchemaNode {
    let node = this.refs.get(pointer);
    if (node !== undefined) return node;
    node = { kind: "ref", target: null };
    this.refs.set(pointer, node);
    const target = resolvePointer(this.root, pointer);
    node.target = target === undefined ? ANY : this.compile(target);
    return node;
  }

  /** The schema's own type keywords as a node, or null where it has none (it admits any type). */
  private typed(schema: Record<string, unknown>): TypedNode | null {
    let order = declaredTypes(schema);
    const allowed = allowedValues(schema);
    if (order === null && allowed !== null)
      order = typeOrder(allowed.reduce<number>((bits, v) => bits | jsonType(v), 0));
    const hasObjectWords = isRecord(schema.properties) || "additionalProperties" in schema;
    const hasArrayWords = "items" in schema || Array.isArray(schema.prefixItems);
    if (order === null && hasObjectWords) order = [Type.object];
    if (order === null && hasArrayWords) order = [Type.array];
    if (order === null) return null;
    if (schema.nullable === true && !order.includes(Type.null)) order = [...order, Type.null];
    const prefix = Array.isArray(schema.prefixItems)
      ? schema.prefixItems
      : Array.isArray(schema.items)
        ? schema.items
        : [];
    const rest = Array.isArray(schema.items) ? (schema.additionalItems ?? true) : schema.items;
    return {
      kind: "typed",
      types: order.reduce((bits, type) => bits | type, 0),
      order,
      prefixItems: prefix.map((item) => this.compile(item)),
      items: this.compile(rest),
      properties: isRecord(schema.properties)
        ? new Map(Object.entries(schema.properties).map(([name, property]) => [name, this.compile(property)]))
        : null,
      additionalProperties: this.compile(schema.additionalProperties),
      allowed,
      allowedScalars: scalars(allowed),
    };
  }
}

function nullNode(): TypedNode {
  return {
    kind: "typed",
    types: Type.null,
    order: [Type.null],
    prefixItems: [],
    items: ANY,
    properties: null,
    additionalProperties: ANY,
    allowed: null,
    allowedScalars: scalars(null),
  };
}

function scalars(values: unknown[] | null): ReadonlySet<unknown> {
  return new Set((values ?? []).filter((value) => value === null || typeof value !== "object"));
}

/** `type` as a list of type bits in the schema's order; "number" also admits integers. Null where `type` is absent or unusable. */
function declaredTypes(schema: Record<string, unknown>): number[] | null {
  const names =
    typeof schema.type === "string" ? [schema.type] : Array.isArray(schema.type) ? schema.type : null;
  if (names === null) return null;
  const order: number[] = [];
  for (const name of names) {
    const bit = typeof name === "string" ? TYPE_NAMES[name] : undefined;
    if (bit !== undefined && !order.includes(bit)) order.push(bit);
  }
  return order.length > 0 ? order : null;
}

function typeOrder(bits: number): number[] {
  return Object.values(Type).filter(
    (bit) => (bits & bit) !== 0 && (bit !== Type.integer || (bits & Type.number) === 0),
  );
}

function allowedValues(schema: Record<string, unknown>): unknown[] | null {
  if ("const" in schema) return [schema.const];
  return Array.isArray(schema.enum) ? schema.enum : null;
}

/** The value a local JSON pointer (`#/$defs/Group`) points at in the root schema, or undefined. */
export function resolvePointer(root: unknown, pointer: string): unknown {
  if (!pointer.startsWith("#")) return undefined;
  let value = root;
  const path = pointer.slice(1);
  if (path === "") return value;
  if (!path.startsWith("/")) return undefined;
  for (const raw of path.slice(1).split("/")) {
    const key = decodeURIComponent(raw).replaceAll("~1", "/").replaceAll("~0", "~");
    if (!isRecord(value) || !Object.hasOwn(value, key)) return undefined;
    value = value[key];
  }
  return value;
}

/**
 * A tool's inputSchema compiled for reading its calls, or null where it says nothing about the
 * arguments' types (absent, `{}`, `{"type": "object"}` without properties): then no reading can be known.
 */
export function compileInputSchema(schema: unknown): SchemaNode | null {
  if (!isRecord(schema)) return null;
  const root = new SchemaCompiler(schema).compile(schema);
  if (root.kind === "any") return null;
  if (root.kind === "typed" && root.properties === null && root.additionalProperties.kind === "any")
    return null;
  return root;
}
