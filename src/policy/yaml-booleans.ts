import { Type } from "js-yaml";
import type { SemanticProblem } from "./semantics.js";

/** The plain words YAML 1.1 reads as booleans and YAML 1.2's core schema (ours) as text, but for true and false. */
const YAML_11_BOOLEAN = /^(?:y|Y|yes|Yes|YES|on|On|ON|n|N|no|No|NO|off|Off|OFF)$/;
const YAML_11_TRUE = /^(?:y|yes|on)$/i;

/**
 * A plain scalar such as `yes` or `off`, until it is known where it stands. As a condition's value
 * it is refused: a policy written for YAML 1.1 (PyYAML, Kubernetes, Ansible) means a boolean by it,
 * and `eq: yes` would never match the boolean a server reads. Anywhere else it is its text
 * (`reason: no`, a tool named `y`), the only reading the schema takes there.
 */
export class Yaml11Boolean {
  constructor(readonly text: string) {}

  /** Makes js-yaml take a mapping key that is such a word as its text, not "[object Object]". */
  get [Symbol.toStringTag](): string {
    return "Yaml11Boolean";
  }

  toString(): string {
    return this.text;
  }
}

export const yaml11BooleanType = new Type("tag:yaml.org,2002:str", {
  kind: "scalar",
  resolve: (data: unknown) => typeof data === "string" && YAML_11_BOOLEAN.test(data),
  construct: (text: string) => new Yaml11Boolean(text),
});

/** Whether `path` is a condition's value or inside one: rules[i].when[j].value... */
function inConditionValue(path: readonly (string | number)[]): boolean {
  return path[0] === "rules" && path[2] === "when" && path[4] === "value";
}

/**
 * Every Yaml11Boolean in a condition's value, as a problem at its place; every other one is put
 * back as its text, in place.
 */
export function yaml11BooleanProblems(data: unknown): SemanticProblem[] {
  const problems: SemanticProblem[] = [];
  const visit = (value: unknown, path: (string | number)[]): unknown => {
    if (value instanceof Yaml11Boolean) {
      if (!inConditionValue(path)) return value.text;
      const meant = YAML_11_TRUE.test(value.text) ? "true" : "false";
      problems.push({
        path,
        atKey: false,
        message: `is ${value.text}, which YAML 1.1 reads as ${meant} and YAML 1.2 (policylayer) as the text ${JSON.stringify(value.text)}; write ${meant}, or ${JSON.stringify(value.text)} in quotes`,
      });
    } else if (Array.isArray(value)) {
      for (const [i, item] of value.entries()) value[i] = visit(item, [...path, i]);
    } else if (typeof value === "object" && value !== null) {
      for (const [key, item] of Object.entries(value)) Reflect.set(value, key, visit(item, [...path, key]));
    }
    return value;
  };
  visit(data, []);
  return problems;
}
