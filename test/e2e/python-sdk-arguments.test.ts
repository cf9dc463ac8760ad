import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Connected, connectThroughProxy } from "../helpers/clients.js";
import { pythonWithMcp } from "../helpers/python-sdk.js";
import { readJsonLines, tempDir, writePolicy } from "../helpers/tmp.js";

// A typed server of our own on the official Python SDK records each call's arguments as the SDK parsed
// them (pre_parse_json, then pydantic), with their Python types. Every spelling a lax server reads as a
// denied value is denied; every allowed one reaches the server as the typed value we decided on.
const typedServer = fileURLToPath(new URL("../servers/typed_server.py", import.meta.url));

const POLICY = `
version: 1
default: allow
rules:
  - tool: transfer
    when: [{ path: args.amount, op: gt, value: 1000 }]
    action: deny
    reason: transfers above 1000 need a person
  - tool: set_flag
    when: [{ path: args.enabled, op: eq, value: true }]
    action: deny
    reason: the flag stays off
  - tool: scale
    when: [{ path: args.instance_groups.*.InstanceCount, op: gt, value: 10 }]
    action: deny
    reason: at most 10 instances per group
  - tool: fetch
    when: [{ path: args.url, op: regex, value: '^https?://(localhost|127\\.0\\.0\\.1|169\\.254\\.169\\.254)([:/]|$)' }]
    action: deny
    reason: no fetching of local or metadata addresses
  - tool: delete_record
    when: [{ path: args.record_id, op: eq, value: a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11 }]
    action: deny
    reason: that record stays
  - tool: connect
    when: [{ path: args.host, op: in, value: ["::1", "127.0.0.1"] }]
    action: deny
    reason: no loopback
  - tool: pay
    when: [{ path: args.amount, op: gt, value: 1000 }]
    action: deny
    reason: payments above 1000 need a person
`;

const NUMBERS_5000 = [" 5000 ", "5_000", "5000.0", "+5000", "05000", "5000\n", 5000, 5000.0];
const NUMBERS_500 = [" 500 ", "5_00", "500.0", "+500", "0500", "500\n", "500"];
const TRUE_SPELLINGS = ["true", "True", "TRUE", "1", "yes", "on", "t", "y", 1, 1.0, true];
const FALSE_SPELLINGS = ["false", "False", "FALSE", "0", "no", "off", "f", "n", 0, 0.0, false];

type ToolResult = { isError?: boolean; content: Array<{ type: string; text: string }> };
type Recorded = { tool: string; arguments: Record<string, { type: string; value: unknown }> };

for (const major of [1, 2] as const) {
  describe(`a typed server on the Python mcp SDK ${major}.x, through policylayer`, () => {
    let dir: { path: string; cleanup: () => void };
    let records: string;
    let proxied: Connected;
    let seen = 0;

    beforeAll(async () => {
      const python = await pythonWithMcp(major);
      dir = tempDir();
      records = `${dir.path}/records.jsonl`;
      const policy = writePolicy(dir.path, POLICY);
      proxied = await connectThroughProxy(
        ["--policy", policy, "--audit", `${dir.path}/audit.jsonl`],
        [python, typedServer],
        { RECORD_FILE: records },
      );
      // The tools' inputSchemas: what policylayer reads the arguments against.
      await proxied.client.listTools();
    }, 180_000);

    afterAll(async () => {
      await proxied?.close();
      dir?.cleanup();
    });

    async function call(name: string, args: Record<string, unknown>): Promise<ToolResult> {
      return (await proxied.client.callTool({ name, arguments: args })) as ToolResult;
    }

    /** Everything the server recorded, as the text it wrote. */
    function recordedText(): string {
      return existsSync(records) ? readFileSync(records, "utf8") : "";
    }

    /** What the server recorded since the last look: one line per call it executed. */
    function executed(): Recorded[] {
      const lines = readJsonLines(records) as unknown as Recorded[];
      const fresh = lines.slice(seen);
      seen = lines.length;
      return fresh;
    }

    it("denies every spelling of 5000 for an integer above 1000, and the server executes none of them", async () => {
      for (const amount of NUMBERS_5000) {
        const result = await call("transfer", { amount });
        expect(result.isError, JSON.stringify(amount)).toBe(true);
        expect(result.content[0]?.text).toContain("transfers above 1000 need a person");
      }
      expect(executed()).toEqual([]);
    });

    it("passes every spelling of 500 on as the integer 500", async () => {
      for (const amount of NUMBERS_500) {
        const result = await call("transfer", { amount });
        expect(result.isError, JSON.stringify(amount)).toBe(false);
      }
      const runs = executed();
      expect(runs).toHaveLength(NUMBERS_500.length);
      for (const run of runs) expect(run.arguments.amount).toEqual({ type: "int", value: 500 });
    });

    it("denies 12345678901234567890 for an integer above 1000, and the server never sees it", async () => {
      const result = await call("transfer", { amount: "12345678901234567890" });
      expect(result.isError).toBe(true);
      expect(result.content[0]?.text).toContain("transfers above 1000 need a person");
      expect(executed()).toEqual([]);
    });

    it("passes 12345678901234567890 on as that very integer, every digit", async () => {
      const before = recordedText().length;
      const result = await call("label", { limit: "12345678901234567890" });
      expect(result.isError).toBe(false);
      expect(executed()).toHaveLength(1);
      // JSON.parse would round the digits: the line the server wrote, as text.
      expect(recordedText().slice(before)).toContain(
        '"limit": {"type": "int", "value": 12345678901234567890}',
      );
    });

    it("refuses 5000.5 for an integer, naming the argument and what the schema wants", async () => {
      const result = await call("transfer", { amount: "5000.5" });
      expect(result.isError).toBe(true);
      expect(result.content[0]?.text).toContain('argument amount must be an integer; got "5000.5"');
      expect(executed()).toEqual([]);
    });

    it("denies every spelling of true for a boolean the policy wants off", async () => {
      for (const enabled of TRUE_SPELLINGS) {
        const result = await call("set_flag", { enabled });
        expect(result.isError, JSON.stringify(enabled)).toBe(true);
        expect(result.content[0]?.text).toContain("the flag stays off");
      }
      expect(executed()).toEqual([]);
    });

    it("passes every spelling of false on as the boolean False", async () => {
      for (const enabled of FALSE_SPELLINGS) {
        const result = await call("set_flag", { enabled });
        expect(result.isError, JSON.stringify(enabled)).toBe(false);
      }
      const runs = executed();
      expect(runs).toHaveLength(FALSE_SPELLINGS.length);
      for (const run of runs) expect(run.arguments.enabled).toEqual({ type: "bool", value: false });
    });

    it("decides a list sent as JSON text as the list it is: a second group of 50 is denied", async () => {
      const groups = [
        { InstanceGroupName: "controllers", InstanceCount: 2 },
        { InstanceGroupName: "workers", InstanceCount: "50" },
      ];
      const result = await call("scale", { instance_groups: JSON.stringify(groups) });
      expect(result.isError).toBe(true);
      expect(result.content[0]?.text).toContain("at most 10 instances per group");
      expect(executed()).toEqual([]);
    });

    it("passes a list sent as JSON text on as the list, with its counts as integers", async () => {
      const text = '[{"InstanceGroupName": "workers", "InstanceCount": "8"}]';
      const result = await call("scale", { instance_groups: text });
      expect(result.isError).toBe(false);
      const [run] = executed();
      expect(run?.arguments.instance_groups).toEqual({
        type: "list",
        value: [
          {
            type: "InstanceGroup",
            value: {
              InstanceGroupName: { type: "str", value: "workers" },
              InstanceCount: { type: "int", value: 8 },
            },
          },
        ],
      });
    });

    it("refuses a key the schema does not declare, and the server never sees the call", async () => {
      const result = await call("export", { field_schema: "secret" });
      expect(result.isError).toBe(true);
      expect(result.content[0]?.text).toContain(
        "argument field_schema is not declared by the tool's inputSchema",
      );
      expect(executed()).toEqual([]);
    });

    it("decides a URL, a UUID and an address as the server's types read them, and the server executes none of the denied ones", async () => {
      const denied: Array<[string, Record<string, unknown>, string]> = [
        ["fetch", { url: "http://0xA9FEA9FE/latest/meta-data/" }, "no fetching of local"],
        ["fetch", { url: "http://2852039166/latest/meta-data/" }, "no fetching of local"],
        ["fetch", { url: "HTTP://LOCALHOST/admin" }, "no fetching of local"],
        ["fetch", { url: "http://127.1/admin" }, "no fetching of local"],
        ["fetch", { url: "http:\\\\localhost\\admin" }, "no fetching of local"],
        ["fetch", { url: "http://local\thost/admin" }, "no fetching of local"],
        ["delete_record", { record_id: "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11" }, "that record stays"],
        [
          "delete_record",
          { record_id: "urn:uuid:a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11" },
          "that record stays",
        ],
        ["delete_record", { record_id: "a0eebc999c0b4ef8bb6d6bb9bd380a11" }, "that record stays"],
        ["connect", { host: "0:0:0:0:0:0:0:1" }, "no loopback"],
        ["connect", { host: "::1%lo" }, "no loopback"],
        ["connect", { host: "0:0::1%1" }, "no loopback"],
        ["pay", { amount: "1000.0000000000000001" }, "payments above 1000"],
        // Decimal() takes underscores, any decimal digits and any length.
        ["pay", { amount: "1000.0000000000000000_1" }, "payments above 1000"],
        ["pay", { amount: "１０００.０００００００００００００００００１" }, "payments above 1000"],
        ["pay", { amount: ` 1${"0".repeat(6000)}_0` }, "payments above 1000"],
        ["pay", { amount: `５${"0".repeat(6000)}` }, "payments above 1000"],
        ["pay", { amount: `${"0".repeat(6000)}1000.0000000000000000001` }, "payments above 1000"],
        ["pay", { amount: `1000.${"0".repeat(6000)}1` }, "payments above 1000"],
      ];
      for (const [tool, args, reason] of denied) {
        const result = await call(tool, args);
        expect(result.isError, JSON.stringify(args)).toBe(true);
        expect(result.content[0]?.text).toContain(reason);
      }
      expect(executed()).toEqual([]);
      // What the server made of the first URL: the metadata address the rule names.
      const allowed = await call("fetch", { url: "HTTP://Example.COM/a" });
      expect(allowed.isError).toBe(false);
      expect(executed()[0]?.arguments.url?.value).toBe("http://example.com/a");
    });

    it("refuses JSON text for a list inside an object, as pydantic does, and the server never sees it", async () => {
      const result = await call("configure", { spec: { ports: "[22, 80]" } });
      expect(result.isError).toBe(true);
      expect(result.content[0]?.text).toContain("argument spec.ports must be a list");
      expect(executed()).toEqual([]);
    });

    it("reads null sent as text for an optional integer as None, as the SDK does", async () => {
      const result = await call("label", { limit: "null", labels: '{"a": "1"}' });
      expect(result.isError).toBe(false);
      const [run] = executed();
      expect(run?.arguments).toEqual({
        labels: { type: "dict", value: { a: { type: "int", value: 1 } } },
        limit: { type: "NoneType", value: null },
      });
    });
  });
}
