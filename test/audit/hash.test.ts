import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AuditLog, type AuditRecord, argumentsHash, CallLineWriter } from "../../src/audit/log.js";
import { canonicalJson } from "../../src/policy/compile.js";
import { RAW_HIDDEN } from "../helpers/attack-strings.js";
import { tempDir } from "../helpers/tmp.js";

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

describe("CallLineWriter", () => {
  const lines = new CallLineWriter();
  const callRecordLine = (record: AuditRecord) => lines.line(record).text;
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

describe("AuditLog", () => {
  it("writes C1 controls, bidi and invisible characters as \\u escapes: the same record, safe to show on a terminal", () => {
    const dir = tempDir();
    try {
      const path = join(dir.path, "audit.jsonl");
      const log = AuditLog.open(path, { event: "session_start", server: "uvx x\u009b2J" });
      const record = {
        time: "2026-11-24T14:00:00.000Z",
        session: "s-1",
        server: "uvx server",
        event: "tools/call",
        id: 1,
        tool: "read\u009b2J\u009b1;1Hdelete_all\u202e",
        decision: "deny",
        policy_action: "deny",
        mode: "enforce",
        rule: null,
        reason: "pro\u200bd \u2066x\u2069 é",
        category: "read",
        risk: "low",
        args_sha256: "ab".repeat(32),
      } satisfies AuditRecord;
      log.appendCall(record);
      log.batch(() => log.appendCall({ ...record, id: 2 }));
      // All ASCII, but DEL, which JSON.stringify leaves raw, would hide itself on a terminal.
      const deleted = { ...record, id: 3, tool: "read\x7f\x7f\x7f_notes", reason: "r", server: "s" };
      log.appendCall(deleted);
      log.close();
      const text = readFileSync(path, "utf8");
      for (const line of text.trimEnd().split("\n")) expect(line).not.toMatch(RAW_HIDDEN);
      expect(text).toContain("read\\u009b2J\\u009b1;1Hdelete_all\\u202e");
      expect(text).toContain("é");
      const lines = text
        .trimEnd()
        .split("\n")
        .map((line) => JSON.parse(line));
      expect(lines).toEqual([
        { event: "session_start", server: "uvx x\u009b2J" },
        record,
        { ...record, id: 2 },
        deleted,
      ]);
      expect(text).toContain("read\\u007f\\u007f\\u007f_notes");
    } finally {
      dir.cleanup();
    }
  });

  it("writes ASCII and non-ASCII lines, in and out of a batch, as the UTF-8 of JSON.stringify", () => {
    const dir = tempDir();
    try {
      const path = join(dir.path, "audit.jsonl");
      const log = AuditLog.open(path, { event: "session_start", server: "uvx sérveur" });
      const ascii: AuditRecord = {
        time: "2026-11-24T14:00:00.000Z",
        session: "s-1",
        server: "uvx server",
        event: "tools/call",
        id: 1,
        tool: "echo",
        decision: "allow",
        policy_action: "allow",
        mode: "enforce",
        rule: null,
        reason: "allowed",
        category: "read",
        risk: "low",
        args_sha256: "ab".repeat(32),
        outcome: "result",
        duration_ms: 1,
      };
      // Each non-ASCII field on its own, between ASCII records, so no memo carries a stale answer.
      const records: AuditRecord[] = [
        ascii,
        { ...ascii, id: 2, tool: "écho" },
        { ...ascii, id: 3 },
        { ...ascii, id: "réq-4" },
        { ...ascii, id: 5, reason: "allowed: lecture seule ✓" },
        { ...ascii, id: 6 },
        { ...ascii, id: 7, server: "uvx 服务器" },
        { ...ascii, id: 8 },
        { ...ascii, id: 9, arguments: { text: "😀" } },
        {
          ...ascii,
          id: 10,
          approval: { channel: "inbox", decided_by: "cli:zoë", waited_ms: 5, outcome: "approved" },
        },
        { ...ascii, id: 11, time: "2026-11-24T14:00:00.001Z" },
        // Not what policylayer writes there, but the log must not depend on it.
        { ...ascii, id: 12, time: "mardi 24 novembre à 14 h" },
        { ...ascii, id: 13, time: "2026-11-24T14:00:00.002Z" },
        { ...ascii, id: 14, args_sha256: "é".repeat(64) },
        { ...ascii, id: 15 },
      ];
      // One write per record, so each line's own encoding is tested; then a batch that mixes them.
      for (const record of records) log.appendCall(record);
      log.batch(() => {
        for (const record of records) log.appendCall(record);
      });
      log.batch(() => {
        log.appendCall(ascii);
        log.append({ event: "approval_request", tool: "supprimer_pile" });
      });
      log.close();
      // Decoded as UTF-8: a non-ASCII line written as latin1 would not read back the same.
      const lines = readFileSync(path, "utf8").trimEnd().split("\n");
      expect(lines.map((line) => JSON.parse(line))).toEqual([
        { event: "session_start", server: "uvx sérveur" },
        ...records,
        ...records,
        ascii,
        { event: "approval_request", tool: "supprimer_pile" },
      ]);
    } finally {
      dir.cleanup();
    }
  });
});
