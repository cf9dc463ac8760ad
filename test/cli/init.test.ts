import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parsePolicy } from "../../src/policy/load.js";
import { npmServer } from "../helpers/paths.js";
import { tempDir } from "../helpers/tmp.js";
import { parseToolsJson, policylayer, rowOf, SAGEMAKER, type ToolsJsonRow } from "./run.js";

const workDir = tempDir();
afterAll(() => workDir.cleanup());

/** What the starter policy's comments promise for a call of each category. */
function expectStarterDecision(row: ToolsJsonRow): void {
  const label = `${row.tool}${row.value === null ? "" : `(${row.value})`} (${row.category})`;
  if (row.category === "read") {
    expect({ label, action: row.action, rate_limit: row.rate_limit }).toEqual({
      label,
      action: "allow",
      rate_limit: null,
    });
  } else if (row.category === "write") {
    expect({ label, action: row.action, rate_limit: row.rate_limit }).toEqual({
      label,
      action: "allow",
      rate_limit: { max: 30, window: 60 },
    });
  } else {
    expect({ label, action: row.action, rule: typeof row.rule }).toEqual({
      label,
      action: "deny",
      rule: "number",
    });
  }
}

/** init -o FILE, validate FILE, then tools --policy FILE --json: the rows it decides. */
async function roundTrip(server: string[], name: string): Promise<{ text: string; rows: ToolsJsonRow[] }> {
  const file = join(workDir.path, name);
  const init = await policylayer("init", "-o", file, "--", ...server);
  expect(init.exitCode, init.stderr).toBe(0);
  expect(init.stdout).toContain(`wrote ${file}`);
  const validate = await policylayer("validate", file);
  expect(validate.exitCode, validate.stderr).toBe(0);
  const tools = await policylayer("tools", "--json", "--policy", file, "--", ...server);
  expect(tools.exitCode, tools.stderr).toBe(0);
  return { text: readFileSync(file, "utf8"), rows: parseToolsJson(tools.stdout) };
}

describe("policylayer init for server-filesystem", () => {
  const sandbox = tempDir();
  const server = npmServer("filesystem", sandbox.path);
  afterAll(() => sandbox.cleanup());

  it("writes a policy that validates and decides as its comments say", async () => {
    const { text, rows } = await roundTrip(server, "filesystem.yaml");
    expect(rows.length).toBeGreaterThanOrEqual(10);
    for (const row of rows) expectStarterDecision(row);
    // Every tool is listed with its description as a comment.
    for (const row of rows) expect(text).toMatch(new RegExp(`\\n  # ${row.tool}: \\S`));
    expect(text).toContain("default: deny");
    expect(text).toContain("#   action: require_approval");
  });

  it("has one section per category, from read to financial", async () => {
    const text = (await policylayer("init", "--", ...server)).stdout;
    const sections = [...text.matchAll(/^ {2}# ── (\w+) /gm)].map((match) => match[1]);
    expect(sections).toEqual(["read", "write", "execute", "destructive", "financial"]);
  });

  it("prints the policy to stdout without -o, and it parses", async () => {
    const run = await policylayer("init", "--", ...server);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(/^# policylayer starter policy for: /);
    expect(run.stdout).toContain("policylayer wrap --policy policy.yaml -- ");
    const parsed = parsePolicy(run.stdout, "stdout");
    expect(parsed.ok).toBe(true);
  });

  it("refuses to overwrite an existing file without --force, and overwrites it with --force", async () => {
    const file = join(workDir.path, "existing.yaml");
    writeFileSync(file, "# mine\n");
    const refused = await policylayer("init", "-o", file, "--", ...server);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain(`${file} already exists; pass --force to overwrite it`);
    expect(readFileSync(file, "utf8")).toBe("# mine\n");
    const forced = await policylayer("init", "-o", file, "--force", "--", ...server);
    expect(forced.exitCode).toBe(0);
    expect(readFileSync(file, "utf8")).toContain("version: 1");
  });

  it("asks for the server's command after -- (exit 2)", async () => {
    const run = await policylayer("init", "-o", join(workDir.path, "none.yaml"));
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain("needs the server's command after --");
  });
});

describe("policylayer init for the real SageMaker AI server (uvx)", () => {
  it("writes per-operation rules that validate and decide as the comments say", async () => {
    const { text, rows } = await roundTrip(SAGEMAKER, "sagemaker.yaml");
    const valueRows = rows.filter((row) => row.value !== null);
    expect(valueRows).toHaveLength(8);
    for (const row of rows) if (row.argument === null || row.value !== null) expectStarterDecision(row);
    expect(rowOf(rows, "manage_hyperpod_stacks", "delete")).toMatchObject({ action: "deny" });
    expect(rowOf(rows, "manage_hyperpod_cluster_nodes", "update_software")).toMatchObject({
      action: "allow",
      rate_limit: { max: 30, window: 60 },
    });
    // A call without an operation falls to default: deny, as the file says.
    expect(rowOf(rows, "manage_hyperpod_stacks")).toMatchObject({ action: "deny", rule: null });
    expect(text).toContain(
      "      - { path: args.operation, op: in, value: [list_clusters, list_nodes, describe_node] }",
    );
    expect(text).toContain("      - { path: args.operation, op: eq, value: delete }");
    expect(text).toContain("# policylayer starter policy for: uvx awslabs.sagemaker-ai-mcp-server");
  }, 300_000);

  it("puts each section's per-operation rules before its whole-tool rules", async () => {
    const text = (await policylayer("init", "--", ...SAGEMAKER)).stdout;
    expect(text).toMatch(/# ── read [\s\S]*when:[\s\S]*- tool: describe_hp_cluster/);
    for (const section of text.split("  # ── ").slice(1)) {
      const kinds = [...section.matchAll(/^ {2}- tool: .*\n( {4}when:)?/gm)].map((match) =>
        match[1] === undefined ? "t" : "v",
      );
      // v: a rule with when (per operation), t: a whole-tool rule.
      expect(kinds.join("")).toMatch(/^v*t*$/);
    }
    expect(text).toContain("  - tool: describe_hp_cluster\n    action: allow\n");
  }, 150_000);
});
