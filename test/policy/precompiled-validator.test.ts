import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type { ErrorObject, ValidateFunction } from "ajv";
import { CORE_SCHEMA, load } from "js-yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_POLICY_YAML } from "../../src/policy/default.js";
import { PRECOMPILED_VALIDATOR_FILE, policyAjv, policySchemaSha256 } from "../../src/policy/load.js";
import { policySchema } from "../../src/policy/schema.js";
import { repoRoot } from "../helpers/paths.js";
import { seededRandom } from "../helpers/random.js";

// wrap validates policies with the standalone code npm run build generates from the schema
// (scripts/build-policy-validator.js), so that it neither loads ajv nor compiles the schema at
// startup. That code must accept and reject exactly what the schema compiled at run time does,
// with the same errors (they become the FILE:LINE:COL messages).

type Validator = ValidateFunction & { schemaSha256?: unknown };

let precompiled: Validator;
let compiled: ValidateFunction;
beforeAll(() => {
  const file = join(repoRoot, "dist", "policy", PRECOMPILED_VALIDATOR_FILE);
  try {
    precompiled = createRequire(import.meta.url)(file) as Validator;
  } catch (error) {
    throw new Error(`cannot load ${file} (run npm run build): ${(error as Error).message}`);
  }
  compiled = policyAjv().compile(policySchema);
});

/** What a verdict is made of: whether the document passed, and each error as the messages read it. */
function verdict(validate: ValidateFunction, document: unknown) {
  const valid = validate(document);
  const errors = (validate.errors ?? []).map((error: ErrorObject) => ({
    instancePath: error.instancePath,
    schemaPath: error.schemaPath,
    keyword: error.keyword,
    params: error.params,
    message: error.message,
    data: error.data,
    parentSchema: error.parentSchema,
  }));
  return { valid, errors };
}

/** Every policy document in the repository that YAML can read: examples, fixtures, bench, default. */
function repositoryDocuments(): { name: string; document: unknown }[] {
  const files: string[] = [];
  for (const dir of ["examples", "test/fixtures/policies/valid", "test/fixtures/policies/invalid"]) {
    for (const name of readdirSync(join(repoRoot, dir))) {
      if (/\.(ya?ml|json)$/.test(name) && !name.startsWith("claude_desktop")) files.push(join(dir, name));
    }
  }
  files.push("bench/policy.yaml");
  const texts = files.map((name) => ({ name, text: readFileSync(join(repoRoot, name), "utf8") }));
  texts.push({ name: "built-in default", text: DEFAULT_POLICY_YAML });
  const documents: { name: string; document: unknown }[] = [];
  for (const { name, text } of texts) {
    try {
      documents.push({ name, document: load(text, { schema: CORE_SCHEMA }) });
    } catch {
      // A fixture of a YAML syntax error never reaches the validator.
    }
  }
  return documents;
}

/** Values that break a schema in many ways: wrong types, empty, out of range, near misses. */
const ODD_VALUES: unknown[] = [
  null,
  0,
  -1,
  1.5,
  1e308,
  "",
  "x",
  "deny",
  "allow",
  "require_approval",
  "read",
  "args.path",
  "eq",
  "regex",
  "60",
  true,
  false,
  [],
  ["a"],
  [1],
  {},
  { a: 1 },
  { tool: "x", action: "deny" },
];

/** One random change of `document`: a key removed, added or renamed, or a value replaced. */
function mutate(document: unknown, random: ReturnType<typeof seededRandom>): unknown {
  const copy: unknown = structuredClone(document);
  const containers: (Record<string, unknown> | unknown[])[] = [];
  const values: unknown[] = [];
  const visit = (value: unknown) => {
    values.push(value);
    if (typeof value !== "object" || value === null) return;
    containers.push(value as Record<string, unknown> | unknown[]);
    for (const child of Object.values(value)) visit(child);
  };
  visit(copy);
  if (containers.length === 0) return random.pick(ODD_VALUES);
  const target = random.pick(containers);
  const keys = Object.keys(target);
  const replacement = random.chance(0.5) ? random.pick(ODD_VALUES) : structuredClone(random.pick(values));
  if (keys.length === 0 || random.chance(0.15)) {
    if (Array.isArray(target)) target.push(replacement);
    else
      target[random.pick(["extra", "tool", "when", "rate_limit", "approval", "hide", "scope"])] = replacement;
    return copy;
  }
  const key = random.pick(keys);
  if (random.chance(0.2)) {
    if (Array.isArray(target)) target.splice(Number(key), 1);
    else delete target[key];
  } else if (Array.isArray(target)) target[Number(key)] = replacement;
  else target[key] = replacement;
  return copy;
}

describe("the precompiled policy validator", () => {
  it("was generated from this schema", () => {
    expect(precompiled.schemaSha256, "dist is stale: run npm run build").toBe(policySchemaSha256());
  });

  it("gives every policy document of the repository the verdict and errors of the schema", () => {
    const documents = repositoryDocuments();
    expect(documents.length).toBeGreaterThan(20);
    let rejected = 0;
    for (const { name, document } of documents) {
      const expected = verdict(compiled, document);
      if (!expected.valid) rejected++;
      expect(verdict(precompiled, document), name).toEqual(expected);
    }
    // The fixtures of invalid files include schema errors, not only YAML ones.
    expect(rejected).toBeGreaterThan(5);
  });

  it("gives 4,000 random changes of them the verdict and errors of the schema (seed 7)", () => {
    const random = seededRandom(7);
    const documents = repositoryDocuments();
    let accepted = 0;
    let rejected = 0;
    for (let i = 0; i < 4000; i++) {
      const { name, document } = random.pick(documents);
      let changed = mutate(document, random);
      if (random.chance(0.3)) changed = mutate(changed, random);
      const expected = verdict(compiled, changed);
      if (expected.valid) accepted++;
      else rejected++;
      expect(verdict(precompiled, changed), `${name}, change ${i}: ${JSON.stringify(changed)}`).toEqual(
        expected,
      );
    }
    // Both verdicts are exercised many times over.
    expect(accepted).toBeGreaterThan(200);
    expect(rejected).toBeGreaterThan(1000);
  });
});
