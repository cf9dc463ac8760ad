import { describe, expect, it } from "vitest";
import { ABSENT } from "../../src/policy/condition.js";
import { decideToolCall } from "../../src/policy/decide.js";
import { policyFrom, readLow } from "./helpers.js";

/** The action a one-rule policy (`action` when the condition holds, else the other one) takes. */
function decide(condition: string, action: "deny" | "allow", args: Record<string, unknown>): string {
  const fallback = action === "deny" ? "allow" : "deny";
  const policy = policyFrom(
    `version: 1\ndefault: ${fallback}\nrules:\n  - when: [${condition}]\n    action: ${action}\n`,
  );
  return decideToolCall(policy, { name: "t", arguments: args }, readLow).action;
}

function conditionOf(condition: string, action = "deny") {
  const policy = policyFrom(
    `version: 1\ndefault: allow\nrules:\n  - when: [${condition}]\n    action: ${action}\n`,
  );
  const [rule] = policy.rules;
  const [compiled] = rule?.conditions ?? [];
  if (compiled === undefined) throw new Error("no condition");
  return compiled;
}

const groups = (...counts: unknown[]) =>
  counts.map((count, i) => ({ InstanceGroupName: `g${i}`, InstanceCount: count }));

describe("args.list.*.field: any element", () => {
  const overTen = "{ path: args.instance_groups.*.InstanceCount, op: gt, value: 10 }";

  it("holds when a later element satisfies the condition", () => {
    expect(decide(overTen, "deny", { instance_groups: groups(2, 50) })).toBe("deny");
    expect(decide(overTen, "deny", { instance_groups: groups(2, 3) })).toBe("allow");
  });

  it("holds for no element of an empty list, and the empty list counts as absent for exists", () => {
    expect(decide(overTen, "deny", { instance_groups: [] })).toBe("allow");
    const none = "{ path: args.instance_groups.*.InstanceCount, op: exists, value: false }";
    expect(decide(none, "deny", { instance_groups: [] })).toBe("deny");
    expect(decide(none, "deny", { instance_groups: groups(1) })).toBe("allow");
  });

  it("walks every member of an object too", () => {
    expect(decide("{ path: args.limits.*, op: gt, value: 10 }", "deny", { limits: { a: 1, b: 11 } })).toBe(
      "deny",
    );
  });

  it("says which element matched", () => {
    const finding = conditionOf(overTen).explain({
      name: "t",
      arguments: { instance_groups: groups(2, 50, 70) },
    });
    expect(finding).toEqual({ holds: true, path: "args.instance_groups.1.InstanceCount", value: 50 });
  });

  it("says where it looked when no element matched", () => {
    const finding = conditionOf(overTen).explain({ name: "t", arguments: { instance_groups: groups(2) } });
    expect(finding).toEqual({ holds: false, path: "args.instance_groups.0.InstanceCount", value: 2 });
    const absent = conditionOf(overTen).explain({ name: "t", arguments: {} });
    expect(absent).toEqual({ holds: false, path: "args.instance_groups.*.InstanceCount", value: ABSENT });
  });

  it("looks inside a list sent as JSON text for a deny rule", () => {
    const text = JSON.stringify(groups(2, 50));
    expect(decide(overTen, "deny", { instance_groups: text })).toBe("deny");
    const finding = conditionOf(overTen).explain({ name: "t", arguments: { instance_groups: text } });
    expect(finding).toMatchObject({ holds: true, path: "args.instance_groups.1.InstanceCount", value: 50 });
  });

  it("never lets an allow rule hold through JSON text", () => {
    const underTen = "{ path: args.instance_groups.*.InstanceCount, op: lt, value: 10 }";
    expect(decide(underTen, "allow", { instance_groups: groups(2) })).toBe("allow");
    expect(decide(underTen, "allow", { instance_groups: JSON.stringify(groups(2)) })).toBe("deny");
  });
});

describe("the readings a server could make of a value, where no schema typed it", () => {
  it("matches a deny rule's number condition with every numeric spelling of 5000", () => {
    for (const amount of [
      " 5000 ",
      "5_000",
      "5000.0",
      "+5000",
      "05000",
      "5000\n",
      "12345678901234567890",
      "1e4",
    ]) {
      expect(
        decide("{ path: args.amount, op: gt, value: 1000 }", "deny", { amount }),
        JSON.stringify(amount),
      ).toBe("deny");
    }
    expect(decide("{ path: args.amount, op: gt, value: 1000 }", "deny", { amount: "50" })).toBe("allow");
  });

  it("matches a deny rule's boolean condition with every boolean spelling, and 1 and 1.0", () => {
    for (const enabled of ["true", "True", "TRUE", "1", "yes", "on", "t", "y", 1, 1.0]) {
      expect(
        decide("{ path: args.enabled, op: eq, value: true }", "deny", { enabled }),
        JSON.stringify(enabled),
      ).toBe("deny");
    }
    expect(decide("{ path: args.enabled, op: eq, value: true }", "deny", { enabled: "no" })).toBe("allow");
  });

  it("lets an allow rule hold only when every reading does", () => {
    // The text "5000" is not the number 5000, but the server reads it as 5000: the allow rule does not hold.
    expect(decide("{ path: args.amount, op: neq, value: 5000 }", "allow", { amount: "5000" })).toBe("deny");
    expect(decide("{ path: args.amount, op: neq, value: 5000 }", "allow", { amount: "4000" })).toBe("allow");
    expect(decide("{ path: args.mode, op: eq, value: safe }", "allow", { mode: "safe" })).toBe("allow");
  });

  it("matches in and not_in with readings of the listed values' types", () => {
    expect(decide("{ path: args.level, op: in, value: [3, 4] }", "deny", { level: "3" })).toBe("deny");
    expect(decide("{ path: args.level, op: not_in, value: [1, 2] }", "allow", { level: "1" })).toBe("deny");
  });

  it("says which reading made the condition hold", () => {
    const finding = conditionOf("{ path: args.amount, op: gt, value: 1000 }").explain({
      name: "t",
      arguments: { amount: "5_000" },
    });
    expect(finding).toEqual({ holds: true, path: "args.amount", value: "5_000", reading: 5000 });
  });
});

describe("the spellings a server's own types read as the same string", () => {
  const metadata =
    '{ path: args.url, op: regex, value: "^https?://(localhost|127\\\\.0\\\\.0\\\\.1|169\\\\.254\\\\.169\\\\.254)([:/]|$)" }';

  it("decides a URL as a server that parses it (pydantic's HttpUrl, WHATWG) reads it", () => {
    for (const url of [
      "http://0xA9FEA9FE/latest/meta-data/",
      "http://2852039166/latest/meta-data/",
      "HTTP://LOCALHOST/admin",
      "http://127.1/admin",
      "http:\\\\localhost\\admin",
      "http://local\thost/admin",
      "http://169.254.43518/latest/",
      "http://loc%61lhost/",
      "http://ＬＯＣＡＬＨＯＳＴ/",
      "http://localhost./",
      " http://localhost/",
      "http://[::ffff:169.254.169.254]/latest",
      "http://[::ffff:a9fe:a9fe]/latest",
      "http://[0:0:0:0:0:ffff:a9fe:a9fe]/latest",
      "http://[::ffff:127.0.0.1]/",
    ]) {
      expect(decide(metadata, "deny", { url }), url).toBe("deny");
    }
    expect(decide(metadata, "deny", { url: "https://example.com/" })).toBe("allow");
    const contains = '{ path: args.link, op: contains, value: "169.254.169.254" }';
    expect(decide(contains, "deny", { link: "http://169.254.43518/latest/" })).toBe("deny");
  });

  it("lets an allow rule hold only where every spelling does, and reads its own URL as a server serializes it", () => {
    const api = '{ path: args.url, op: starts_with, value: "https://api.example.com/" }';
    expect(decide(api, "allow", { url: "https://api.example.com/v1?q=a b" })).toBe("allow");
    expect(decide(api, "allow", { url: "HTTPS://evil.example/x" })).toBe("deny");
    const exactly = '{ path: args.url, op: eq, value: "https://api.example.com" }';
    expect(decide(exactly, "allow", { url: "https://api.example.com" })).toBe("allow");
    expect(decide(exactly, "allow", { url: "https://api.example.com/" })).toBe("allow");
    expect(decide(exactly, "allow", { url: "https://api.example.com.evil/" })).toBe("deny");
    // A string that is no URL of a special scheme keeps its one spelling: a Windows path stays as written.
    const windows = '{ path: args.path, op: starts_with, value: "C:\\\\Users\\\\" }';
    expect(decide(windows, "allow", { path: "C:\\Users\\me" })).toBe("allow");
  });

  it("reads a UUID in any form Python's UUID() takes, and an IPv6 address compressed", () => {
    const id = '{ path: args.record_id, op: eq, value: "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11" }';
    for (const record_id of [
      "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11",
      "urn:uuid:a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
      "a0eebc999c0b4ef8bb6d6bb9bd380a11",
      "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}",
      // Python's UUID() removes every urn:, uuid: and hyphen, and braces at either end, then reads 32 characters with int(_, 16).
      "a-0-e-e-b-c-9-9-9-c-0-b-4-e-f-8-b-b-6-d-6-b-b-9-b-d-3-8-0-a-1-1",
      "{{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}}",
      "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
      "uuid:a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
      "urn:urn:uuid:a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
      "a0eebc99urn:-9c0b-4ef8-bb6d-6bb9bd380a11",
    ]) {
      expect(decide(id, "deny", { record_id }), record_id).toBe("deny");
    }
    const zeros = '{ path: args.record_id, op: eq, value: "00eebc99-9c0b-4ef8-bb6d-6bb9bd380a11" }';
    for (const record_id of [
      " 0eebc999c0b4ef8bb6d6bb9bd380a11",
      "+0eebc999c0b4ef8bb6d6bb9bd380a11",
      "0xeebc999c0b4ef8bb6d6bb9bd380a11",
      "0e_ebc999c0b4ef8bb6d6bb9bd380a11",
    ])
      expect(decide(zeros, "deny", { record_id }), record_id).toBe("deny");
    expect(decide(id, "deny", { record_id: "-{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}-" })).toBe("allow");
    expect(decide(id, "deny", { record_id: "b0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11" })).toBe("allow");
    const loopback = '{ path: args.host, op: in, value: ["::1", "127.0.0.1"] }';
    // A zone index (Python's IPv6Address takes "::1%lo" since 3.9) names an interface, not another address.
    for (const host of [
      "0:0:0:0:0:0:0:1",
      "0000::1",
      "::ffff:127.0.0.1",
      "::ffff:7f00:1",
      "::1%lo",
      "0:0::1%eth0",
      "::ffff:127.0.0.1%1",
    ]) {
      expect(decide(loopback, "deny", { host }), host).toBe("deny");
    }
    expect(decide(loopback, "deny", { host: "::2" })).toBe("allow");
    expect(decide(loopback, "deny", { host: "::2%lo" })).toBe("allow");
    const scoped = '{ path: args.host, op: eq, value: "fe80::1%eth0" }';
    expect(decide(scoped, "deny", { host: "FE80:0::1%eth0" })).toBe("deny");
  });

  it("compares a decimal exactly where no double holds it, as a Decimal field does", () => {
    const over = "{ path: args.amount, op: gt, value: 1000 }";
    expect(decide(over, "deny", { amount: "1000.0000000000000001" })).toBe("deny");
    expect(decide(over, "deny", { amount: " +1000.0000000000000001 " })).toBe("deny");
    expect(decide(over, "deny", { amount: "1000.000" })).toBe("allow");
    expect(decide(over, "deny", { amount: "999.99999999999999999" })).toBe("allow");
    // Decimal() takes underscores, any decimal digits and any length: each of these is above 1000.
    for (const amount of [
      "1000.0000000000000000_1",
      "１０００.０００００００００００００００００１",
      ` 1${"0".repeat(6000)}_0`,
      `５${"0".repeat(6000)}`,
      `${"0".repeat(6000)}1000.0000000000000000001`,
      `1000.${"0".repeat(6000)}1`,
      `1000${"0".repeat(100_000)}1.5`,
    ])
      expect(decide(over, "deny", { amount }), amount.slice(0, 40)).toBe("deny");
    expect(decide(over, "deny", { amount: `1000.${"0".repeat(6000)}` })).toBe("allow");
    expect(decide(over, "deny", { amount: `999.${"9".repeat(6000)}` })).toBe("allow");
    expect(decide(over, "deny", { amount: `${"0".repeat(6000)}1000` })).toBe("allow");
  });
});
