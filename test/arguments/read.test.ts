import { describe, expect, it } from "vitest";
import { readArguments } from "../../src/arguments/read.js";
import { compileInputSchema } from "../../src/arguments/schema.js";
import { ExactNumber } from "../../src/wire/exact-number.js";
import { stringifyJson } from "../../src/wire/json.js";

// Schemas as the Python MCP SDK writes them for typed tool functions (see test/servers/typed_server.py).
const scaleSchema = {
  type: "object",
  properties: {
    instance_groups: { items: { $ref: "#/$defs/InstanceGroup" }, title: "Instance Groups", type: "array" },
  },
  required: ["instance_groups"],
  $defs: {
    InstanceGroup: {
      properties: {
        InstanceGroupName: { title: "Instancegroupname", type: "string" },
        InstanceCount: { title: "Instancecount", type: "integer" },
      },
      required: ["InstanceGroupName", "InstanceCount"],
      type: "object",
    },
  },
};
const labelSchema = {
  type: "object",
  properties: {
    labels: { anyOf: [{ additionalProperties: { type: "integer" }, type: "object" }, { type: "null" }] },
    limit: { anyOf: [{ type: "integer" }, { type: "null" }], default: null },
    note: { anyOf: [{ type: "string" }, { type: "null" }] },
    choice: { anyOf: [{ type: "string" }, { type: "integer" }] },
  },
};

function read(schema: unknown, args: Record<string, unknown>, allowUndeclared = false) {
  const compiled = compileInputSchema(schema);
  if (compiled === null) throw new Error("schema did not compile");
  return readArguments(compiled, args, { allowUndeclared });
}

describe("reading arguments against a tool's inputSchema", () => {
  const amount = { type: "object", properties: { amount: { type: "integer" }, price: { type: "number" } } };

  it("returns arguments of their declared types as the very same object", () => {
    const args = { instance_groups: [{ InstanceGroupName: "w", InstanceCount: 5 }] };
    const reading = read(scaleSchema, args);
    expect(reading).toEqual({ ok: true, arguments: args, changed: false });
    expect(reading.ok && reading.arguments).toBe(args);
  });

  it("reads numeric strings as the integers pydantic makes of them", () => {
    for (const text of [" 5000 ", "5_000", "5000.0", "+5000", "05000", "5000\n"]) {
      expect(read(amount, { amount: text })).toEqual({
        ok: true,
        arguments: { amount: 5000 },
        changed: true,
      });
    }
  });

  it("reads a boolean given for an integer as 0 or 1, and 5000.0 as 5000", () => {
    expect(read(amount, { amount: true, price: "1e3" })).toMatchObject({
      arguments: { amount: 1, price: 1000 },
    });
  });

  it("refuses 5000.5 for an integer and names the argument and what it must be", () => {
    expect(read(amount, { amount: "5000.5" })).toEqual({
      ok: false,
      problem: {
        path: ["amount"],
        problem: 'must be an integer; got "5000.5", which does not read as one the way the server reads it',
      },
    });
    expect(read(amount, { amount: 1.5 })).toMatchObject({ ok: false, problem: { path: ["amount"] } });
  });

  it("reads an integer beyond 2^53 exactly, and forwards every digit", () => {
    const reading = read(amount, { amount: "12345678901234567890" });
    expect(reading.ok).toBe(true);
    const value = reading.ok ? reading.arguments.amount : undefined;
    expect(value).toBeInstanceOf(ExactNumber);
    expect(stringifyJson(reading.ok ? reading.arguments : null)).toBe('{"amount":12345678901234567890}');
  });

  it("reads numbers inside JSON text exactly, and 1.0 sent as a number as true for a boolean", () => {
    const groups = {
      type: "object",
      properties: {
        groups: { type: "array", items: { type: "object", properties: { n: { type: "integer" } } } },
      },
    };
    const reading = read(groups, { groups: '[{"n": 12345678901234567890}, {"n": "9007199254740993"}]' });
    expect(stringifyJson(reading.ok ? reading.arguments : null)).toBe(
      '{"groups":[{"n":12345678901234567890},{"n":9007199254740993}]}',
    );
    const flag = { type: "object", properties: { enabled: { type: "boolean" } } };
    expect(read(flag, { enabled: new ExactNumber("1.0") })).toMatchObject({
      ok: true,
      arguments: { enabled: true },
    });
    expect(read(flag, { enabled: new ExactNumber("-0.0") })).toMatchObject({
      ok: true,
      arguments: { enabled: false },
    });
  });

  it("takes an integral number written as a float (1E5, as Python reads it) for an integer, as sent", () => {
    const reading = read(amount, { amount: new ExactNumber("1E5") });
    expect(stringifyJson(reading.ok ? reading.arguments : null)).toBe('{"amount":1E5}');
    expect(read(amount, { amount: new ExactNumber("1.25e1") })).toMatchObject({ ok: false });
  });

  it("writes a double read from text beyond 2^53 with every digit, so a float | int field reads that double", () => {
    // JavaScript writes the double 12345678901234567168 as 12345678901234567000, which the server would keep as that int.
    const floatOrInt = {
      type: "object",
      properties: { v: { anyOf: [{ type: "number" }, { type: "integer" }] } },
    };
    const reading = read(floatOrInt, { v: "12345678901234567890" });
    expect(stringifyJson(reading.ok ? reading.arguments : null)).toBe('{"v":12345678901234567168.0}');
    expect(read(floatOrInt, { v: "5000" })).toMatchObject({ arguments: { v: 5000 } });
  });

  it("passes a float literal beyond 2^53 on for an integer as the int the server makes of its double", () => {
    const exact = (v: string) => {
      const reading = read(amount, { amount: new ExactNumber(v) });
      return reading.ok ? stringifyJson(reading.arguments) : reading.problem.problem;
    };
    expect(exact("9007199254740993.0")).toBe('{"amount":9007199254740992}');
    expect(exact("1234567890123456789.5")).toBe('{"amount":1234567890123456768}');
    expect(exact("12345678901234567890")).toBe('{"amount":12345678901234567890}');
    // pydantic refuses a float of 2^63 or more for an int.
    expect(exact("1e21")).toMatch(/^must be an integer; got 1e21/);
    expect(exact("9.3e18")).toMatch(/^must be an integer/);
    expect(exact("9.2e18")).toBe('{"amount":9200000000000000000}');
  });

  it("reads 1.0 for bool | int as True, as pydantic's strict pass leaves a float to bool's lax reading first", () => {
    const union = (first: string, second: string) => ({
      type: "object",
      properties: { v: { anyOf: [{ type: first }, { type: second }] } },
    });
    expect(read(union("boolean", "integer"), { v: new ExactNumber("1.0") })).toMatchObject({
      arguments: { v: true },
    });
    expect(read(union("boolean", "integer"), { v: new ExactNumber("0.0") })).toMatchObject({
      arguments: { v: false },
    });
    expect(read(union("boolean", "integer"), { v: 1 })).toMatchObject({ arguments: { v: 1 } });
    const intFirst = read(union("integer", "boolean"), { v: new ExactNumber("1.0") });
    expect(intFirst.ok && intFirst.arguments.v).toEqual(new ExactNumber("1.0"));
  });

  it("refuses a number literal beyond a double for a number: an infinity to the server, null to the 1.x SDK", () => {
    const optional = { type: "object", properties: { v: { anyOf: [{ type: "number" }, { type: "null" }] } } };
    for (const schema of [{ type: "object", properties: { v: { type: "number" } } }, optional]) {
      const reading = read(schema, { v: new ExactNumber("1e400") });
      expect(reading).toMatchObject({ ok: false, problem: { path: ["v"] } });
      expect(!reading.ok && reading.problem.problem).toContain("reads as Infinity");
    }
    expect(read(optional, { v: new ExactNumber("1e300") })).toMatchObject({ ok: true });
  });

  it("refuses an infinity it cannot pass on, naming the argument", () => {
    const price = { type: "object", properties: { price: { type: "number" } } };
    const reading = read(price, { price: "1e400" });
    expect(reading).toMatchObject({ ok: false, problem: { path: ["price"] } });
    expect(!reading.ok && reading.problem.problem).toContain("reads as Infinity");
  });

  it("reads the boolean spellings, 1 and 1.0 as true", () => {
    const flag = { type: "object", properties: { enabled: { type: "boolean" } } };
    for (const value of ["true", "True", "TRUE", "1", "yes", "on", "t", "y", 1, 1.0]) {
      expect(read(flag, { enabled: value })).toMatchObject({ ok: true, arguments: { enabled: true } });
    }
    expect(read(flag, { enabled: "nope" })).toMatchObject({ ok: false, problem: { path: ["enabled"] } });
    expect(read(flag, { enabled: 2 })).toMatchObject({ ok: false });
  });

  it("parses JSON text given for a list, through $ref, and reads the items' fields", () => {
    const text = '[{"InstanceGroupName": "workers", "InstanceCount": "50"}]';
    expect(read(scaleSchema, { instance_groups: text })).toEqual({
      ok: true,
      arguments: { instance_groups: [{ InstanceGroupName: "workers", InstanceCount: 50 }] },
      changed: true,
    });
  });

  it("names the element and field that cannot be read", () => {
    const args = {
      instance_groups: [
        { InstanceGroupName: "a", InstanceCount: 1 },
        { InstanceGroupName: "b", InstanceCount: "many" },
      ],
    };
    expect(read(scaleSchema, args)).toMatchObject({
      ok: false,
      problem: { path: ["instance_groups", 1, "InstanceCount"] },
    });
  });

  it("refuses a key the schema does not declare, at any depth, unless the policy allows undeclared keys", () => {
    expect(read(amount, { amount: 1, field_amount: 5000 })).toMatchObject({
      ok: false,
      problem: {
        path: ["field_amount"],
        problem:
          "is not declared by the tool's inputSchema (it declares amount, price): remove it, or name the tool in the policy's allow_undeclared_arguments",
      },
    });
    const nested = { instance_groups: [{ InstanceGroupName: "a", InstanceCount: 1, instance_count: 50 }] };
    expect(read(scaleSchema, nested)).toMatchObject({
      ok: false,
      problem: { path: ["instance_groups", 0, "instance_count"] },
    });
    expect(read(amount, { amount: "7", extra: "x" }, true)).toEqual({
      ok: true,
      arguments: { amount: 7, extra: "x" },
      changed: true,
    });
    // Inside a declared object, a field's own name beside its alias stays refused: pydantic would take it.
    expect(read(scaleSchema, nested, true)).toMatchObject({
      ok: false,
      problem: { path: ["instance_groups", 0, "instance_count"] },
    });
  });

  it("reads through anyOf and nullable as pydantic's smart union does", () => {
    expect(read(labelSchema, { limit: "5" })).toMatchObject({ arguments: { limit: 5 } });
    expect(read(labelSchema, { choice: "5" })).toMatchObject({ arguments: { choice: "5" } });
    expect(read(labelSchema, { choice: true })).toMatchObject({ arguments: { choice: 1 } });
    expect(read(labelSchema, { labels: '{"a": "1"}' })).toMatchObject({ arguments: { labels: { a: 1 } } });
    expect(
      read({ type: "object", properties: { n: { type: "integer", nullable: true } } }, { n: null }),
    ).toMatchObject({ ok: true });
  });

  it("does what pre_parse_json does with top-level JSON text: null for an optional argument, even an optional string", () => {
    expect(read(labelSchema, { limit: "null", note: "null" })).toMatchObject({
      arguments: { limit: null, note: null },
    });
    expect(read(labelSchema, { note: "[1]" })).toMatchObject({ ok: false, problem: { path: ["note"] } });
    expect(read(labelSchema, { choice: "[1]" })).toMatchObject({ ok: false });
    expect(read({ type: "object", properties: { s: { type: "string" } } }, { s: "null" })).toMatchObject({
      arguments: { s: "null" },
      changed: false,
    });
  });

  it("refuses JSON text with a lone surrogate escape, which the server's JSON parser would refuse once passed on", () => {
    const labels = {
      type: "object",
      properties: { labels: { type: "object", additionalProperties: { type: "string" } } },
    };
    const reading = read(labels, { labels: '{"a": "\\ud800"}' });
    expect(reading).toMatchObject({ ok: false, problem: { path: ["labels"] } });
    expect(!reading.ok && reading.problem.problem).toContain("lone surrogate");
    // A pair is one character, which JSON carries as it is.
    expect(read(labels, { labels: '{"a": "\\ud83d\\ude00"}' })).toMatchObject({
      ok: true,
      arguments: { labels: { a: "\u{1f600}" } },
    });
  });

  it("checks enum values after reading them", () => {
    const schema = {
      type: "object",
      properties: {
        op: { enum: ["describe", "delete"], type: "string" },
        n: { enum: [1, 2], type: "integer" },
      },
    };
    expect(read(schema, { op: "delete", n: "2" })).toMatchObject({
      ok: true,
      arguments: { op: "delete", n: 2 },
    });
    expect(read(schema, { op: "Delete" })).toMatchObject({
      ok: false,
      problem: { path: ["op"], problem: 'must be one of "describe", "delete"; got "Delete"' },
    });
  });

  it("follows recursive $refs", () => {
    const tree = {
      type: "object",
      properties: { root: { $ref: "#/$defs/Node" } },
      $defs: {
        Node: {
          type: "object",
          properties: {
            size: { type: "integer" },
            children: { type: "array", items: { $ref: "#/$defs/Node" } },
          },
        },
      },
    };
    expect(read(tree, { root: { size: "1", children: [{ size: "2", children: [] }] } })).toMatchObject({
      arguments: { root: { size: 1, children: [{ size: 2, children: [] }] } },
    });
  });

  it("keeps a __proto__ key as an own property of the copy", () => {
    const args = JSON.parse('{"amount": "5", "__proto__": {"x": 1}}') as Record<string, unknown>;
    const reading = read({ type: "object", properties: { amount: { type: "integer" } } }, args, true);
    expect(reading.ok && Object.keys(reading.arguments)).toEqual(["amount", "__proto__"]);
  });

  it("knows nothing from an empty schema", () => {
    for (const schema of [
      undefined,
      {},
      { type: "object" },
      { type: "object", additionalProperties: true },
    ]) {
      expect(compileInputSchema(schema)).toBeNull();
    }
  });
});

describe("schemas whose parts are met on many paths", () => {
  /** A chain of `depth` definitions, each a `kind` of two references to the next, ending in `leaf`. */
  function chain(kind: "anyOf" | "allOf", depth: number, leaf: unknown) {
    const defs: Record<string, unknown> = {};
    for (let i = 0; i < depth; i++)
      defs[`d${i}`] = { [kind]: [{ $ref: `#/$defs/d${i + 1}` }, { $ref: `#/$defs/d${i + 1}` }] };
    defs[`d${depth}`] = leaf;
    return { type: "object", properties: { a: { $ref: "#/$defs/d0" } }, $defs: defs };
  }

  function steps(schema: unknown, args: Record<string, unknown>) {
    const compiled = compileInputSchema(schema);
    if (compiled === null) throw new Error("schema did not compile");
    const work = { steps: 0 };
    const reading = readArguments(compiled, args, { allowUndeclared: false, work });
    return { reading, steps: work.steps };
  }

  it("reads a value through a chain of shared unions in work that grows with the chain, not 2^depth", () => {
    const short = steps(chain("anyOf", 20, { type: "integer" }), { a: "x" });
    const long = steps(chain("anyOf", 40, { type: "integer" }), { a: "x" });
    expect(short.reading.ok).toBe(false);
    expect(long.reading.ok).toBe(false);
    expect(long.steps).toBeLessThan(3 * short.steps);
    expect(long.steps).toBeLessThan(10_000);
  });

  it("still reads through the chain what its leaf reads", () => {
    expect(steps(chain("anyOf", 30, { type: "integer" }), { a: "5" }).reading).toEqual({
      ok: true,
      arguments: { a: 5 },
      changed: true,
    });
    expect(steps(chain("allOf", 30, { type: "integer" }), { a: "5" }).reading).toEqual({
      ok: true,
      arguments: { a: 5 },
      changed: true,
    });
  });

  it("reads through a chain of shared allOf in work that grows with the chain", () => {
    const short = steps(chain("allOf", 20, { type: "integer" }), { a: 5 });
    const long = steps(chain("allOf", 40, { type: "integer" }), { a: 5 });
    expect(long.reading.ok).toBe(true);
    expect(long.steps).toBeLessThan(3 * short.steps);
  });

  it("reads a nested list through a union of two recursive lists in work that grows with its depth", () => {
    const schema = {
      type: "object",
      properties: { a: { $ref: "#/$defs/n" } },
      $defs: {
        n: {
          anyOf: [
            { type: "array", items: { $ref: "#/$defs/n" } },
            { type: "array", items: { $ref: "#/$defs/n" } },
            { type: "integer" },
          ],
        },
      },
    };
    const nested = (depth: number) => {
      let value: unknown = "x";
      for (let i = 0; i < depth; i++) value = [value];
      return value;
    };
    const short = steps(schema, { a: nested(20) });
    const long = steps(schema, { a: nested(40) });
    expect(long.reading.ok).toBe(false);
    expect(long.steps).toBeLessThan(3 * short.steps);
    expect(steps(schema, { a: [[["7"]]] }).reading).toEqual({
      ok: true,
      arguments: { a: [[[7]]] },
      changed: true,
    });
  });

  it("refuses, naming the loop, a value read by a schema that refers to itself without end", () => {
    const schema = {
      type: "object",
      properties: { a: { $ref: "#/$defs/n" } },
      $defs: { n: { anyOf: [{ $ref: "#/$defs/n" }, { type: "integer" }] } },
    };
    const { reading } = steps(schema, { a: "x" });
    expect(reading.ok).toBe(false);
    if (!reading.ok) expect(reading.problem.problem).toMatch(/refers to itself without end/);
  });

  it("refuses a value nested deeper than it reads, rather than running out of stack", () => {
    const schema = {
      type: "object",
      properties: { a: { $ref: "#/$defs/n" } },
      $defs: { n: { type: "array", items: { $ref: "#/$defs/n" } } },
    };
    let value: unknown = [];
    for (let i = 0; i < 5000; i++) value = [value];
    const { reading } = steps(schema, { a: value });
    expect(reading.ok).toBe(false);
    if (!reading.ok) expect(reading.problem.problem).toMatch(/nests deeper than policylayer reads/);
  });

  it("keeps the message about a union of shared parts short", () => {
    const { reading } = steps(chain("anyOf", 30, { type: "integer" }), { a: "x" });
    expect(reading.ok).toBe(false);
    if (!reading.ok) expect(reading.problem.problem.length).toBeLessThan(400);
  });
});
