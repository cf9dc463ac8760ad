// What install and status print from config files and paths: nothing that moves the cursor, erases, or reorders.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Sandbox, sandbox } from "./sandbox.js";

let box: Sandbox;
beforeEach(() => {
  box = sandbox();
});
afterEach(() => box.cleanup());

/** Escape, a lone carriage return, a bidi override, a C1 control: none may reach the terminal raw. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding raw control characters is the point.
const RAW_CONTROL = /\u001b|\r(?!\n)|\u202e|\u009b/;

const HOSTILE_VSCODE =
  '{\n  "servers": {\n    "fs": {\n      "command": "npx", // \u001b[3A\u001b[J  fs: remote (url): not wrapped\r// forged\n      "args": ["-y", "srv\u202egnp.exe"],\n    },\n  },\n}\n';

describe("install --dry-run on a file with escape sequences and bidi overrides", () => {
  it("shows them as visible marks in the diff, line by line", async () => {
    box.write("project/.vscode/mcp.json", HOSTILE_VSCODE);
    const run = await box.run("install", "--client", "vscode", "--dry-run");
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).not.toMatch(RAW_CONTROL);
    expect(run.stdout).toContain("⟨U+001B⟩[3A⟨U+001B⟩[J");
    expect(run.stdout).toContain("srv⟨U+202E⟩gnp.exe");
    // The diff keeps its own line breaks: each of its lines starts with its mark.
    expect(run.stdout).toMatch(/^-\s+"command": "npx", \/\/ ⟨U\+001B⟩/m);
    expect(run.stdout).toMatch(/^\+\s+"command": /m);
  });
});

describe("a path with an escape sequence in it", () => {
  it("is printed visibly by install and status", async () => {
    const cwd = join(box.root, "proj\u001b[2K\u202e");
    mkdirSync(join(cwd, ".vscode"), { recursive: true });
    box.write(
      join("proj\u001b[2K\u202e", ".vscode", "mcp.json"),
      '{"servers": {"fs": {"command": "npx"}}}\n',
    );
    for (const args of [
      ["install", "--client", "vscode", "--dry-run"],
      ["install", "--client", "vscode", "--yes"],
      ["status", "--client", "vscode"],
      ["status", "--client", "vscode", "--json"],
    ]) {
      const run = await box.runWith({ cwd }, ...args);
      expect(run.exitCode, run.stderr).toBe(0);
      expect(run.stdout, args.join(" ")).toContain("proj");
      expect(run.stdout, args.join(" ")).not.toMatch(RAW_CONTROL);
      expect(run.stderr, args.join(" ")).not.toMatch(RAW_CONTROL);
    }
  });
});
