import { it } from "vitest";
import { profileTool } from "../../src/classify/index.js";
const rows: [string, string][] = [
  ["create_incoming_phone_number", "Purchase a phone-number for the account."],
  ["create_order", "Create an order in PayPal.\n\nThis tool is used to create a new order in PayPal. This is typically the first step in initiating a payment flow."],
  ["update_dispute", "Update dispute"],
  ["query_prometheus", "Query Prometheus using a PromQL expression."],
  ["query_loki_logs", "Executes a LogQL query against a Loki datasource to retrieve log entries or metric values."],
  ["query_cloudwatch", "Query CloudWatch metrics"],
  ["download_polyhaven_asset", "Download and import a Polyhaven asset into Blender."],
  ["decompile_function", "Decompile a specific function by name and return the decompiled C code."],
];
it("x", () => { for (const [name, description] of rows) {
  const p = profileTool({ name, description });
  console.log(name, "=>", p.classification.category, "|", p.classification.signals.join("; "));
} });
