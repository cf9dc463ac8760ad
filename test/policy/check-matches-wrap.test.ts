// `check` must tell the truth about `wrap`: over generated policies, tool lists and calls, the
// decision check explains is the decision the gate makes in a real proxy session.
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CATEGORIES, RISKS } from "../../src/classify/categories.js";
import { profileToolList } from "../../src/classify/profile.js";
import { explainCall, listedProfile } from "../../src/cli/check.js";
import { parsePolicy } from "../../src/policy/load.js";
import type { ToolCall } from "../../src/policy/types.js";
import { InProcessProxy } from "../helpers/in-process.js";
import { tempDir } from "../helpers/tmp.js";

const dir = tempDir();
afterAll(() => dir.cleanup());

/** A small seeded generator (mulberry32), so a failure names the seed that reproduces it. */
function generator(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const chance = (p: number) => next() < p;
  const some = <T>(items: readonly T[], max: number): T[] => {
    const count = 1 + Math.floor(next() * max);
    return [...new Set(Array.from({ length: count }, () => pick(items)))];
  };
  return { pick, chance, some };
}
type Random = ReturnType<typeof generator>;

const TOOL_NAMES = [
  "read_file",
  "delete_stack",
  "list_things",
  "manage_stacks",
  "run_query",
  "send_payment",
  "create_issue",
  "describe_cluster",
] as const;
/** Called but never listed: classified by name only. */
const UNLISTED = ["drop_table", "get_secret"] as const;
const TOOL_PATTERNS = [...TOOL_NAMES, ...UNLISTED, "delete_*", "*_stack*", "?ead_file", "*"];
const OPERATIONS = ["describe", "delete", "deploy", "other"];

function toolList(random: Random): Record<string, unknown>[] {
  return TOOL_NAMES.filter(() => random.chance(0.85)).map((name) => {
    const tool: Record<string, unknown> = { name, inputSchema: { type: "object" } };
    if (name === "manage_stacks") {
      tool.inputSchema = {
        type: "object",
        properties: { operation: { type: "string", enum: ["describe", "delete", "deploy"] } },
      };
    }
    if (random.chance(0.5)) tool.description = random.pick(["Reads a file", "Deletes it", "Runs a job"]);
    if (random.chance(0.5)) {
      const annotations: Record<string, boolean> = {};
      if (random.chance(0.6)) annotations.readOnlyHint = random.chance(0.5);
      if (random.chance(0.6)) annotations.destructiveHint = random.chance(0.5);
      tool.annotations = annotations;
    }
    return tool;
  });
}

function condition(random: Random): Record<string, unknown> {
  const path = random.pick(["tool", "args.operation", "args.path", "args.count", "args.tags", "args.tags.0"]);
  const op = random.pick([
    "eq",
    "neq",
    "in",
    "not_in",
    "lt",
    "gte",
    "regex",
    "glob",
    "contains",
    "starts_with",
    "exists",
  ]);
  const text = () => random.pick([...OPERATIONS, "/etc", "a", "read_file"]);
  switch (op) {
    case "in":
    case "not_in":
      return { path, op, value: random.some([...OPERATIONS, 3, "a"], 3) };
    case "lt":
    case "gte":
      return { path, op, value: random.pick([0, 3, 10]) };
    case "regex":
      return { path, op, value: random.pick(["^/etc", "de", "^[a-z]+$"]) };
    case "glob":
      return { path, op, value: random.pick(["/etc/*", "de*", "*"]) };
    case "exists":
      return { path, op, value: random.chance(0.5) };
    case "eq":
    case "neq":
      return { path, op, value: random.chance(0.3) ? random.pick([3, 10]) : text() };
    default:
      return { path, op, value: text() };
  }
}

function rule(random: Random): Record<string, unknown> {
  const action = random.pick(["allow", "deny", "require_approval"]);
  const generated: Record<string, unknown> = { action };
  if (random.chance(0.5)) generated.tool = random.some(TOOL_PATTERNS, 2);
  if (random.chance(0.35)) generated.category = random.some(CATEGORIES, 2);
  if (random.chance(0.25)) generated.risk = random.some(RISKS, 2);
  if (action === "deny" && random.chance(0.2)) generated.hide = true;
  else if (random.chance(0.4))
    generated.when = Array.from({ length: random.chance(0.7) ? 1 : 2 }, () => condition(random));
  if (random.chance(0.4)) generated.reason = random.pick(["No.", "Ask first", "Fine"]);
  return generated;
}

function policyDocument(random: Random): Record<string, unknown> {
  const document: Record<string, unknown> = {
    version: 1,
    mode: random.chance(0.8) ? "enforce" : "monitor",
    default: random.pick(["allow", "deny"]),
    rules: Array.from({ length: random.pick([0, 1, 2, 3, 4, 5, 6]) }, () => rule(random)),
  };
  if (random.chance(0.4)) {
    document.classify = Object.fromEntries(
      random.some([...TOOL_NAMES, ...UNLISTED], 2).map((name) => [name, random.pick(CATEGORIES)]),
    );
  }
  return document;
}

function toolCall(random: Random): ToolCall {
  const args: Record<string, unknown> = {};
  if (random.chance(0.6)) args.operation = random.pick(OPERATIONS);
  if (random.chance(0.4)) args.path = random.pick(["/etc/passwd", "/home/a", "de"]);
  if (random.chance(0.4)) args.count = random.pick([0, 3, 7, 12]);
  if (random.chance(0.3)) args.tags = random.pick([[], ["a"], ["b", "a"]]);
  return { name: random.pick([...TOOL_NAMES, ...UNLISTED]), arguments: args };
}

const POLICIES = 300;
const CALLS_PER_POLICY = 12;

describe("check against wrap, over generated policies and calls", () => {
  it("explains exactly the decision the gate makes, and the tools/list the proxy shows", () => {
    let validPolicies = 0;
    let compared = 0;
    for (let seed = 1; seed <= POLICIES; seed++) {
      const random = generator(seed);
      const tools = toolList(random);
      const document = policyDocument(random);
      const loaded = parsePolicy(JSON.stringify(document), `generated-${seed}.yaml`);
      if (!loaded.ok) continue;
      validPolicies++;
      const policy = loaded.policy;
      const profiles = profileToolList({ tools });
      const proxy = new InProcessProxy({ policy, auditPath: join(dir.path, `audit-${seed}.jsonl`) });
      const where = `seed ${seed}, policy ${JSON.stringify(document)}`;
      const audits: { about: string; id: number; expected: Record<string, unknown> }[] = [];

      proxy.fromClient({ jsonrpc: "2.0", id: "list", method: "tools/list" });
      proxy.serverReceived();
      proxy.fromServer({ jsonrpc: "2.0", id: "list", result: { tools } });
      const [listed] = proxy.clientReceived();
      const shown = (listed?.result as { tools: { name: string }[] } | undefined)?.tools.map(
        (tool) => tool.name,
      );
      for (const tool of tools) {
        const name = String(tool.name);
        const explained = explainCall(policy, profiles.get(name), { name, arguments: {} });
        const hidden = policy.mode === "enforce" && explained.hider !== null;
        expect(shown?.includes(name), `${where}: ${name} shown`).toBe(!hidden);
      }

      for (let index = 0; index < CALLS_PER_POLICY; index++) {
        const call = toolCall(random);
        const id = index + 1;
        // As check -- COMMAND chooses the profile from the server's tools/list.
        const { profile } = listedProfile({ profiles, commandLine: "server" }, call.name);
        const explained = explainCall(policy, profile, call);
        const { decision } = explained;
        const about = `${where}, call ${JSON.stringify(call)}`;

        proxy.fromClient({
          jsonrpc: "2.0",
          id,
          method: "tools/call",
          params: { name: call.name, arguments: call.arguments },
        });
        const forwarded = proxy.serverReceived();
        if (forwarded.length > 0) proxy.fromServer({ jsonrpc: "2.0", id, result: { content: [] } });
        const answer = proxy.clientReceived()[0];
        audits.push({
          about,
          id,
          expected: {
            policy_action: decision.action,
            rule: decision.rule?.index ?? null,
            category: explained.classes.call.category,
            risk: explained.classes.call.risk,
          },
        });
        const forwardExpected = policy.mode === "monitor" || decision.action === "allow";
        expect(forwarded.length, about).toBe(forwardExpected ? 1 : 0);
        if (!forwardExpected) {
          const result = answer?.result as { _meta: Record<string, { reason: string }> } | undefined;
          const reason = result?._meta["policylayer/decision"]?.reason;
          expect(reason?.startsWith(decision.reason), about).toBe(true);
        }

        // The trace check prints ends at the deciding rule, and nothing before it matched.
        if (explained.hider === null) {
          const verdicts = explained.checks.map((check) => check.verdict);
          if (decision.rule === null) {
            expect(verdicts, about).toEqual(policy.rules.map(() => "no match"));
          } else {
            expect(explained.checks.at(-1)?.rule, about).toBe(decision.rule);
            expect(
              verdicts.slice(0, -1).every((verdict) => verdict === "no match"),
              about,
            ).toBe(true);
          }
        } else {
          expect(decision.rule, about).toBe(explained.hider);
        }
        compared++;
      }
      proxy.close();
      const lines = proxy.auditLines().filter((line) => line.event === "tools/call");
      for (const { about, id, expected } of audits) {
        const audited = lines.find((line) => line.id === id);
        expect(audited, about).toBeDefined();
        expect(
          {
            policy_action: audited?.policy_action,
            rule: (audited?.rule as { index: number } | null | undefined)?.index ?? null,
            category: audited?.category,
            risk: audited?.risk,
          },
          about,
        ).toEqual(expected);
      }
    }
    // Most generated policies must be valid, or the test would compare little.
    expect(validPolicies).toBeGreaterThan(POLICIES * 0.8);
    expect(compared).toBe(validPolicies * CALLS_PER_POLICY);
  });
});
