import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RAW_HIDDEN } from "../helpers/attack-strings.js";
import { npmServer } from "../helpers/paths.js";
import { pythonWithMcp } from "../helpers/python-sdk.js";
import { tempDir, writePolicy } from "../helpers/tmp.js";
import { policylayer } from "./run.js";

// validate with `-- COMMAND`: conditions that test a path as text are also checked against the
// inputSchemas of the server's tools/list, read by the one listing client that check and tools use.
const pathArgsServer = fileURLToPath(new URL("../servers/path_args_server.py", import.meta.url));
const hostilePathServer = [
  process.execPath,
  fileURLToPath(new URL("./servers/hostile-path-server.mjs", import.meta.url)),
];
const dir = tempDir();
afterAll(() => dir.cleanup());

/** The warning lines of a validate run's stderr. */
function warnings(stderr: string): string[] {
  return stderr.split("\n").filter((line) => line.includes(": warning: "));
}

const pathArgsPolicy = writePolicy(
  dir.path,
  [
    "version: 1",
    "default: allow",
    "rules:",
    "  - tool: archive",
    "    when: [{ path: args.target, op: starts_with, value: /srv/archive/ }]",
    "    action: allow",
    "  - tool: restore",
    '    when: [{ path: args.origin, op: glob, value: "/srv/*" }]',
    "    action: allow",
    "  - tool: import_batch",
    '    when: [{ path: args.entries.*.location, op: regex, value: "^/srv/" }]',
    "    action: allow",
    "  - tool: annotate",
    "    when:",
    "      - { path: args.note, op: starts_with, value: draft }",
    "      - { path: args.link, op: starts_with, value: /docs/ }",
    "    action: allow",
    "",
  ].join("\n"),
  "path-args.yaml",
);

describe.each([1, 2] as const)("validate against a server on the Python SDK %i.x", (major) => {
  let server: string[];
  beforeAll(async () => {
    server = [await pythonWithMcp(major), pathArgsServer];
  }, 600_000);

  it("warns where only the schema says an argument is a path, at the condition's op, naming path_within", async () => {
    const run = await policylayer("validate", pathArgsPolicy, "--", ...server);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toContain(`${pathArgsPolicy}: valid (`);
    expect(run.stdout).toContain("checked against the tools/list of");
    const lines = warnings(run.stderr);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe(
      `${pathArgsPolicy}:5:37: warning: rules[0].when[0].op starts_with on args.target, an argument the server's schema says is a path (archive: description "Path to the file to archive"), is walked around by spellings such as /tmp/../etc/passwd and by symlinks; use op path_within or path_outside with a list of folders`,
    );
    expect(lines[1]).toContain(
      `${pathArgsPolicy}:8:37: warning: rules[1].when[0].op glob on args.origin, an argument the server's schema says is a path (restore: format "path")`,
    );
    // A Path inside a list of models: $defs, $ref and `*`.
    expect(lines[2]).toContain(
      `${pathArgsPolicy}:11:49: warning: rules[2].when[0].op regex on args.entries.*.location, an argument the server's schema says is a path (import_batch: format "path")`,
    );
    // "The content to write to the file" and "URL path of the page" are not paths on this machine.
    expect(run.stderr).not.toContain("args.note");
    expect(run.stderr).not.toContain("args.link");
  });

  it("without a server, warns from argument names only, as before", async () => {
    const run = await policylayer("validate", pathArgsPolicy);
    expect(run.exitCode).toBe(0);
    expect(run.stderr).toBe("");
    expect(run.stdout).toBe(`${pathArgsPolicy}: valid (version 1, enforce, default allow, 4 rules)`);
  });
});

describe("validate against the real npm servers", () => {
  it("server-filesystem: each path argument is warned about once, from its name (the elements of paths too)", async () => {
    const policy = writePolicy(
      dir.path,
      [
        "version: 1",
        "default: allow",
        "rules:",
        '  - tool: "*"',
        "    when: [{ path: args.path, op: starts_with, value: /srv/ }]",
        "    action: allow",
        "  - tool: read_multiple_files",
        '    when: [{ path: args.paths.*, op: glob, value: "/srv/*" }]',
        "    action: allow",
        "",
      ].join("\n"),
      "filesystem.yaml",
    );
    const run = await policylayer("validate", policy, "--", ...npmServer("filesystem", dir.path));
    expect(run.exitCode, run.stderr).toBe(0);
    // read_multiple_files describes paths as "Array of file paths to read": the name already says so, one warning.
    expect(warnings(run.stderr)).toEqual([
      `${policy}:5:35: warning: rules[0].when[0].op starts_with on args.path, an argument whose name says it is a path, is walked around by spellings such as /tmp/../etc/passwd and by symlinks; use op path_within or path_outside with a list of folders`,
      `${policy}:8:38: warning: rules[1].when[0].op glob on args.paths.*, an argument whose name says it is a path, is walked around by spellings such as /tmp/../etc/passwd and by symlinks; use op path_within or path_outside with a list of folders`,
    ]);
    expect(run.stdout).toMatch(/\(14 tools\)$/);
  });

  it("server-everything: a URL (format uri) and a file's name are not paths, so nothing is warned", async () => {
    const policy = writePolicy(
      dir.path,
      [
        "version: 1",
        "default: allow",
        "rules:",
        "  - tool: gzip-file-as-resource",
        "    when:",
        "      - { path: args.data, op: starts_with, value: 'https://raw.githubusercontent.com/' }",
        '      - { path: args.name, op: glob, value: "*.gz" }',
        "    action: allow",
        "",
      ].join("\n"),
      "everything.yaml",
    );
    const run = await policylayer("validate", policy, "--", ...npmServer("everything", "stdio"));
    expect(run.exitCode, run.stderr).toBe(0);
    expect(warnings(run.stderr)).toEqual([]);
    expect(run.stdout).toContain(`${policy}: valid (`);
  });
});

describe("how validate takes files and a server", () => {
  it("checks every file before -- against one listing of the server, and needs a file", async () => {
    const other = writePolicy(dir.path, "version: 1\ndefault: deny\n", "other.yaml");
    const run = await policylayer(
      "validate",
      pathArgsPolicy,
      other,
      "--",
      ...npmServer("filesystem", dir.path),
    );
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout.split("\n")).toEqual([
      expect.stringMatching(
        /path-args\.yaml: valid \(.*\); checked against the tools\/list of .* \(14 tools\)$/,
      ),
      expect.stringMatching(/other\.yaml: valid \(.*\); checked against the tools\/list of .* \(14 tools\)$/),
    ]);
    expect(run.stderr.match(/Secure MCP Filesystem Server running on stdio/g)).toHaveLength(1);
    const none = await policylayer("validate", "--", ...npmServer("filesystem", dir.path));
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toContain("validate needs a policy file before --");
  });
});

describe("validate against a server that cannot be listed or lies to the reader", () => {
  it("exits 1 and says why when the server's tools cannot be listed", async () => {
    const run = await policylayer(
      "validate",
      pathArgsPolicy,
      "--",
      process.execPath,
      "-e",
      "process.exit(3)",
    );
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain("policylayer: cannot list the tools of");
    expect(run.stdout).toBe("");
  });

  it("quotes a hostile tool name and description visibly, on the warning's own line", async () => {
    const policy = writePolicy(
      dir.path,
      [
        "version: 1",
        "default: allow",
        "rules:",
        "  - when: [{ path: args.target, op: starts_with, value: /srv/ }]",
        "    action: allow",
        "",
      ].join("\n"),
      "hostile.yaml",
    );
    const run = await policylayer("validate", policy, "--", ...hostilePathServer);
    expect(run.exitCode, run.stderr).toBe(0);
    for (const line of run.stderr.split("\n")) expect(line).not.toMatch(RAW_HIDDEN);
    const lines = warnings(run.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(
      `${policy}:4:37: warning: rules[0].when[0].op starts_with on args.target, an argument the server's schema says is a path (`,
    );
    // The name's escape sequences show as marks; the description's line break, quote and escape stay inside its quotes.
    expect(lines[0]).toContain(
      'pack⟨U+001B⟩[2K⟨U+000D⟩: description "Path to the file\\n\\"), is fine⟨U+202E⟩\\u001b[2K\\rwarning: nothing to see here; xx',
    );
    expect(lines[0]).toMatch(/x"…⟨\d+ more characters⟩\), is walked around/);
    expect(lines[0]).toMatch(/use op path_within or path_outside with a list of folders$/);
  });
});
