import { describe, expect, it } from "vitest";
import { decideToolCall } from "../../src/policy/decide.js";
import { parsePolicy } from "../../src/policy/load.js";
import { policyFrom, readLow } from "./helpers.js";

/** The errors of a policy that must not validate, as LINE:COL: message. */
function errorsOf(text: string): string[] {
  const result = parsePolicy(text, "p.yaml");
  if (result.ok) throw new Error("the policy validated");
  return result.errors.map((error) => `${error.line}:${error.col}: ${error.message}`);
}

const conditionOn = (value: string) =>
  `version: 1\ndefault: allow\nrules:\n  - tool: set_flag\n    when: [{ path: args.enabled, op: eq, value: ${value} }]\n    action: deny\n`;

describe("YAML 1.1 booleans in a condition's value", () => {
  it("refuses a plain yes, no, on or off as a value, which YAML 1.1 reads as a boolean and YAML 1.2 as text", () => {
    expect(errorsOf(conditionOn("yes"))).toEqual([
      '5:49: rules[0].when[0].value is yes, which YAML 1.1 reads as true and YAML 1.2 (policylayer) as the text "yes"; write true, or "yes" in quotes',
    ]);
    expect(
      errorsOf(
        "version: 1\ndefault: allow\nrules:\n  - tool: t\n    when: [{ path: args.mode, op: in, value: [fast, Off, { a: N }] }]\n    action: deny\n",
      ),
    ).toEqual([
      '5:53: rules[0].when[0].value[1] is Off, which YAML 1.1 reads as false and YAML 1.2 (policylayer) as the text "Off"; write false, or "Off" in quotes',
      '5:63: rules[0].when[0].value[2].a is N, which YAML 1.1 reads as false and YAML 1.2 (policylayer) as the text "N"; write false, or "N" in quotes',
    ]);
  });

  it("takes true, or the text in quotes, as written", () => {
    const call = { name: "set_flag", arguments: { enabled: true } };
    expect(decideToolCall(policyFrom(conditionOn("true")), call, readLow).action).toBe("deny");
    const quoted = { name: "set_flag", arguments: { enabled: "yes" } };
    expect(decideToolCall(policyFrom(conditionOn('"yes"')), quoted, readLow).action).toBe("deny");
  });

  it("reads such words as text where only text is meant: a reason, a tool name, a classify key", () => {
    const policy = policyFrom(
      "version: 1\ndefault: allow\nclassify:\n  on: read\nrules:\n  - tool: y\n    action: deny\n    reason: no\n",
    );
    expect([...policy.categoryOverrides]).toEqual([["on", "read"]]);
    const decision = decideToolCall(policy, { name: "y", arguments: {} }, readLow);
    expect([decision.action, decision.reason]).toEqual(["deny", "no"]);
  });
});
