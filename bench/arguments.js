// The cost of reading a call's arguments against its tool's inputSchema, in process:
// node bench/arguments.js (after `npm run build`). Compiles the real schemas of the SageMaker AI server's
// tools and of a typed Python SDK tool, then reads calls whose arguments are already of their declared
// types (the common case, which must cost next to nothing), calls with numeric and boolean strings, and
// a list sent as JSON text. Prints the median time per call of each and the compile time per schema.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const { compileInputSchema } = await import(join(root, "dist", "arguments", "schema.js"));
const { readArguments } = await import(join(root, "dist", "arguments", "read.js"));

const regions = [
  "us-east-1",
  "us-east-2",
  "us-west-1",
  "us-west-2",
  "eu-west-1",
  "eu-central-1",
  "ap-south-1",
];
const optionalString = { anyOf: [{ type: "string" }, { type: "null" }], default: null };
// manage_hyperpod_stacks as awslabs.sagemaker-ai-mcp-server lists it (descriptions cut).
const stacksSchema = {
  type: "object",
  properties: {
    operation: { enum: ["deploy", "describe", "delete"], type: "string" },
    region_name: { enum: regions, type: "string" },
    stack_name: { type: "string" },
    cluster_orchestrator: { default: "eks", enum: ["eks", "slurm"], type: "string" },
    params_file: optionalString,
    profile_name: optionalString,
  },
  required: ["operation", "region_name", "stack_name"],
};
// A typed tool of the Python SDK: a list of models behind $ref, an optional integer, a boolean.
const scaleSchema = {
  type: "object",
  properties: {
    cluster_name: { type: "string" },
    instance_groups: { type: "array", items: { $ref: "#/$defs/InstanceGroup" } },
    max_parallel: { anyOf: [{ type: "integer" }, { type: "null" }], default: null },
    dry_run: { type: "boolean", default: false },
  },
  $defs: {
    InstanceGroup: {
      type: "object",
      properties: { InstanceGroupName: { type: "string" }, InstanceCount: { type: "integer" } },
      required: ["InstanceGroupName", "InstanceCount"],
    },
  },
};
const groups = [
  { InstanceGroupName: "workers", InstanceCount: 8 },
  { InstanceGroupName: "controllers", InstanceCount: 2 },
];

const cases = [
  {
    name: "typed already: manage_hyperpod_stacks, 3 arguments",
    schema: stacksSchema,
    args: { operation: "describe", region_name: "us-east-1", stack_name: "prod-hyperpod" },
  },
  {
    name: "typed already: a list of 2 models, an integer, a boolean",
    schema: scaleSchema,
    args: { cluster_name: "c", instance_groups: groups, max_parallel: 4, dry_run: true },
  },
  {
    name: 'converted: "4" for an optional integer, "yes" for a boolean',
    schema: scaleSchema,
    args: { cluster_name: "c", instance_groups: groups, max_parallel: "4", dry_run: "yes" },
  },
  {
    name: "converted: the list of 2 models as JSON text",
    schema: scaleSchema,
    args: { cluster_name: "c", instance_groups: JSON.stringify(groups) },
  },
];

const ROUNDS = 15;
const CALLS_PER_ROUND = 200_000;
const median = (values) => values.slice(3).sort((a, b) => a - b)[(values.length - 3) >> 1];

let sink = 0;
/** Median nanoseconds per call of `work` over the rounds. */
function timeNs(work) {
  const perCallNs = [];
  for (let round = 0; round < ROUNDS; round++) {
    const before = process.hrtime.bigint();
    for (let i = 0; i < CALLS_PER_ROUND; i++) sink += work();
    perCallNs.push(Number(process.hrtime.bigint() - before) / CALLS_PER_ROUND);
  }
  return median(perCallNs);
}

for (const { name, schema, args } of cases) {
  const compiled = compileInputSchema(schema);
  const reading = readArguments(compiled, args, { allowUndeclared: false });
  if (!reading.ok) throw new Error(`${name}: ${JSON.stringify(reading.problem)}`);
  const options = { allowUndeclared: false };
  const readNs = timeNs(() => (readArguments(compiled, args, options).ok ? 1 : 0));
  // What the proxy does with every call's arguments anyway, for scale on a machine whose speed varies.
  const text = JSON.stringify(args);
  const parseNs = timeNs(() => JSON.stringify(JSON.parse(text)).length);
  console.log(
    `${name}: ${readNs.toFixed(0)} ns per call${reading.changed ? " (arguments changed)" : ""}; parsing and serializing the same arguments: ${parseNs.toFixed(0)} ns`,
  );
}

const compileUs = [];
for (let round = 0; round < ROUNDS; round++) {
  const before = process.hrtime.bigint();
  for (let i = 0; i < 10_000; i++) sink += compileInputSchema(i % 2 ? stacksSchema : scaleSchema) ? 1 : 0;
  compileUs.push(Number(process.hrtime.bigint() - before) / 1000 / 10_000);
}
console.log(`compiling one schema (once per tools/list): ${median(compileUs).toFixed(2)} µs`);

// Hostile text: every reading a number, boolean or list condition makes of a 100,000-character string
// that almost reads as a number. Each reader runs in linear time: a pattern that backtracked
// (`[0-9]+\.?[0-9]*` once did) took seconds here.
const { otherReadings } = await import(join(root, "dist", "arguments", "readings.js"));
const hostile = {
  "digits then x": `${"1".repeat(100_000)}x`,
  "spaces then x": `${" ".repeat(100_000)}x`,
  "Arabic digits then x": `${"\u0661".repeat(4_999)}x`,
  "1_ repeated": "1_".repeat(50_000),
};
const ALL_TYPES = 127;
for (const [name, text] of Object.entries(hostile)) {
  const before = process.hrtime.bigint();
  sink += otherReadings(text, ALL_TYPES).length + 1;
  console.log(
    `every reading of ${text.length} characters, ${name}: ${(Number(process.hrtime.bigint() - before) / 1e6).toFixed(2)} ms`,
  );
}
if (sink === 0) console.log("");
