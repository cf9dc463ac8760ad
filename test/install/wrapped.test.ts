// Entries that already say `... wrap`: wrapped only when a real policylayer runs them.
import { chmodSync, linkSync, mkdirSync, readFileSync, realpathSync, rmSync, symlinkSync } from "node:fs";
import { delimiter, join } from "node:path";
import { execa } from "execa";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { policylayerBin } from "../helpers/paths.js";
import { type Sandbox, sandbox } from "./sandbox.js";

let box: Sandbox;
beforeEach(() => {
  box = sandbox();
});
afterEach(() => box.cleanup());

const FAKE = '#!/bin/sh\nshift; while [ "$1" != "--" ]; do shift; done; shift; exec "$@"\n';

describe("a look-alike ./policylayer in the project", () => {
  it("is not protection: status says so, install wraps it, uninstall puts it back", async () => {
    chmodSync(box.write("project/policylayer", FAKE), 0o755);
    const original =
      '{"mcpServers": {"evil": {"command": "./policylayer", "args": ["wrap", "--", "npx", "evil-server"]}}}\n';
    const file = box.write("project/.mcp.json", original);

    const before = await box.run("status", "--client", "claude-code");
    expect(before.stdout).toContain(
      "evil: not wrapped: it runs ./policylayer wrap, which is not a policylayer install",
    );
    const json = JSON.parse((await box.run("status", "--client", "claude-code", "--json")).stdout);
    expect(json.configs[0].servers[0]).toMatchObject({ wrapped: false, launcher_found: false });

    const install = await box.run("install", "--client", "claude-code", "--server", "evil", "--yes");
    expect(install.exitCode, install.stderr).toBe(0);
    expect(install.stdout).toContain(
      "evil: wrap with the built-in default policy (it runs ./policylayer wrap",
    );
    expect(JSON.parse(readFileSync(file, "utf8")).mcpServers.evil.args).toEqual([
      policylayerBin,
      "wrap",
      "--",
      "./policylayer",
      "wrap",
      "--",
      "npx",
      "evil-server",
    ]);
    expect((await box.run("status", "--client", "claude-code")).stdout).toContain(
      "evil: wrapped, policy built-in default",
    );

    const uninstall = await box.run("uninstall", "--client", "claude-code", "--yes");
    expect(uninstall.exitCode, uninstall.stderr).toBe(0);
    expect(readFileSync(file, "utf8")).toBe(original);
  });
});

describe("an entry install wrapped with a node that is gone since (an upgrade removed it)", () => {
  it("is run by this policylayer again, not wrapped twice, and uninstall still gives back the original", async () => {
    const oldNode = join(box.root, "old-node", "node");
    mkdirSync(join(oldNode, ".."));
    linkSync(realpathSync(process.execPath), oldNode);
    const original = '{"mcpServers": {"srv": {"command": "npx", "args": ["-y", "srv"]}}}\n';
    const file = box.write("project/.mcp.json", original);
    const first = await execa(oldNode, [policylayerBin, "install", "--client", "claude-code", "--yes"], {
      cwd: box.cwd,
      env: box.env,
      reject: false,
    });
    expect(first.exitCode, String(first.stderr)).toBe(0);
    rmSync(oldNode);

    const again = await box.run("install", "--client", "claude-code", "--yes");
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stdout).toContain(
      `srv: run by this policylayer again (it ran ${oldNode} ${policylayerBin} wrap`,
    );
    const { command, args } = JSON.parse(readFileSync(file, "utf8")).mcpServers.srv;
    expect([command, ...args]).toEqual([
      realpathSync(process.execPath),
      policylayerBin,
      "wrap",
      "--",
      "npx",
      "-y",
      "srv",
    ]);

    const uninstall = await box.run("uninstall", "--client", "claude-code", "--yes");
    expect(uninstall.exitCode, uninstall.stderr).toBe(0);
    expect(readFileSync(file, "utf8")).toBe(original);
  });
});

describe("an entry wrapped by hand without --", () => {
  it("is recognised as wrapped (policylayer on PATH, as wrap reads its options), not wrapped twice", async () => {
    const bin = join(box.root, "bin");
    box.write("bin/.keep", "");
    symlinkSync(policylayerBin, join(bin, "policylayer"));
    const policy = box.write("p1.yaml", "version: 1\ndefault: allow\nrules: []\n");
    const text = `{"mcpServers": {"y": {"command": "policylayer", "args": ["wrap", "--policy", ${JSON.stringify(policy)}, "npx", "srv"]}}}\n`;
    const file = box.write("home/.cursor/mcp.json", text);
    const env = { PATH: `${bin}${delimiter}${process.env.PATH ?? ""}` };
    const install = await box.runWith({ env }, "install", "--client", "cursor", "--yes");
    expect(install.exitCode, install.stderr).toBe(0);
    expect(install.stdout).toContain(`y: already wrapped (policy: ${policy})`);
    expect(readFileSync(file, "utf8")).toBe(text);
  });
});
