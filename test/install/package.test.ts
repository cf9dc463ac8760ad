// The package as users get it: `npm pack`, then `npm install -g` of the tarball into a temporary prefix,
// then policylayer run from another folder.
import { readFileSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { npmServer, repoRoot } from "../helpers/paths.js";
import { tempDir } from "../helpers/tmp.js";

const work = tempDir("policylayer-package-");
const prefix = join(work.path, "prefix");
const elsewhere = join(work.path, "elsewhere");
const installed = join(prefix, "bin", "policylayer");
const version = (JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string })
  .version;
let packedFiles: string[] = [];

beforeAll(async () => {
  // dist/ is built by `npm test`; --ignore-scripts keeps prepack from rebuilding it under running tests.
  const pack = await execa("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", work.path], {
    cwd: repoRoot,
  });
  const [report] = JSON.parse(String(pack.stdout)) as [{ filename: string; files: { path: string }[] }];
  packedFiles = report.files.map((file) => file.path);
  await execa("mkdir", ["-p", elsewhere]);
  await execa(
    "npm",
    [
      "install",
      "-g",
      "--prefix",
      prefix,
      "--prefer-offline",
      "--no-audit",
      "--no-fund",
      join(work.path, report.filename),
    ],
    { cwd: elsewhere, timeout: 300_000 },
  );
}, 360_000);
afterAll(() => work.cleanup());

describe("the npm package", () => {
  it("holds the CLI, the built code and the README, and no sources or tests", () => {
    expect(packedFiles).toContain("bin/policylayer.js");
    expect(packedFiles).toContain("dist/cli/main.js");
    expect(packedFiles).toContain("dist/policy/policy-validator.cjs");
    expect(packedFiles).toContain("README.md");
    expect(packedFiles.filter((file) => /^(src|test|bench|scripts)\//.test(file))).toEqual([]);
  });

  it("installed globally, runs policylayer --version from another folder", async () => {
    const run = await execa(installed, ["--version"], { cwd: elsewhere });
    expect(String(run.stdout).trim()).toBe(version);
  });

  it("installed globally, install --dry-run points the entry at the installed CLI by absolute path", async () => {
    const config = join(elsewhere, "claude_desktop_config.json");
    await execa("sh", ["-c", `printf '{"mcpServers":{"m":{"command":"npx","args":["srv"]}}}' > '${config}'`]);
    const run = await execa(
      installed,
      ["install", "--client", "claude-desktop", "--config", config, "--dry-run"],
      {
        cwd: elsewhere,
        env: { POLICYLAYER_STATE_DIR: join(work.path, "state") },
      },
    );
    const cli = realpathSync(join(prefix, "lib", "node_modules", "policylayer", "bin", "policylayer.js"));
    expect(String(run.stdout)).toContain(`"args":[${JSON.stringify(cli)},"wrap","--","npx","srv"]`);
  });

  it("installed globally, wraps a real server: tools/list through policylayer wrap", async () => {
    const [node, ...serverArgs] = npmServer("memory");
    const transport = new StdioClientTransport({
      command: installed,
      args: ["wrap", "--", node as string, ...serverArgs],
      cwd: elsewhere,
      env: { ...(process.env as Record<string, string>), POLICYLAYER_STATE_DIR: join(work.path, "state") },
      stderr: "pipe",
    });
    const client = new Client({ name: "package-test", version: "1.0.0" });
    await client.connect(transport);
    try {
      const names = (await client.listTools()).tools.map((tool) => tool.name);
      expect(names).toContain("read_graph");
    } finally {
      await client.close();
    }
  });
});
