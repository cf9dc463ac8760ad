import { CORE_SCHEMA, Type } from "js-yaml";
import { compareNumbers, ExactNumber } from "../wire/exact-number.js";
import type { SemanticProblem } from "./semantics.js";
import { yaml11BooleanType } from "./yaml-booleans.js";

/**
 * Numbers in a policy are read as doubles (the schema, limits and compiled conditions take plain
 * numbers); one whose text denotes another number than its double does (9007199254740993,
 * 0.30000000000000001, 1e400, .inf) would be compared as a number nobody wrote, so the policy is
 * refused at it instead; so is one YAML 1.1 reads as another number (010). This is what such a
 * number reads as until then.
 */
export class InexactNumber {
  constructor(
    readonly text: string,
    /** The double js-yaml would have made of it. */
    readonly nearest: number,
    /** Why it is refused, when it is not for its digits: what to write instead. */
    readonly why: string | null = null,
  ) {}

  /** Makes js-yaml take a mapping key that is such a number as its text, not "[object Object]". */
  get [Symbol.toStringTag](): string {
    return "InexactNumber";
  }

  toString(): string {
    return this.text;
  }
}

/** YAML 1.2 core integers as js-yaml reads them: decimal, 0x, 0o and (js-yaml's own) 0b. */
const INTEGER = /^[-+]?(?:[0-9]+|0x[0-9a-fA-F]+|0o[0-7]+|0b[01]+)$/;
/** YAML 1.2 core floats as js-yaml reads them: sign, whole digits, fraction, exponent. */
const FLOAT = /^(?:([-+]?)([0-9]+)(?:\.([0-9]*))?|\.([0-9]+))(?:[eE]([-+]?[0-9]+))?$/;
const SPECIAL_FLOAT = /^(?:[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;

/** 010 and the like: octal in YAML 1.1 (PyYAML, Kubernetes), decimal in YAML 1.2 and js-yaml; 007 is 7 in both. */
const LEADING_ZERO_OCTAL = /^[-+]?0+([1-7][0-7]+)$/;

function integerValue(text: string): number | InexactNumber {
  const octal = LEADING_ZERO_OCTAL.exec(text)?.[1];
  if (octal !== undefined) {
    const sign = text.startsWith("-") ? "-" : "";
    const decimal = Number(`${sign}${octal}`);
    const asOctal = Number.parseInt(`${sign}${octal}`, 8);
    const why = `which YAML 1.1 reads as the octal ${asOctal} and YAML 1.2 (policylayer) as ${decimal}; write ${decimal}, or ${sign}0o${octal} for ${asOctal}`;
    return new InexactNumber(text, decimal, why);
  }
  const negative = text.startsWith("-");
  // BigInt reads 0x, 0o and 0b itself, and a leading 0 as decimal, as js-yaml does.
  const magnitude = BigInt(/^[-+]/.test(text) ? text.slice(1) : text);
  const exact = negative ? -magnitude : magnitude;
  return exactly(exact.toString(), text);
}

/**
 * The double for a JSON literal when it denotes exactly the number that double stands for in
 * policylayer's comparisons (compareNumbers: its shortest text, so 0.1 and 12345678901234567000
 * are exact), else an InexactNumber of the text as written.
 */
function exactly(literal: string, text: string): number | InexactNumber {
  const value = Number(literal);
  return Number.isFinite(value) && compareNumbers(new ExactNumber(literal), value) === 0
    ? value
    : new InexactNumber(text, value);
}

function floatValue(text: string): number | InexactNumber {
  const match = FLOAT.exec(text);
  if (match === null) {
    const special = text.toLowerCase();
    return new InexactNumber(
      text,
      special === ".nan" ? Number.NaN : special.startsWith("-") ? -Infinity : Infinity,
    );
  }
  const [, sign, whole = "0", fraction = match[4] ?? "", , exponent] = match;
  const literal =
    (sign === "-" ? "-" : "") +
    whole.replace(/^0+(?=.)/, "") +
    (fraction === "" ? "" : `.${fraction}`) +
    (exponent === undefined ? "" : `e${exponent}`);
  return exactly(literal, text);
}

const integerType = new Type("tag:yaml.org,2002:int", {
  kind: "scalar",
  resolve: (data: unknown) => typeof data === "string" && INTEGER.test(data),
  construct: integerValue,
});

const floatType = new Type("tag:yaml.org,2002:float", {
  kind: "scalar",
  // Unlike js-yaml's own, a float out of range (1e400) is a number (refused), not the string "1e400".
  resolve: (data: unknown) => typeof data === "string" && (FLOAT.test(data) || SPECIAL_FLOAT.test(data)),
  construct: floatValue,
});

/**
 * The YAML 1.2 core schema with numbers a double cannot hold kept apart as InexactNumber, and
 * YAML 1.1's boolean words as Yaml11Boolean (yaml-booleans.ts).
 */
export const POLICY_YAML_SCHEMA = CORE_SCHEMA.extend({
  implicit: [integerType, floatType, yaml11BooleanType],
});

/** Every InexactNumber in a parsed policy, as a problem at its place. */
export function inexactNumberProblems(data: unknown): SemanticProblem[] {
  const problems: SemanticProblem[] = [];
  const visit = (value: unknown, path: (string | number)[]) => {
    if (value instanceof InexactNumber) {
      const message = value.why
        ? `is ${value.text}, ${value.why}`
        : Number.isFinite(value.nearest)
          ? `is ${value.text}, a number policylayer cannot hold exactly (as a double it would be ${value.nearest}, another number); write one with fewer digits, an integer within ±2^53`
          : `is ${value.text}, not a finite number; write a finite number`;
      problems.push({ path, atKey: false, message });
    } else if (Array.isArray(value)) {
      for (const [i, item] of value.entries()) visit(item, [...path, i]);
    } else if (typeof value === "object" && value !== null) {
      for (const [key, item] of Object.entries(value)) visit(item, [...path, key]);
    }
  };
  visit(data, []);
  return problems;
}
