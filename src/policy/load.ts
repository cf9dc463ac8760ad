import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, resolve } from "node:path";
import type { Ajv, CodeOptions, ErrorObject, ValidateFunction } from "ajv";
import { load as loadYaml } from "js-yaml";
import type { Document } from "yaml";
import { compilePolicy, type PolicyOrigin } from "./compile.js";
import { type PositionNode, PositionRecorder, yamlPositions } from "./positions.js";
import { policySchema } from "./schema.js";
import { type SemanticProblem, semanticProblems, semanticWarnings } from "./semantics.js";
import { type PolicyHeader, policyHeader } from "./settings.js";
import type { CompiledPolicy, PolicyDocument, PolicyError, PolicyLoadResult } from "./types.js";
import { yaml11BooleanProblems } from "./yaml-booleans.js";
import { inexactNumberProblems, POLICY_YAML_SCHEMA } from "./yaml-numbers.js";

type Segment = string | number;

/** A problem before it is placed in the file: where in the document, and what to say. */
interface Finding {
  path: Segment[];
  /** The key `keyOf` inside the mapping at `path` is at fault, rather than the node at `path`. */
  keyOf?: string;
  message: string;
}

let validator: ValidateFunction<PolicyDocument> | undefined;
const require = createRequire(import.meta.url);
let yamlModule: typeof import("yaml") | undefined;

/** The `yaml` library, loaded only to place errors in the file (~30 ms to load and parse cold). */
function yamlLib(): typeof import("yaml") {
  yamlModule ??= require("yaml") as typeof import("yaml");
  return yamlModule;
}

/** The build writes the schema's validator as standalone code next to this module (scripts/build-policy-validator.js). */
export const PRECOMPILED_VALIDATOR_FILE = "policy-validator.cjs";

/** The Ajv that compiles the policy schema, at run time and into the build's standalone code alike. */
export function policyAjv(code?: CodeOptions): Ajv {
  // Loaded only when needed: ajv's import and compilation cost ~60 ms of every wrap's start.
  const { Ajv } = require("ajv") as typeof import("ajv");
  const ajv = new Ajv({ allErrors: true, verbose: true, strictTypes: false, ...(code ? { code } : {}) });
  ajv.addKeyword({ keyword: "x-expected", schemaType: "string" });
  ajv.addKeyword({ keyword: "x-plural", schemaType: "string" });
  return ajv;
}

/** SHA-256 of the schema: precompiled code made from any other version of schema.ts is never used. */
export function policySchemaSha256(): string {
  return createHash("sha256").update(JSON.stringify(policySchema)).digest("hex");
}

/** The schema validator: the build's precompiled one when it matches the schema, else compiled on first use. */
function policyValidator(): ValidateFunction<PolicyDocument> {
  validator ??= precompiledValidator() ?? policyAjv().compile<PolicyDocument>(policySchema);
  return validator;
}

function precompiledValidator(): ValidateFunction<PolicyDocument> | null {
  let precompiled: ValidateFunction<PolicyDocument> & { schemaSha256?: unknown };
  try {
    // Through ../policy/ so that the bundle in dist/bundle/ (scripts/bundle.js) finds it too.
    precompiled = require(`../policy/${PRECOMPILED_VALIDATOR_FILE}`);
  } catch {
    return null; // Not built (tests run from src/): compile instead.
  }
  return precompiled.schemaSha256 === policySchemaSha256() ? precompiled : null;
}

/** A field path for people: `rules[2].rate_limit.window`; list indexes are numbers in `path`. */
export function fieldName(path: Segment[]): string {
  let name = "";
  for (const segment of path) {
    if (typeof segment === "number") name += `[${segment}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(segment)) name += name === "" ? segment : `.${segment}`;
    else name += `[${JSON.stringify(segment)}]`;
  }
  return name;
}

/** How a value is named in "got ...": strings quoted, lists and mappings by kind. */
function describeValue(value: unknown): string {
  if (value === null || value === undefined) return "an empty value";
  if (Array.isArray(value)) return value.length === 0 ? "an empty list" : "a list";
  if (typeof value === "object") return "a mapping";
  return JSON.stringify(value);
}

/** The schema node's own words for what it expects, or null where it has none. */
function expectedOf(schema: unknown): string | null {
  if (typeof schema !== "object" || schema === null) return null;
  const expected: unknown = Reflect.get(schema, "x-expected");
  return typeof expected === "string" ? expected : null;
}

/** Turns ajv's JSON pointer into keys and indexes, using the data to tell a list index from a key. */
function pointerToPath(pointer: string, data: unknown): Segment[] {
  const path: Segment[] = [];
  let node = data;
  for (const raw of pointer.split("/").slice(1)) {
    const key = raw.replaceAll("~1", "/").replaceAll("~0", "~");
    const segment: Segment = Array.isArray(node) ? Number(key) : key;
    node = typeof node === "object" && node !== null ? Reflect.get(node, segment) : undefined;
    path.push(segment);
  }
  return path;
}

/** One human finding per place: ajv may report several errors for one value, and `if` errors only echo others. */
function schemaFindings(errors: ErrorObject[], data: unknown): Finding[] {
  const seen = new Set<string>();
  const findings: Finding[] = [];
  for (const error of errors) {
    if (error.keyword === "if") continue;
    const path = pointerToPath(error.instancePath, data);
    const where = path.length === 0 ? "the policy" : fieldName(path);
    const params: Record<string, unknown> = error.params;
    let finding: Finding;
    if (error.keyword === "required") {
      const key = String(params.missingProperty);
      const properties: unknown = Reflect.get(Object(error.parentSchema), "properties");
      const expected = expectedOf(
        properties === undefined ? undefined : Reflect.get(Object(properties), key),
      );
      const hint = expected === null ? "" : `: ${expected}`;
      finding = { path, message: `${where} is missing the key "${key}"${hint}` };
    } else if (error.keyword === "additionalProperties") {
      const key = String(params.additionalProperty);
      const allowed = Object.keys(Object(Reflect.get(Object(error.parentSchema), "properties"))).join(", ");
      finding = {
        path,
        keyOf: key,
        message: `${where} has an unknown key "${key}"; the keys allowed here are ${allowed}`,
      };
    } else {
      const expected = expectedOf(error.parentSchema) ?? error.message ?? "valid";
      finding = { path, message: `${where} must be ${expected}, got ${describeValue(error.data)}` };
    }
    const key = `${error.instancePath}\u0000${finding.keyOf ?? ""}\u0000${error.keyword === "required" ? finding.message : ""}`;
    if (seen.has(key)) continue;
    seen.add(key);
    findings.push(finding);
  }
  return findings;
}

/** One step down from a node: a mapping's pair (where its key starts, whether its value is empty) or a list item. */
type Step<N> = { node: N; keyStart?: number | undefined; emptyValue?: boolean } | null;

/** A parsed document's nodes, as far as placing a finding needs them. */
interface Placer<N> {
  root: N;
  start(node: N): number | undefined;
  /** The child at `segment`, or null where there is none (or the node has no children). */
  step(node: N, segment: Segment): Step<N>;
}

/** The `yaml` library's document as a placer: it follows every YAML construct. */
function yamlPlacer(doc: Document): Placer<unknown> {
  const yaml = yamlLib();
  const start = (node: unknown) => (yaml.isNode(node) ? node.range?.[0] : undefined);
  return {
    root: doc.contents,
    start,
    step(parent, segment) {
      const node = yaml.isAlias(parent) ? parent.resolve(doc) : parent;
      if (yaml.isMap(node)) {
        const pair = node.items.find(
          (item) => yaml.isScalar(item.key) && String(item.key.value) === String(segment),
        );
        if (pair === undefined) return null;
        // An empty value (`window:`) has no useful position of its own.
        const emptyValue = yaml.isScalar(pair.value) && pair.value.value === null && pair.value.source === "";
        return { node: pair.value, keyStart: start(pair.key), emptyValue };
      }
      if (yaml.isSeq(node)) return { node: node.items[Number(segment)] };
      return null;
    },
  };
}

/** js-yaml's own parse as a placer (positions.ts), for documents it can follow. */
function positionsPlacer(root: PositionNode): Placer<PositionNode | undefined> {
  return {
    root,
    start: (node) => node?.start,
    step(node, segment) {
      if (node?.kind === "mapping") {
        for (let i = 0; i < node.children.length; i += 2) {
          const key = node.children[i] as PositionNode;
          if (key.kind !== "scalar" || String(key.value) !== String(segment)) continue;
          const value = node.children[i + 1] as PositionNode;
          return { node: value, keyStart: key.start, emptyValue: value.kind === "empty" };
        }
        return null;
      }
      if (node?.kind === "sequence") return { node: node.children[Number(segment)] };
      return null;
    },
  };
}

/** The source offset of a finding: the value at its path, the key it names, or the nearest node that holds it. */
function offsetOf<N>(placer: Placer<N>, finding: Finding): number {
  let node = placer.root;
  let offset = placer.start(node) ?? 0;
  const steps: Segment[] = finding.keyOf === undefined ? finding.path : [...finding.path, finding.keyOf];
  for (const [i, segment] of steps.entries()) {
    const step = placer.step(node, segment);
    if (step === null) break;
    if (step.keyStart === undefined && step.emptyValue === undefined) {
      node = step.node;
      offset = placer.start(node) ?? offset;
      continue;
    }
    const keyOffset = step.keyStart ?? offset;
    const pointsAtKey = finding.keyOf !== undefined && i === steps.length - 1;
    offset = pointsAtKey || step.emptyValue ? keyOffset : (placer.start(step.node) ?? keyOffset);
    node = step.node;
  }
  return offset;
}

/** A position as an editor shows it: a byte-order mark, which editors hide, takes no column of line 1. */
function shownPosition(text: string, position: { line: number; col: number }): { line: number; col: number } {
  const markFirst = position.line === 1 && position.col > 1 && text.charCodeAt(0) === 0xfeff;
  return markFirst ? { line: 1, col: position.col - 1 } : position;
}

/** 1-based line and column of a source offset, as the `yaml` library's LineCounter counts them. */
function linePosition(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let lineStart = 0;
  for (let at = text.indexOf("\n"); at !== -1 && at < offset; at = text.indexOf("\n", at + 1)) {
    line++;
    lineStart = at + 1;
  }
  return { line, col: offset - lineStart + 1 };
}

/**
 * A policy read as far as a start needs it: validated, with what it says about itself; compiled
 * (once) and its warnings placed only when asked for.
 */
export type PolicyReading =
  | {
      ok: true;
      document: PolicyDocument;
      header: PolicyHeader;
      compile: () => CompiledPolicy;
      warnings: () => PolicyError[];
    }
  | { ok: false; errors: PolicyError[] };

/** Where a policy file's relative path-rule folders are read from: its own folder. */
function originOf(fileName: string): PolicyOrigin {
  return { source: fileName, baseDir: dirname(resolve(fileName)) };
}

/**
 * Reads a policy's text: parsed once by js-yaml (YAML 1.2 core schema, numbers a double cannot hold
 * exactly refused: yaml-numbers.ts), validated and compiled.
 * Only a file with errors is parsed again, by the \`yaml\` library, to place each error at
 * FILE:LINE:COL; the verdict never rests on a second parser, and where the two disagree the
 * file is refused.
 */
export function parsePolicy(text: string, fileName: string): PolicyLoadResult {
  const reading = readPolicy(text, fileName, { warningsNow: true });
  return reading.ok ? { ok: true, policy: reading.compile(), warnings: reading.warnings() } : reading;
}

/**
 * parsePolicy, with a valid file compiled only when `compile()` is called and its warnings placed
 * only when `warnings()` is: wrap starts the server first (compiling the bench's 50 rules and
 * placing its warnings take ~25 ms of CPU under load). With `warningsNow`, the one parse also records
 * where the nodes are (positions.ts), for warnings asked for at once; without, a file that has
 * warnings is parsed a second time when they are asked for.
 */
export function readPolicy(text: string, fileName: string, options: { warningsNow: boolean }): PolicyReading {
  let data: unknown;
  const positions = options.warningsNow ? new PositionRecorder() : null;
  try {
    data = loadYaml(text, {
      schema: POLICY_YAML_SCHEMA,
      filename: fileName,
      ...(positions === null ? {} : { listener: positions.listener }),
    });
  } catch (error) {
    return refused(parsePolicyWithPositions(text, fileName), fileName, error);
  }
  if (!withinValueBudget(data)) return refused(parsePolicyWithPositions(text, fileName), fileName, null);
  const inexact = [...inexactNumberProblems(data), ...yaml11BooleanProblems(data)];
  if (inexact.length > 0)
    return {
      ok: false,
      errors: placed(text, fileName, inexact, positions?.root(text) ?? yamlPositions(text)),
    };
  const validate = policyValidator();
  const origin = originOf(fileName);
  if (validate(data) && semanticProblems(data, origin).length === 0) {
    const document = data;
    let policy: CompiledPolicy | undefined;
    const compile = () => {
      policy ??= compilePolicy(document, origin);
      return policy;
    };
    const warnings = () => {
      const found = semanticWarnings(document);
      if (found.length === 0) return [];
      return placed(text, fileName, found, positions === null ? yamlPositions(text) : positions.root(text));
    };
    return { ok: true, document, header: policyHeader(document, origin), compile, warnings };
  }
  return refused(parsePolicyWithPositions(text, fileName), fileName, null);
}

/**
 * Semantic problems (warnings of a valid file) placed at FILE:LINE:COL: by js-yaml's own parse
 * where it can be followed (positions.ts; `positions` from the parse that read the file), else
 * by the `yaml` library's positions.
 */
export function placed(
  text: string,
  fileName: string,
  problems: SemanticProblem[],
  positions: PositionNode | null = yamlPositions(text),
): PolicyError[] {
  if (positions === null) return placedByYaml(text, fileName, problems);
  const placer = positionsPlacer(positions);
  return problems.map((problem) => {
    const finding = findingOf(problem);
    const { line, col } = linePosition(text, offsetOf(placer, finding));
    return { file: fileName, line, col, path: fieldName(problem.path), message: finding.message };
  });
}

/** Semantic problems placed by the `yaml` library's positions: every YAML construct, at a cost. */
export function placedByYaml(text: string, fileName: string, problems: SemanticProblem[]): PolicyError[] {
  const lineCounter = new (yamlLib().LineCounter)();
  const placer = yamlPlacer(yamlLib().parseDocument(text, { lineCounter, prettyErrors: false }));
  return problems.map((problem) => {
    const finding = findingOf(problem);
    const { line, col } = shownPosition(text, lineCounter.linePos(offsetOf(placer, finding)));
    return { file: fileName, line, col, path: fieldName(problem.path), message: finding.message };
  });
}

/** A semantic problem as a finding: its message names the field, and it points at the key or the value. */
function findingOf(problem: SemanticProblem): Finding {
  const message = `${fieldName(problem.path)} ${problem.message}`;
  if (!problem.atKey) return { path: problem.path, message };
  return { path: problem.path.slice(0, -1), keyOf: String(problem.path.at(-1)), message };
}

/** Values a policy may expand to; aliases referring to aliases could otherwise make validation run for ever. */
const MAX_POLICY_VALUES = 100_000;

function withinValueBudget(data: unknown): boolean {
  let budget = MAX_POLICY_VALUES;
  const visit = (value: unknown): boolean => {
    if (--budget < 0) return false;
    if (typeof value !== "object" || value === null) return true;
    return (Array.isArray(value) ? value : Object.values(value)).every(visit);
  };
  return visit(data);
}

/** The located errors; if the second parse found none, the parsers disagree, and the file is refused all the same. */
function refused(
  located: PolicyLoadResult,
  fileName: string,
  parseError: unknown,
): { ok: false; errors: PolicyError[] } {
  if (!located.ok) return located;
  const mark = isYamlException(parseError) ? parseError.mark : null;
  const where = mark ? { line: mark.line + 1, col: mark.column + 1 } : { line: 1, col: 1 };
  const why = isYamlException(parseError)
    ? `${parseError.reason}; the file must be valid YAML (or JSON)`
    : "the policy is read differently by policylayer's two YAML parsers (aliases nested too deeply, or a YAML edge case); write it more plainly";
  return { ok: false, errors: [{ file: fileName, ...where, path: "", message: why }] };
}

function isYamlException(
  error: unknown,
): error is { reason: string; mark: { line: number; column: number } | null } {
  return error instanceof Error && error.name === "YAMLException" && "reason" in error;
}

/** The slow path for files with errors: the \`yaml\` library's document, whose nodes know their places. */
function parsePolicyWithPositions(text: string, fileName: string): PolicyLoadResult {
  const lineCounter = new (yamlLib().LineCounter)();
  const doc = yamlLib().parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const place = (offset: number, path: Segment[], message: string): PolicyError => {
    const { line, col } = shownPosition(text, lineCounter.linePos(offset));
    return { file: fileName, line, col, path: fieldName(path), message };
  };
  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: doc.errors.map((error) => {
        const key = /^(.*?)\s*:(\s|$)/.exec(text.slice(error.pos[0]))?.[1] ?? "";
        const message =
          error.code === "DUPLICATE_KEY"
            ? `the key "${key}" appears twice in one mapping; keep one of them`
            : `${error.message}; the file must be valid YAML (or JSON)`;
        return place(error.pos[0], [], message);
      }),
    };
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return { ok: false, errors: [place(0, [], `the YAML cannot be read: ${why}`)] };
  }
  const placer = yamlPlacer(doc);
  const fail = (findings: Finding[]): PolicyLoadResult => {
    const errors = findings.map((finding) => place(offsetOf(placer, finding), finding.path, finding.message));
    errors.sort((a, b) => a.line - b.line || a.col - b.col);
    return { ok: false, errors };
  };
  const validate = policyValidator();
  if (!validate(data)) return fail(schemaFindings(validate.errors ?? [], data));
  const origin = originOf(fileName);
  const problems = semanticProblems(data, origin);
  if (problems.length > 0) return fail(problems.map(findingOf));
  const policy = compilePolicy(data, origin);
  return { ok: true, policy, warnings: placed(text, fileName, semanticWarnings(data)) };
}

/** One error as `FILE:LINE:COL: message` (or `FILE: message` for the file as a whole), the form editors link. */
export function formatPolicyError(error: PolicyError): string {
  if (error.line === 0) return `${error.file}: ${error.message}`;
  return `${error.file}:${error.line}:${error.col}: ${error.message}`;
}

/** One warning as `FILE:LINE:COL: warning: message`. */
export function formatPolicyWarning(warning: PolicyError): string {
  return formatPolicyError({ ...warning, message: `warning: ${warning.message}` });
}

/** Reads and parses a policy file: the only I/O in the policy core. */
export async function loadPolicyFile(path: string): Promise<PolicyLoadResult> {
  const text = await policyText(path);
  return typeof text === "string" ? parsePolicy(text, path) : text;
}

/** Reads a policy file as readPolicy reads its text: compiled and its warnings placed when asked for. */
export async function readPolicyFile(path: string): Promise<PolicyReading> {
  const text = await policyText(path);
  return typeof text === "string" ? readPolicy(text, path, { warningsNow: false }) : text;
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const lenientUtf8 = new TextDecoder("utf-8", { ignoreBOM: true });

/** The UTF-8 text of `bytes`, or the line and column of its first byte that is not UTF-8. */
function utf8Text(bytes: Uint8Array): string | { line: number; col: number; byte: number } {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    // Up to the first bad byte the lenient decoding is exact: find where its first U+FFFD stands for no EF BF BD.
  }
  const lenient = lenientUtf8.decode(bytes);
  let offset = 0;
  let index = 0;
  for (const char of lenient) {
    const point = char.codePointAt(0) ?? 0;
    const replaced =
      point === 0xfffd &&
      !(bytes[offset] === 0xef && bytes[offset + 1] === 0xbf && bytes[offset + 2] === 0xbd);
    if (replaced) break;
    offset += point < 0x80 ? 1 : point < 0x800 ? 2 : point < 0x10000 ? 3 : 4;
    index += char.length;
  }
  const { line, col } = shownPosition(lenient, linePosition(lenient, index));
  return { line, col, byte: bytes[offset] ?? 0 };
}

/** The text of a policy file, or why it cannot be read (as loadPolicyFile reports it). */
export async function policyText(path: string): Promise<string | { ok: false; errors: PolicyError[] }> {
  try {
    const text = utf8Text(await readFile(path));
    if (typeof text === "string") return text;
    const byte = `0x${text.byte.toString(16).toUpperCase().padStart(2, "0")}`;
    const message = `the file is not valid UTF-8 (a byte ${byte} here); save it as UTF-8`;
    return { ok: false, errors: [{ file: path, line: text.line, col: text.col, path: "", message }] };
  } catch (error) {
    const code = error instanceof Error && "code" in error ? String(error.code) : "";
    const why =
      code === "ENOENT"
        ? "the file does not exist; check the path, or write one (see `policylayer init`)"
        : `the file cannot be read (${error instanceof Error ? error.message : String(error)})`;
    return { ok: false, errors: [{ file: path, line: 0, col: 0, path: "", message: why }] };
  }
}
