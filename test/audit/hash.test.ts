import { describe, expect, it } from "vitest";
import { argumentsHash } from "../../src/audit/log.js";
import { canonicalJson } from "../../src/policy/compile.js";

describe("canonical arguments", () => {
  it("gives the same text whatever the key order, at every level", () => {
    const a = JSON.parse('{"b":1,"a":{"d":[{"y":1,"x":2}],"c":"s"}}');
    const b = JSON.parse('{"a":{"c":"s","d":[{"x":2,"y":1}]},"b":1}');
    expect(canonicalJson(a)).toBe('{"a":{"c":"s","d":[{"x":2,"y":1}]},"b":1}');
    expect(canonicalJson(b)).toBe(canonicalJson(a));
  });

  it("sorts integer-like keys as strings, although objects enumerate them numerically", () => {
    const value = JSON.parse('{"9":"nine","10":"ten","a":true}');
    expect(canonicalJson(value)).toBe('{"10":"ten","9":"nine","a":true}');
  });

  it("hashes equal arguments equally and different ones differently", () => {
    expect(argumentsHash({ stack: "prod", force: true })).toBe(argumentsHash({ force: true, stack: "prod" }));
    expect(argumentsHash({ stack: "prod" })).not.toBe(argumentsHash({ stack: "dev" }));
    expect(argumentsHash({})).toBe("44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
  });
});
