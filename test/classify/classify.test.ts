import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  CATEGORIES,
  classifyCall,
  describeClassification,
  profileTool,
  profileToolList,
  RISKS,
  riskOf,
  severityRank,
  splitWords,
} from "../../src/classify/index.js";
import type { ToolDefinition } from "../../src/classify/types.js";
import { sagemakerToolsListFixture } from "../helpers/paths.js";

const selectorTool = (values: string[], annotations?: ToolDefinition["annotations"]): ToolDefinition => ({
  name: "manage_things",
  description: "Manage things.",
  inputSchema: { type: "object", properties: { action: { type: "string", enum: values } } },
  ...(annotations ? { annotations } : {}),
});

describe("categories and risks", () => {
  it("maps each category to its risk", () => {
    expect(CATEGORIES.map(riskOf)).toEqual(["low", "medium", "high", "critical", "critical"]);
    expect(RISKS).toEqual(["low", "medium", "high", "critical"]);
  });

  it("orders severity read < write < execute < destructive < financial (the tie-break)", () => {
    expect(CATEGORIES.map(severityRank)).toEqual([0, 1, 2, 3, 4]);
  });
});

describe("naming styles", () => {
  it.each(["delete_stack", "deleteStack", "DeleteStack", "stacks.delete", "delete-stack", "stacks/delete"])(
    "%s is destructive",
    (name) => {
      expect(profileTool({ name }).classification.category).toBe("destructive");
    },
  );

  it("splits acronyms and digits", () => {
    expect(splitWords("getHTTPResponse2")).toEqual(["get", "http", "response2"]);
    expect(splitWords("API-post-database-query")).toEqual(["api", "post", "database", "query"]);
  });

  it("names the verb's place in the signal", () => {
    expect(profileTool({ name: "delete_stack" }).classification.signals[0]).toBe("name starts with delete");
    expect(profileTool({ name: "stacks.delete" }).classification.signals[0]).toBe("name ends with delete");
  });
});

describe("annotations", () => {
  it("trusts readOnlyHint: true on a read-named tool", () => {
    const { classification } = profileTool({ name: "list_stacks", annotations: { readOnlyHint: true } });
    expect(classification.category).toBe("read");
    expect(classification.signals).toContain("readOnlyHint: true");
  });

  it("leans severe when readOnlyHint: true contradicts a delete name, and says so", () => {
    const { classification } = profileTool({ name: "delete_stack", annotations: { readOnlyHint: true } });
    expect(classification.category).toBe("destructive");
    expect(classification.signals[0]).toBe(
      "conflict: readOnlyHint: true but name starts with delete; leaning severe",
    );
  });

  it("takes readOnlyHint: true over an execute verb (a read-only query)", () => {
    const tool = { name: "run_report", annotations: { readOnlyHint: true } };
    expect(profileTool(tool).classification.category).toBe("read");
  });

  it("makes an unknown-named tool destructive on destructiveHint: true", () => {
    const tool = { name: "frobnicate", annotations: { readOnlyHint: false, destructiveHint: true } };
    expect(profileTool(tool).classification.category).toBe("destructive");
  });

  it("leans severe when destructiveHint: true contradicts a read name, and says so", () => {
    const tool = { name: "get_stack", description: "Get a stack.", annotations: { destructiveHint: true } };
    const { classification } = profileTool(tool);
    expect(classification.category).toBe("destructive");
    expect(classification.signals.some((signal) => signal.startsWith("conflict:"))).toBe(true);
  });

  it("makes destructiveHint: false at least write, even for a read name", () => {
    const tool = { name: "get_stack", annotations: { readOnlyHint: false, destructiveHint: false } };
    const { classification } = profileTool(tool);
    expect(classification.category).toBe("write");
    expect(classification.signals.join("; ")).toContain("conflict: the server says it is not read-only");
  });

  it("keeps a delete name destructive despite destructiveHint: false", () => {
    const tool = { name: "delete_stack", annotations: { readOnlyHint: false, destructiveHint: false } };
    const { classification } = profileTool(tool);
    expect(classification.category).toBe("destructive");
    expect(classification.signals).toContain(
      "conflict: destructiveHint: false but name starts with delete; leaning severe",
    );
  });

  it("keeps execute and financial above destructiveHint: false", () => {
    const run = { name: "run_script", annotations: { readOnlyHint: false, destructiveHint: false } };
    const refund = { name: "create_refund", annotations: { readOnlyHint: false, destructiveHint: false } };
    expect(profileTool(run).classification.category).toBe("execute");
    expect(profileTool(refund).classification.category).toBe("financial");
  });

  it("ignores hints that are not booleans", () => {
    const tools = profileToolList({
      tools: [{ name: "delete_stack", annotations: { readOnlyHint: "yes" } }],
    });
    expect(tools.get("delete_stack")?.classification.category).toBe("destructive");
  });

  it("says when there are no annotations", () => {
    expect(profileTool({ name: "get_stack" }).classification.signals).toContain(
      "no readOnlyHint or destructiveHint: the tool may write and destroy",
    );
  });
});

describe("names, descriptions and schemas without annotations", () => {
  it("classifies a tool nothing can classify as write, never read", () => {
    const { classification } = profileTool({ name: "frobnicate", description: "Frobnicates." });
    expect(classification.category).toBe("write");
    expect(classification.signals[0]).toContain("unknown tool is write, never read");
  });

  it("reads the description when the name has no verb", () => {
    expect(profileTool({ name: "stacks", description: "Deletes a stack." }).classification.category).toBe(
      "destructive",
    );
  });

  it("takes an overwriting write as destructive", () => {
    const tool = { name: "save_file", description: "Saves content; will overwrite the file if present." };
    expect(profileTool(tool).classification.category).toBe("destructive");
  });

  it("takes a code property as execute and a money property as financial", () => {
    const code = { name: "notebook", inputSchema: { properties: { code: { type: "string" } } } };
    const money = { name: "send_funds", inputSchema: { properties: { amount: { type: "number" } } } };
    expect(profileTool(code).classification.category).toBe("execute");
    expect(profileTool(money).classification.category).toBe("financial");
  });

  it("takes a query that says it is read-only in its first sentence as a read", () => {
    const tool = { name: "query", description: "Run a read-only SQL query" };
    expect(profileTool(tool).classification.category).toBe("read");
  });

  it("does not read a tool whose read-only phrase describes only some of its operations", () => {
    const ecs = {
      name: "ecs_resource_management",
      description:
        "Execute ECS API operations directly. Supported: DeleteCluster, DescribeClusters (read-only)",
    };
    expect(profileTool(ecs).classification.category).toBe("execute");
  });

  it("leans severe when a read-only tool also names an operation that changes data", () => {
    const tool = { name: "run", description: "Runs a read-only query, or an INSERT when asked." };
    const { classification } = profileTool(tool);
    expect(classification.category).toBe("execute");
    expect(classification.signals).toContain(
      'description says "read-only" but also names insert: leaning severe',
    );
  });

  it.each([
    ["sql_list", { type: "array", items: { type: "string" } }],
    ["sql_statements", { type: "string" }],
    ["cli_command", { type: "string" }],
    ["shellCommand", { type: "string" }],
  ])("takes a %s property as code to run", (property, schema) => {
    const tool = { name: "apply_changes", inputSchema: { properties: { [property]: schema } } };
    expect(profileTool(tool).classification.signals).toContain(
      `accepts code or a command to run (${property})`,
    );
    expect(profileTool(tool).classification.category).toBe("execute");
  });

  it.each(["country_code", "bank_statement", "command_id", "sql_dialect"])(
    "does not take %s for code",
    (property) => {
      const tool = {
        name: "update_address",
        inputSchema: { properties: { [property]: { type: "string" } } },
      };
      expect(profileTool(tool).classification.category).toBe("write");
    },
  );

  it("takes a close that sells as financial: the description's means moves money", () => {
    const tool = { name: "close_position", description: "Closes a position by placing a sell order." };
    const { classification } = profileTool(tool);
    expect(classification.category).toBe("financial");
    expect(classification.signals).toContain("description says sell: leaning severe");
  });

  it.each(["qty", "lamports", "amountWei"])(
    "takes a %s property of a changing tool as financial",
    (property) => {
      const tool = {
        name: "close_position",
        inputSchema: { properties: { [property]: { type: "string" } } },
      };
      expect(profileTool(tool).classification.category).toBe("financial");
    },
  );

  it.each([
    ["exercise_options_position", "financial"],
    ["mint_tokens", "financial"],
    ["redeem_voucher", "financial"],
    ["pop_element", "destructive"],
    ["trim_array", "destructive"],
  ])("takes %s as %s", (name, category) => {
    expect(profileTool({ name }).classification.category).toBe(category);
  });

  it("reads a stake quote: stake names the thing a later verb acts on", () => {
    expect(profileTool({ name: "stake_quote" }).classification.category).toBe("read");
  });

  it("notes a filesystem path argument", () => {
    const tool = { name: "read_text", inputSchema: { properties: { path: { type: "string" } } } };
    expect(profileTool(tool).classification.signals).toContain("accepts a filesystem path (path)");
  });

  it("survives malformed input schemas", () => {
    for (const inputSchema of [null, 42, "x", [], { properties: [] }, { properties: { a: null } }]) {
      expect(profileTool({ name: "get_x", inputSchema }).classification.category).toBe("read");
    }
  });
});

describe("selector arguments", () => {
  const profile = profileTool(selectorTool(["list", "create", "delete"]));

  it("classifies each value and takes the most severe as the tool's own", () => {
    expect(profile.selector?.argument).toBe("action");
    expect([...(profile.selector?.values ?? [])].map(([value, c]) => [value, c.category])).toEqual([
      ["list", "read"],
      ["create", "write"],
      ["delete", "destructive"],
    ]);
    expect(profile.classification.category).toBe("destructive");
    expect(profile.classification.signals[0]).toBe("most severe action: delete");
  });

  it("classifies a call by the value it carries", () => {
    expect(classifyCall(profile, "manage_things", { action: "list" }).category).toBe("read");
    expect(classifyCall(profile, "manage_things", { action: "create" }).category).toBe("write");
  });

  it("classifies an unknown value as the tool's most severe, and says so", () => {
    const call = classifyCall(profile, "manage_things", { action: "LIST" });
    expect(call.category).toBe("destructive");
    expect(call.signals[0]).toBe(
      'action "LIST" is not one of the tool\'s values: classified as its most severe action',
    );
  });

  it("classifies a non-string value as the tool's most severe", () => {
    expect(classifyCall(profile, "manage_things", { action: ["list"] }).category).toBe("destructive");
  });

  it("does not take an inherited property for the selector", () => {
    const args: Record<string, unknown> = Object.create({ action: "list" });
    expect(classifyCall(profile, "manage_things", args).category).toBe("destructive");
  });

  it("does not treat an enum of non-verbs as a selector", () => {
    expect(profileTool(selectorTool(["fast", "slow", "medium"])).selector).toBeUndefined();
  });

  it("applies the tool's annotations to every value", () => {
    const readOnly = profileTool(selectorTool(["list", "delete"], { readOnlyHint: true }));
    expect(readOnly.selector?.values.get("list")?.category).toBe("read");
    expect(readOnly.selector?.values.get("delete")?.category).toBe("destructive");
  });

  it("makes values of a financial tool financial", () => {
    const tool = { ...selectorTool(["get", "create"]), name: "manage_invoices" };
    expect(profileTool(tool).selector?.values.get("create")?.category).toBe("financial");
    expect(profileTool(tool).selector?.values.get("get")?.category).toBe("read");
  });
});

describe("classifyCall", () => {
  it("lets the policy's classify block win, and says so", () => {
    const call = classifyCall(profileTool({ name: "delete_stack" }), "delete_stack", {}, "read");
    expect(call).toEqual({
      category: "read",
      risk: "low",
      signals: ["classified as read by the policy's classify block", "heuristics said destructive"],
    });
  });

  it("classifies a tool the server never listed by its name", () => {
    const call = classifyCall(undefined, "drop_table", {});
    expect(call.category).toBe("destructive");
    expect(call.signals[0]).toBe(
      "the server does not list this tool: the most severe reading of its name and arguments",
    );
  });

  it("reads a list of statements in a call of an unlisted tool as code to run", () => {
    const classification = classifyCall(undefined, "transact", { sql_list: ["DELETE FROM t"] });
    expect(classification.category).toBe("execute");
    expect(classification.signals).toContain("sql_list may be code to run");
  });

  it("shares the profile's frozen classification, so no caller can change the profile through it", () => {
    const profile = profileTool({ name: "get_stack" });
    const classification = classifyCall(profile, "get_stack", {});
    expect(() => classification.signals.push("mine")).toThrow(TypeError);
    expect(() => Object.assign(classification, { category: "read" })).toThrow(TypeError);
    expect(profile.classification.signals).not.toContain("mine");
  });

  it("is deterministic", () => {
    const fixture = sagemakerToolsListFixture;
    const text = readFileSync(fixture, "utf8");
    const first = profileToolList(JSON.parse(text));
    const second = profileToolList(JSON.parse(text));
    expect([...second]).toEqual([...first]);
    const args = { operation: "deploy" };
    expect(classifyCall(first.get("manage_hyperpod_stacks"), "manage_hyperpod_stacks", args)).toEqual(
      classifyCall(second.get("manage_hyperpod_stacks"), "manage_hyperpod_stacks", args),
    );
  });

  it("describes a classification in one line", () => {
    const line = describeClassification(profileTool({ name: "delete_stack" }).classification);
    expect(line).toBe(
      "destructive (critical): name starts with delete; no readOnlyHint or destructiveHint: the tool may write and destroy",
    );
  });
});

describe("classes that protect the built-in default policy", () => {
  const category = (name: string, description: string, extra: Partial<ToolDefinition> = {}) =>
    profileTool({ name, description, ...extra }).classification.category;

  it.each([
    ["create_incoming_phone_number", "Purchase a phone number"],
    ["create_order", "Create an order in PayPal"],
    ["update_dispute", "Update dispute"],
    ["create_qr_code", "Create a new QR code in Razorpay that can be used to accept UPI payments"],
    ["send-egld", "Create a move balance transaction and send it."],
    ["transfer_tokens", "Transfer tokens from one wallet to another."],
    ["capture_payment", "Use this tool to capture a previously authorized payment."],
  ])("takes %s (%s) as financial: it moves money or commits spend", (name, description) => {
    expect(category(name, description)).toBe("financial");
  });

  it.each([
    ["query_prometheus", "Query Prometheus using a PromQL expression."],
    ["query_loki_logs", "Executes a LogQL query against a Loki datasource to retrieve log entries."],
    ["query_cloudwatch", "Query CloudWatch metrics and logs."],
    ["execute_log_insights_query", "Executes a CloudWatch Logs Insights query and waits for the results."],
    ["decompile_function", "Decompile a function at the given address."],
    ["purchase_get", "Get detailed information about a specific purchase."],
  ])("takes %s (%s) as read", (name, description) => {
    expect(category(name, description)).toBe("read");
  });

  it("keeps a SQL query of a logs table execute: SQL can change data", () => {
    expect(category("query_logs", "Run a SQL query against the logs database.")).toBe("execute");
  });

  it("takes 'Download and import an asset' as write, though download alone reads", () => {
    expect(category("download_polyhaven_asset", "Download and import an asset")).toBe("write");
    expect(category("download_report", "Download a report")).toBe("read");
  });

  it("does not take a noun after 'and' for a joined verb", () => {
    expect(
      category("list_contact_points", "Lists contact points, returning a UID, name, and type for each."),
    ).toBe("read");
  });

  it("takes a tool marked both read-only and destructive as destructive, and says why", () => {
    const { classification } = profileTool({
      name: "list_stacks",
      annotations: { readOnlyHint: true, destructiveHint: true },
    });
    expect(classification.category).toBe("destructive");
    expect(classification.signals[0]).toBe(
      "conflict: readOnlyHint: true and destructiveHint: true; leaning severe",
    );
  });

  it("gives a tool the server lists twice the more severe of its two readings, for every call", () => {
    const profiles = profileToolList({
      tools: [
        { name: "stacks", description: "List stacks.", annotations: { readOnlyHint: true } },
        selectorTool(["list", "delete"]),
        { name: "stacks", description: "Delete a stack." },
      ].map((tool) => ({ ...tool, name: "stacks" })),
    });
    const profile = profiles.get("stacks");
    expect(profile?.classification.category).toBe("destructive");
    expect(profile?.classification.signals[0]).toBe(
      "the server listed this tool more than once: leaning severe",
    );
    expect(classifyCall(profile, "stacks", { action: "list" }).category).toBe("destructive");
  });

  it("reads a tool the server does not list by its name and its arguments, the most severe of them", () => {
    expect(classifyCall(undefined, "manage_hyperpod_stacks", { operation: "delete" }).category).toBe(
      "destructive",
    );
    expect(classifyCall(undefined, "manage_hyperpod_stacks", { operation: "describe" }).category).toBe(
      "write",
    );
    expect(classifyCall(undefined, "get_report", { sql: "DROP TABLE t" }).category).toBe("execute");
    expect(classifyCall(undefined, "get_report", { amount: 5 }).category).toBe("financial");
  });
});
