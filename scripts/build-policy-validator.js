// Part of npm run build: writes the policy schema's validator as ajv standalone code, so that
// wrap neither imports ajv nor compiles the schema at startup. src/policy/schema.ts stays the
// one source of truth: the code is generated from it, with the same Ajv, and carries its hash.
import { writeFileSync } from "node:fs";
import standalone from "ajv/dist/standalone/index.js";
import { PRECOMPILED_VALIDATOR_FILE, policyAjv, policySchemaSha256 } from "../dist/policy/load.js";
import { policySchema } from "../dist/policy/schema.js";

const ajv = policyAjv({ source: true });
const code = standalone.default(ajv, ajv.compile(policySchema));
const target = new URL(`../dist/policy/${PRECOMPILED_VALIDATOR_FILE}`, import.meta.url);
writeFileSync(target, `${code}\nmodule.exports.schemaSha256 = ${JSON.stringify(policySchemaSha256())};\n`);
