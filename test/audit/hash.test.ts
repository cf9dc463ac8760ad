import { describe, expect, it } from "vitest";
import { type AuditRecord, argumentsHash, callRecordLine } from "../../src/audit/log.js";
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

describe("callRecordLine", () => {
  const base: AuditRecord = {
    time: "2026-11-24T14:00:00.000Z",
    session: "s-1",
    server: 'uvx "odd" server\\path',
    event: "tools/call",
    id: "req-\u2028-7",
    tool: 'delete_"stack"',
    decision: "deny",
    policy_action: "require_approval",
    mode: "enforce",
    rule: { index: 2, tool: ["delete_*", "x\ny"] },
    reason: 'Multi-line\nreason with "quotes" and \u0000 control',
    category: "destructive",
    risk: "critical",
    args_sha256: "ab".repeat(32),
  };

  it("writes exactly what JSON.stringify writes, for a record with every field", () => {
    const full: AuditRecord = {
      ...base,
      arguments: { path: "/etc/passwd", nested: [1, { a: null }] },
      approval: { channel: "inbox", decided_by: "cli:ada", waited_ms: 1200, outcome: "approved" },
      outcome: "tool_error",
      duration_ms: 12,
    };
    expect(callRecordLine(full)).toBe(`${JSON.stringify(full)}\n`);
  });

  it("writes exactly what JSON.stringify writes, for a denial without the optional fields", () => {
    expect(callRecordLine({ ...base, rule: null, id: 5 })).toBe(
      `${JSON.stringify({ ...base, rule: null, id: 5 })}\n`,
    );
  });

  it("writes each of a run of records that differ in one field at a time exactly as JSON.stringify does", () => {
    const variants: AuditRecord[] = [
      base,
      { ...base, session: "s-2" },
      { ...base, server: "other" },
      { ...base, decision: "allow" },
      { ...base, policy_action: "allow" },
      { ...base, mode: "monitor" },
      { ...base, rule: { index: 3, tool: null } },
      { ...base, rule: { index: 2, tool: ["other"] } },
      { ...base, reason: "another reason" },
      { ...base, category: "read", risk: "low" },
      { ...base, tool: "t\u00e9" },
      { ...base, time: "2026-11-24T14:00:00.001Z" },
      { ...base, args_sha256: "cd".repeat(32), outcome: "result", duration_ms: 3 },
    ];
    for (const record of [...variants, ...variants.reverse()])
      expect(callRecordLine(record)).toBe(`${JSON.stringify(record)}\n`);
  });
});
