// When something goes wrong or is unusual: install, uninstall and status say it, and leave files as they were.
import { chmodSync, chownSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Sandbox, sandbox } from "./sandbox.js";

let box: Sandbox;
beforeEach(() => {
  box = sandbox();
});
afterEach(() => box.cleanup());

const CURSOR = '{"mcpServers":{"x":{"command":"npx"}}}\n';

describe("after a write that was refused", () => {
  it("does not tell the user to restart the client", async () => {
    const file = box.write("project/.cursor/mcp.json", CURSOR);
    // A records folder policylayer may not write to: another user's (as root), else a read-only one.
    const records = join(box.stateDir, "install");
    mkdirSync(records, { recursive: true });
    if (process.getuid?.() === 0) chownSync(records, 1234, 1234);
    else chmodSync(records, 0o500);
    const run = await box.run("install", "--client", "cursor", "--yes");
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain("it is left as it was");
    expect(run.stdout).not.toContain("restart");
    expect(readFileSync(file, "utf8")).toBe(CURSOR);
  });
});

describe("uninstall when its records cannot be updated", () => {
  it("says the file was restored (it was), and that the records were not updated", async () => {
    const original = '{"mcpServers":{"x":{"command":"npx"},"y":{"command":"uvx"}}}\n';
    const file = box.write("project/.cursor/mcp.json", original);
    expect((await box.run("install", "--client", "cursor", "--yes")).exitCode).toBe(0);
    const records = join(box.stateDir, "install");
    if (process.getuid?.() === 0) chownSync(records, 1234, 1234);
    else chmodSync(records, 0o500);
    const run = await box.run("uninstall", "--client", "cursor", "--server", "x", "--yes");
    expect(JSON.parse(readFileSync(file, "utf8")).mcpServers.x).toEqual({ command: "npx" });
    expect(run.stderr).not.toContain("it is left as it was");
    expect(run.stderr).toContain(`${file} was restored, but policylayer's record of it could not be updated`);
    expect(run.stdout).toContain(`wrote ${file}`);
    expect(run.stdout).toContain("restart cursor");
  });
});

describe("an unexpected error", () => {
  it("is printed for install, uninstall and status, with the record file that cannot be read", async () => {
    const file = box.write("home/.cursor/mcp.json", CURSOR);
    expect((await box.run("install", "--client", "cursor", "--yes")).exitCode).toBe(0);
    const [record] = readdirSync(join(box.stateDir, "install"));
    writeFileSync(join(box.stateDir, "install", record ?? ""), "garbage\n");
    for (const command of ["install", "uninstall", "status"]) {
      const run = await box.run(command, "--client", "cursor", ...(command === "status" ? [] : ["--yes"]));
      expect(run.exitCode, command).toBe(1);
      expect(`${run.stdout}${run.stderr}`, command).toContain(
        `policylayer's record of ${file}) is not JSON; move it away to continue`,
      );
    }
  });
});

describe("root writing another user's config file", () => {
  it.skipIf(process.getuid?.() !== 0)(
    "keeps the file's owner and group on the new file and the backup",
    async () => {
      const file = box.write("home/.cursor/mcp.json", CURSOR);
      chownSync(file, 1234, 1235);
      chmodSync(file, 0o600);
      const run = await box.run("install", "--client", "cursor", "--yes");
      expect(run.exitCode, run.stderr).toBe(0);
      expect(readFileSync(file, "utf8")).toContain("wrap");
      for (const path of [file, join(file, "..", box.backupsOf(file)[0] ?? "")]) {
        const stats = statSync(path);
        expect([stats.uid, stats.gid, stats.mode & 0o777]).toEqual([1234, 1235, 0o600]);
      }
    },
  );
});
