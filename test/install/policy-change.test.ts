// install --policy again after a hand edit: uninstall keeps the edit, never restores a stale original.
import { readFileSync, writeFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Sandbox, sandbox } from "./sandbox.js";

let box: Sandbox;
beforeEach(() => {
  box = sandbox();
});
afterEach(() => box.cleanup());

const POLICY = "version: 1\ndefault: allow\nrules: []\n";
const ORIGINAL = '{"mcpServers": {\n  "x": {"command": "npx", "args": ["-y", "pkg@1"]}\n}}\n';

async function installWith(policy: string): Promise<string> {
  const run = await box.run("install", "--client", "cursor", "--policy", policy, "--yes");
  expect(run.exitCode, run.stderr).toBe(0);
  return run.stdout;
}

describe("a policy change after the server's words were edited by hand", () => {
  it("rebases the record on the edited words: uninstall gives back the edit, not the first original", async () => {
    const p1 = box.write("p1.yaml", POLICY);
    const p2 = box.write("p2.yaml", POLICY);
    const file = box.write("home/.cursor/mcp.json", ORIGINAL);
    await installWith(p1);
    writeFileSync(file, readFileSync(file, "utf8").replace('"pkg@1"', '"pkg@2", "--read-only"'));
    expect(await installWith(p2)).toContain(`x: policy changes to ${p2}`);

    const uninstall = await box.run("uninstall", "--client", "cursor", "--yes");
    expect(uninstall.exitCode, uninstall.stderr).toBe(0);
    expect(uninstall.stdout).toContain("x: restored exactly");
    expect(readFileSync(file, "utf8")).toBe(
      '{"mcpServers": {\n  "x": {"command": "npx", "args": ["-y", "pkg@2", "--read-only"]}\n}}\n',
    );
  });

  it("keeps the record when nothing was edited: uninstall restores the file byte for byte", async () => {
    const file = box.write("home/.cursor/mcp.json", ORIGINAL);
    await installWith(box.write("p1.yaml", POLICY));
    await installWith(box.write("p2.yaml", POLICY));
    await box.run("uninstall", "--client", "cursor", "--yes");
    expect(readFileSync(file, "utf8")).toBe(ORIGINAL);
  });
});

describe("uninstall after the server's words were edited by hand", () => {
  it("keeps the edited words after -- and names the entry", async () => {
    const file = box.write("home/.cursor/mcp.json", ORIGINAL);
    await installWith(box.write("p1.yaml", POLICY));
    writeFileSync(file, readFileSync(file, "utf8").replace('"pkg@1"', '"pkg@3"'));
    const uninstall = await box.run("uninstall", "--client", "cursor", "--yes");
    expect(uninstall.exitCode, uninstall.stderr).toBe(0);
    expect(uninstall.stdout).toContain("x: its server's command or args were edited by hand after install");
    expect(JSON.parse(readFileSync(file, "utf8")).mcpServers.x).toEqual({
      command: "npx",
      args: ["-y", "pkg@3"],
    });
  });
});
