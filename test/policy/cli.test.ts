import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { schemaCommand } from "../../src/cli/schema.js";
import { validateCommand } from "../../src/cli/validate.js";
import { parsePolicy } from "../../src/policy/load.js";

/** Runs a command with stdout and stderr captured. */
async function captured(run: () => number | Promise<number>) {
  let stdout = "";
  let stderr = "";
  vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  const code = await run();
  vi.restoreAllMocks();
  return { code, stdout, stderr };
}

afterEach(() => vi.restoreAllMocks());

const fixtures = join(import.meta.dirname, "..", "fixtures", "policies");

describe("policylayer validate", () => {
  it("prints a one-line summary of a valid policy and exits 0", async () => {
    const file = join(fixtures, "valid", "full.yaml");
    const result = await captured(() => validateCommand([file]));
    expect(result).toEqual({
      code: 0,
      stdout: `${file}: valid (version 1, enforce, default allow, 4 rules: 1 hides tools, 1 rate-limited, 1 needs approval)\n`,
      stderr: "",
    });
  });

  it("prints each error as FILE:LINE:COL and exits 1", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "policylayer-")), "policy.yaml");
    writeFileSync(
      file,
      "version: 1\ndefault: allow\nrules:\n  - action: allow\n    rate_limit: { max: 1, window: soon }\n",
    );
    const result = await captured(() => validateCommand([file]));
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `${file}:5:35: rules[0].rate_limit.window must be a positive number of seconds, got "soon"\n`,
    );
  });

  it("shows an escape sequence or a bidi override in an error as marks, never raw on the terminal", async () => {
    const dir = mkdtempSync(join(tmpdir(), "policylayer-validate-"));
    const file = join(dir, "policy.yaml");
    writeFileSync(file, 'version: 1\ndefault: deny\n"\\e]0;pwned\\a\\u202e": 1\n');
    const result = await captured(() => validateCommand([file]));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `${file}:3:1: the policy has an unknown key "⟨U+001B⟩]0;pwned⟨U+0007⟩⟨U+202E⟩"`,
    );
    expect(
      [...result.stderr].filter((c) => {
        const code = c.codePointAt(0) ?? 0;
        return (code < 0x20 && code !== 0x0a) || code === 0x202e;
      }),
    ).toEqual([]);
  });

  it("says a missing file does not exist and exits 1", async () => {
    const result = await captured(() => validateCommand(["/nonexistent/policy.yaml"]));
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      "/nonexistent/policy.yaml: the file does not exist; check the path, or write one (see `policylayer init`)\n",
    );
  });
});

describe("policylayer schema", () => {
  it("prints the policy JSON Schema as JSON", async () => {
    const result = await captured(() => schemaCommand());
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      title: "policylayer policy, version 1",
      required: ["version", "default"],
    });
  });

  it("shows the built-in default policy as the schema's example, and it validates", async () => {
    const result = await captured(() => schemaCommand());
    const [example] = JSON.parse(result.stdout).examples;
    expect(example).toMatchObject({ version: 1, default: "deny" });
    expect(parsePolicy(JSON.stringify(example), "default.json").ok).toBe(true);
  });
});
