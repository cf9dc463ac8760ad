import { mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { npmServer } from "../helpers/paths.js";
import { tempDir, writePolicy } from "../helpers/tmp.js";
import { policylayer, SAGEMAKER } from "./run.js";

const dir = tempDir();
afterAll(() => dir.cleanup());

const policy = writePolicy(
  dir.path,
  [
    "version: 1",
    "default: allow",
    "rules:",
    "  - tool: secret_tool",
    "    action: deny",
    "    hide: true",
    "    reason: Not for agents.",
    "  - tool: run_query",
    "    when:",
    "      - { path: args.database, op: eq, value: prod }",
    "    action: deny",
    "    reason: No queries against prod.",
    "  - category: write",
    "    action: allow",
    "    rate_limit: { max: 5, window: 60 }",
    "  - category: destructive",
    "    action: deny",
    "    reason: No deletes.",
    "",
  ].join("\n"),
);

describe("policylayer check", () => {
  it("explains a call denied because where its path leads cannot be told, as wrap denies it", async () => {
    const folder = join(dir.path, "work");
    mkdirSync(folder);
    symlinkSync("loop", join(folder, "loop"));
    const paths = writePolicy(
      dir.path,
      `version: 1\ndefault: allow\nrules:\n  - when: [{ path: args.path, op: path_outside, value: [${JSON.stringify(folder)}] }]\n    action: deny\n`,
      "paths.yaml",
    );
    const args = JSON.stringify({ path: `${folder}/loop/x` });
    const run = await policylayer("check", "--policy", paths, "--tool", "read_file", "--args", args);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain(": cannot tell where a path argument leads: the call is denied");
    expect(run.stdout).toContain(
      "result: DENY: read_file is refused: where a path argument leads cannot be told",
    );
    expect(run.stdout).toMatch(
      /reason the agent is told: policylayer cannot tell where a path argument of this call leads \(cannot resolve .*ELOOP.*\), so it was denied \(fail closed\)/,
    );
    const json = await policylayer(
      "check",
      "--json",
      "--policy",
      paths,
      "--tool",
      "read_file",
      "--args",
      args,
    );
    const report = JSON.parse(json.stdout);
    expect(report.result).toMatchObject({ action: "deny", rule: null });
    expect(report.refused).toBe(report.result.reason);
    expect(report.rules[0].when[0].outcome).toBe("unknown");
  });

  it("explains a deny: the classification, the rules that did not match, the one that did", async () => {
    const run = await policylayer("check", "--policy", policy, "--tool", "delete_stack");
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain("classification: destructive (critical risk); no server given");
    expect(run.stdout).toContain("  - name starts with delete");
    expect(run.stdout).toContain(
      "  rule 3 (category write): no match\n      category write: does not match destructive",
    );
    expect(run.stdout).toContain("  rule 4 (category destructive): MATCHES");
    expect(run.stdout).toContain("result: DENY: delete_stack is denied by rule 4 (No deletes)");
    expect(run.stdout).toContain("reason the agent is told: No deletes.");
  });

  it("explains an allow by the policy's default when no rule matches", async () => {
    const run = await policylayer("check", "--policy", policy, "--tool", "list_stacks");
    expect(run.stdout).toContain("classification: read (low risk)");
    expect(run.stdout).toContain("  rule 4 (category destructive): no match");
    expect(run.stdout).toContain("  no rule matched: the policy's default is allow");
    expect(run.stdout).toContain("result: ALLOW: list_stacks is allowed by the policy's default");
  });

  it("explains a hidden tool: hiding is checked before every other rule", async () => {
    const run = await policylayer("check", "--policy", policy, "--tool", "secret_tool");
    expect(run.stdout).toContain('hiding is checked first: rule 1 (tool "secret_tool") hides secret_tool');
    expect(run.stdout).toContain("result: HIDDEN (denied, and not shown in tools/list)");
    expect(run.stdout).toContain("(3 later rules were not reached)");
  });

  it("notes the rate limit of the rule that allowed the call", async () => {
    const run = await policylayer("check", "--policy", policy, "--tool", "update_stack");
    expect(run.stdout).toContain("  rule 3 (category write): MATCHES");
    expect(run.stdout).toContain("result: ALLOW: update_stack is allowed by rule 3");
    expect(run.stdout).toContain("rate limit: at most 5 calls in any 60 s match this rule");
  });

  it("shows a when condition that does not hold, with the value it saw", async () => {
    const run = await policylayer(
      "check",
      "--policy",
      policy,
      "--tool",
      "run_query",
      "--args",
      '{"database":"dev"}',
    );
    expect(run.stdout).toContain(
      '  rule 2 (tool "run_query", when args.database eq "prod"): no match\n' +
        '      tool "run_query": matches run_query\n' +
        '      when args.database eq "prod": fails (args.database is "dev")',
    );
    expect(run.stdout).not.toContain("result: DENY: run_query is denied by rule 2");
  });

  it("and the same condition when it holds", async () => {
    const run = await policylayer(
      "check",
      "--policy",
      policy,
      "--tool",
      "run_query",
      "--args",
      '{"database":"prod"}',
    );
    expect(run.stdout).toContain('when args.database eq "prod": holds (args.database is "prod")');
    expect(run.stdout).toContain("result: DENY: run_query is denied by rule 2 (No queries against prod)");
  });

  it("prints the explanation as JSON with --json", async () => {
    const run = await policylayer(
      "check",
      "--policy",
      policy,
      "--tool",
      "run_query",
      "--args",
      '{"database":"prod"}',
      "--json",
    );
    const report: unknown = JSON.parse(run.stdout);
    expect(report).toMatchObject({
      call: { name: "run_query", arguments: { database: "prod" } },
      result: { action: "deny", hidden: false, rule: { number: 2 }, reason: "No queries against prod." },
    });
  });

  it.each([
    ["[1,2]", "a list"],
    ['"delete"', "a string"],
    ["{operation: delete}", "not JSON"],
  ])("refuses --args %s with a message naming --args (exit 2)", async (bad, kind) => {
    const run = await policylayer("check", "--policy", policy, "--tool", "x", "--args", bad);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain(
      `--args must be a JSON object such as '{"operation":"delete"}', got ${JSON.stringify(bad)} (${kind}`,
    );
    expect(run.stdout).toBe("");
  });

  it("prints the errors of a policy that does not validate (exit 1)", async () => {
    const bad = writePolicy(dir.path, "version: 1\ndefault: allow\nrules:\n  - action: maybe\n", "bad.yaml");
    const run = await policylayer("check", "--policy", bad, "--tool", "x");
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`${bad}:4:\\d+: rules\\[0\\]\\.action must be`));
  });

  it("classifies with the server's tools/list after --: write_file carries destructiveHint", async () => {
    const sandbox = tempDir();
    try {
      const byName = await policylayer("check", "--tool", "write_file");
      const byServer = await policylayer(
        "check",
        "--tool",
        "write_file",
        "--",
        ...npmServer("filesystem", sandbox.path),
      );
      expect(byName.stdout).toContain("classification: write (medium risk); no server given");
      expect(byServer.stdout).toContain(
        "classification: destructive (critical risk); classified with the tools/list of",
      );
      expect(byServer.stdout).toContain("  - destructiveHint: true");
    } finally {
      sandbox.cleanup();
    }
  });

  it("classifies a SageMaker call by its operation with the real server's tools/list", async () => {
    const run = await policylayer(
      "check",
      "--policy",
      "examples/sagemaker.yaml",
      "--tool",
      "manage_hyperpod_stacks",
      "--args",
      '{"operation":"describe","stack_name":"s"}',
      "--",
      ...SAGEMAKER,
    );
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain("classification: read (low risk); classified with the tools/list of uvx");
    expect(run.stdout).toContain('when args.operation eq "delete": fails (args.operation is "describe")');
    expect(run.stdout).toContain(
      '  rule 5 (tool "manage_hyperpod_stacks", when args.operation eq "describe"): MATCHES',
    );
    expect(run.stdout).toContain("result: ALLOW");
  }, 150_000);
});
