import { execFileSync } from "node:child_process";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statfsSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConcurrentChange, readConfig, replaceConfig } from "../../src/install/config-file.js";
import { crlf, fixture, type Sandbox, sandbox } from "./sandbox.js";

let box: Sandbox;
beforeEach(() => {
  box = sandbox();
});
afterEach(() => box.cleanup());

const DESKTOP = "config/Claude/claude_desktop_config.json";

/** Mounts a tmpfs of four 4 KiB pages at `folder`; false where this process may not mount one (not root, not Linux). */
function mountSmallDisk(folder: string): boolean {
  if (process.platform !== "linux" || process.getuid?.() !== 0) return false;
  mkdirSync(folder, { recursive: true });
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=16k", "tmpfs", folder], { stdio: "ignore" });
  } catch {
    return false;
  }
  if (statfsSync(folder).bsize === 4096) return true;
  execFileSync("umount", [folder]);
  return false;
}

const VALID_POLICY = "version: 1\ndefault: allow\nrules: []\n";

describe("a config file that does not parse", () => {
  const broken: { client: string; file: string; text: string; where: RegExp }[] = [
    {
      client: "claude-desktop",
      file: DESKTOP,
      text: '{\n  "mcpServers": {\n    "a": { "command": "x", }\n  }\n}\n',
      where: /claude_desktop_config\.json:3:\d+: not valid JSON/,
    },
    {
      client: "cursor",
      file: "home/.cursor/mcp.json",
      text: '{\n  // comments are not JSON\n  "mcpServers": {}\n}\n',
      where: /mcp\.json:2:3: not valid JSON: comments are not allowed/,
    },
    {
      client: "vscode",
      file: "project/.vscode/mcp.json",
      text: '{\n\t"servers": {\n\t\t"a": { "command": "x" \n\t}\n',
      where: /mcp\.json:\d+:\d+: not valid JSON/,
    },
    {
      // Gemini CLI removes comments, then reads the rest with JSON.parse: a trailing comma is an error there.
      client: "gemini",
      file: "home/.gemini/settings.json",
      text: '{\n  // mine\n  "mcpServers": {\n    "a": { "command": "x" },\n  }\n}\n',
      where: /settings\.json:5:3: not valid JSON: a comma before a closing bracket or brace/,
    },
    {
      client: "codex",
      file: "home/.codex/config.toml",
      text: '[mcp_servers.a]\ncommand = "x"\nargs = [\n',
      where: /config\.toml:\d+:\d+: not valid TOML/,
    },
  ];
  it.each(broken)("is never written, and the error names the file and position ($client)", async (kase) => {
    const file = box.write(kase.file, kase.text);
    const run = await box.run("install", "--client", kase.client, "--yes");
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(kase.where);
    expect(readFileSync(file, "utf8")).toBe(kase.text);
    expect(box.backupsOf(file)).toEqual([]);
  });
});

describe("confirmation", () => {
  it("writes nothing without a terminal and without --yes, and exits 2", async () => {
    const file = box.write(DESKTOP, fixture("claude_desktop_config.json"));
    const run = await box.run("install", "--client", "claude-desktop");
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain("pass --yes");
    expect(run.stdout).toContain("filesystem: wrap with the built-in default policy");
    expect(readFileSync(file, "utf8")).toBe(fixture("claude_desktop_config.json"));
  });

  it("--dry-run prints a unified diff of the file, writes nothing and exits 0", async () => {
    const file = box.write(DESKTOP, fixture("claude_desktop_config.json"));
    const run = await box.run("install", "--client", "claude-desktop", "--dry-run");
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain(`--- ${file}`);
    expect(run.stdout).toContain(`+++ ${file}`);
    expect(run.stdout).toMatch(/^@@ -\d+,\d+ \+\d+,\d+ @@$/m);
    expect(run.stdout).toContain('-      "command": "npx",');
    expect(readFileSync(file, "utf8")).toBe(fixture("claude_desktop_config.json"));
    expect(box.backupsOf(file)).toEqual([]);
    expect(existsSync(box.stateDir)).toBe(false);
  });
});

describe("exit codes", () => {
  it.each([
    [["install", "--client", "nope"], /--client must be one of/],
    [["install", "--config", "x.json"], /--config needs --client/],
    [["install", "--client", "cursor", "--config", "missing.json"], /does not exist/],
    [["install", "--client", "cursor", "--config", "c.json", "--all", "--server", "a"], /either --server/],
    [
      ["install", "--client", "cursor", "--config", "c.json", "--server", "nobody"],
      /no server named "nobody"/,
    ],
    [["install", "--bogus"], /unknown option/],
    [["status", "--client", "nope"], /--client must be one of/],
  ])("exits 2 for the usage error in %j", async (args, message) => {
    box.write("project/c.json", '{"mcpServers":{"a":{"command":"x"}}}');
    const run = await box.run(...args);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(message);
  });

  it("exits 0 with nothing to do when no client config exists", async () => {
    const run = await box.run("install", "--yes");
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain("no MCP client config file found");
  });

  it("exits 1 when a server named with --server is remote, which install cannot wrap", async () => {
    const text = '{"mcpServers":{"linear":{"url":"https://mcp.linear.app/mcp"}}}\n';
    const file = box.write("project/c.json", text);
    const run = await box.run(
      "install",
      "--client",
      "cursor",
      "--config",
      file,
      "--server",
      "linear",
      "--yes",
    );
    expect(run.stdout).toContain("linear: remote (url): not wrapped");
    expect(run.exitCode).toBe(1);
    expect(readFileSync(file, "utf8")).toBe(text);
  });

  it("refuses a policy that does not validate, says why, writes nothing and exits 1", async () => {
    const file = box.write(DESKTOP, fixture("claude_desktop_config.json"));
    const policy = box.write("policy.yaml", "version: 1\ndefault: maybe\n");
    const run = await box.run("install", "--client", "claude-desktop", "--policy", policy, "--yes");
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain(`the policy ${policy} does not validate`);
    expect(run.stderr).toMatch(/policy\.yaml:2:\d+/);
    expect(readFileSync(file, "utf8")).toBe(fixture("claude_desktop_config.json"));
  });
});

describe("policies", () => {
  it("points each entry at --policy by absolute path, and a second --policy changes only that path", async () => {
    const file = box.write(DESKTOP, fixture("claude_desktop_config.json"));
    const first = box.write("policies/first.yaml", VALID_POLICY);
    const second = box.write("policies/second.yaml", VALID_POLICY);
    expect(
      (await box.run("install", "--client", "claude-desktop", "--policy", first, "--yes")).exitCode,
    ).toBe(0);
    const withFirst = readFileSync(file, "utf8");
    expect(withFirst).toContain(`"wrap", "--policy", ${JSON.stringify(first)}, "--"`);
    const run = await box.run("install", "--client", "claude-desktop", "--policy", second, "--yes");
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain(`filesystem: policy changes to ${second}`);
    expect(readFileSync(file, "utf8")).toBe(withFirst.replaceAll(first, second));
    // The original survives the update: uninstall still gives back the file as it was.
    expect((await box.run("uninstall", "--client", "claude-desktop", "--yes")).exitCode).toBe(0);
    expect(readFileSync(file, "utf8")).toBe(fixture("claude_desktop_config.json"));
  });

  it("uninstall restores the entries after the policy file was deleted", async () => {
    const file = box.write(DESKTOP, fixture("claude_desktop_config.json"));
    const policy = box.write("policies/gone.yaml", VALID_POLICY);
    expect(
      (await box.run("install", "--client", "claude-desktop", "--policy", policy, "--yes")).exitCode,
    ).toBe(0);
    rmSync(policy);
    const status = await box.run("status", "--client", "claude-desktop", "--json");
    const servers = JSON.parse(status.stdout).configs[0].servers;
    expect(servers[0]).toMatchObject({ name: "filesystem", wrapped: true, policy, policy_valid: false });
    expect((await box.run("uninstall", "--client", "claude-desktop", "--yes")).exitCode).toBe(0);
    expect(readFileSync(file, "utf8")).toBe(fixture("claude_desktop_config.json"));
  });
});

describe("uninstall after hand edits", () => {
  it("gives an edited entry its original command and args back, keeps the other edits and names it", async () => {
    const original = fixture("claude_desktop_config.json");
    const file = box.write(DESKTOP, original);
    expect(
      (await box.run("install", "--client", "claude-desktop", "--server", "sagemaker", "--yes")).exitCode,
    ).toBe(0);
    const installed = readFileSync(file, "utf8");
    writeFileSync(file, installed.replace('"AWS_PROFILE":"dev"', '"AWS_PROFILE":"prod"'));
    const run = await box.run("uninstall", "--client", "claude-desktop", "--yes");
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain("sagemaker: edited by hand after install");
    expect(readFileSync(file, "utf8")).toBe(original.replace('"AWS_PROFILE":"dev"', '"AWS_PROFILE":"prod"'));
  });

  it("takes the entry as it is now for a new install after the user unwrapped it by hand", async () => {
    const file = box.write(
      DESKTOP,
      '{"mcpServers":{"m":{"command":"npx","args":["srv"],"env":{"A":"1"}}}}\n',
    );
    expect((await box.run("install", "--client", "claude-desktop", "--yes")).exitCode).toBe(0);
    const unwrappedByHand = '{"mcpServers":{"m":{"command":"npx","args":["srv","--v2"],"env":{"A":"2"}}}}\n';
    writeFileSync(file, unwrappedByHand);
    expect((await box.run("install", "--client", "claude-desktop", "--yes")).exitCode).toBe(0);
    expect((await box.run("uninstall", "--client", "claude-desktop", "--yes")).exitCode).toBe(0);
    expect(readFileSync(file, "utf8")).toBe(unwrappedByHand);
  });

  it("unwraps an entry wrapped by hand (no record of it) from the words after --", async () => {
    const text =
      '{"mcpServers":{"m":{"command":"policylayer","args":["wrap","--policy","/p.yaml","--","npx","-y","srv"]}}}\n';
    const file = box.write(DESKTOP, text);
    const run = await box.run("uninstall", "--client", "claude-desktop", "--yes");
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain("m: unwrapped (policylayer kept no record of it)");
    expect(readFileSync(file, "utf8")).toBe('{"mcpServers":{"m":{"command":"npx","args":["-y","srv"]}}}\n');
  });
});

describe("writing", () => {
  it("refuses to overwrite a file that changed on disk since it was read, and writes nothing", () => {
    const file = box.write(DESKTOP, fixture("claude_desktop_config.json"));
    const read = readConfig(file);
    writeFileSync(file, `${read.text} `);
    expect(() => replaceConfig(read, "{}")).toThrow(ConcurrentChange);
    expect(readFileSync(file, "utf8")).toBe(`${read.text} `);
    expect(box.backupsOf(file)).toEqual([]);
  });

  it("keeps a symbolic link a link, and edits the file it points to", async () => {
    const target = box.write("dotfiles/claude_desktop_config.json", fixture("claude_desktop_config.json"));
    const link = join(box.root, DESKTOP);
    box.write(DESKTOP, "");
    rmSync(link);
    symlinkSync(target, link);
    expect((await box.run("install", "--client", "claude-desktop", "--yes")).exitCode).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(target, "utf8")).toContain('"wrap", "--"');
    expect((await box.run("uninstall", "--client", "claude-desktop", "--yes")).exitCode).toBe(0);
    expect(readFileSync(target, "utf8")).toBe(fixture("claude_desktop_config.json"));
  });

  it("on a disk that fills up while writing, leaves the file whole and says it was not written", async (context) => {
    const disk = join(box.root, "small-disk");
    if (!mountSmallDisk(disk)) context.skip();
    try {
      // One page of config, one of another file: the backup takes the third, and the wrapped text
      // needs two more pages where one is left, so the kernel writes only part of it.
      const original = `{\n  "pad": "${"x".repeat(3960)}",\n  "mcpServers": {\n    "a": { "command": "npx", "args": ["-y", "srv"] }\n  }\n}\n`;
      const file = join(disk, "mcp.json");
      writeFileSync(file, original);
      writeFileSync(join(disk, "other"), Buffer.alloc(4096));
      const run = await box.run("install", "--client", "cursor", "--config", file, "--yes");
      expect(run.stderr).toContain("no space left on device");
      expect(run.exitCode).toBe(1);
      expect(readFileSync(file, "utf8")).toBe(original);
      expect(run.stdout).not.toContain("restart cursor");
      expect(box.backupsOf(file)).toEqual([]);
    } finally {
      execFileSync("umount", [disk]);
    }
  });

  it("keeps the previous version in a timestamped backup beside the file", async () => {
    const original = crlf(fixture("claude_desktop_config.json"));
    const file = box.write(DESKTOP, original);
    expect((await box.run("install", "--client", "claude-desktop", "--yes")).exitCode).toBe(0);
    const [backup] = box.backupsOf(file);
    expect(backup).toMatch(
      /^claude_desktop_config\.json\.policylayer-backup-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$/,
    );
    expect(readFileSync(join(file, "..", backup ?? ""), "utf8")).toBe(original);
  });

  it("warns about a server whose command is not found, and wraps it all the same", async () => {
    box.write(DESKTOP, '{"mcpServers":{"ghost":{"command":"/nowhere/mcp-ghost"}}}');
    const run = await box.run("install", "--client", "claude-desktop", "--yes");
    expect(run.exitCode).toBe(0);
    expect(run.stderr).toContain(
      'ghost: its command "/nowhere/mcp-ghost" is not found on this machine; wrapped all the same',
    );
    expect(readFileSync(join(box.root, DESKTOP), "utf8")).toContain('"/nowhere/mcp-ghost"]');
  });
});

describe("what install leaves alone", () => {
  it("keeps every field of an entry it does not know, and adds none of its own", async () => {
    const entry = [
      '    "notes": {',
      '      "type": "stdio",',
      '      "command": "npx",',
      '      "args": ["-y", "@modelcontextprotocol/server-memory"],',
      '      "cwd": "/srv/notes",',
      '      "env": { "MEMORY_FILE_PATH": "/srv/notes/memory.jsonl" },',
      '      "disabled": false,',
      '      "autoApprove": ["read_graph"],',
      '      "alwaysAllow": ["search_nodes"],',
      '      "x-team": { "owner": "ops", "ticket": 4711 }',
      "    }",
    ];
    const file = box.write(DESKTOP, `{\n  "mcpServers": {\n${entry.join("\n")}\n  }\n}\n`);
    expect((await box.run("install", "--client", "claude-desktop", "--yes")).exitCode).toBe(0);
    const installed = readFileSync(file, "utf8");
    // Every line but the command and args is there as it was.
    for (const line of entry.filter((line) => !/"(command|args)"/.test(line)))
      expect(installed).toContain(line);
    const notes = JSON.parse(installed).mcpServers.notes;
    expect(Object.keys(notes)).toEqual([
      "type",
      "command",
      "args",
      "cwd",
      "env",
      "disabled",
      "autoApprove",
      "alwaysAllow",
      "x-team",
    ]);
  });

  it("without --client, lists every client config found on this machine first, then plans each", async () => {
    const cursor = box.write("home/.cursor/mcp.json", fixture("cursor.mcp.json"));
    const gemini = box.write("home/.gemini/settings.json", fixture("gemini.settings.json"));
    const run = await box.run("install", "--dry-run");
    expect(run.exitCode, run.stderr).toBe(0);
    const listing = `considering 2 config files:\n  cursor         ${cursor}\n  gemini         ${gemini}\n`;
    expect(run.stdout.startsWith(listing)).toBe(true);
    expect(run.stdout).toContain(`--- ${cursor}`);
    expect(run.stdout).toContain(`--- ${gemini}`);
  });
});
