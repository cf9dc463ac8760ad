import { spawnSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  linkSync,
  mkdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { AuditLog } from "../../src/audit/log.js";
import { repoRoot } from "../helpers/paths.js";
import { tempDir } from "../helpers/tmp.js";

const asRoot = process.getuid?.() === 0;
/** A user id nobody on the test machine has. */
const OTHER_UID = 54_321;

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function folder(): string {
  const dir = tempDir("policylayer-audit-");
  cleanups.push(dir.cleanup);
  return dir.path;
}

const start = { event: "session_start" };

describe("the audit log's file", () => {
  it("is never written through a link planted at its name, whose target stays unchanged", () => {
    const dir = folder();
    const target = join(dir, "bashrc");
    writeFileSync(target, "echo hi\n", { mode: 0o600 });
    symlinkSync(target, join(dir, "audit.jsonl"));
    expect(() => AuditLog.open(join(dir, "audit.jsonl"), start)).toThrow(
      `${dir}/audit.jsonl is a link, not a file`,
    );
    expect(readFileSync(target, "utf8")).toBe("echo hi\n");
  });

  it("is never written through a second name (a hard link) of another file, which stays unchanged", () => {
    const dir = folder();
    const target = join(dir, "bashrc");
    writeFileSync(target, "echo hi\n", { mode: 0o600 });
    linkSync(target, join(dir, "audit.jsonl"));
    expect(() => AuditLog.open(join(dir, "audit.jsonl"), start)).toThrow(
      `${dir}/audit.jsonl has 2 names (hard links), so writing it would write another file too`,
    );
    expect(readFileSync(target, "utf8")).toBe("echo hi\n");
  });

  it("is refused when others could have written it (mode 0666): they could forge or remove lines", () => {
    const dir = folder();
    const path = join(dir, "audit.jsonl");
    writeFileSync(path, "");
    chmodSync(path, 0o666);
    expect(() => AuditLog.open(path, start)).toThrow(
      `${path} has mode 0666, so others could have written it`,
    );
    expect(readFileSync(path, "utf8")).toBe("");
  });

  it.skipIf(!asRoot)("is refused when it belongs to another user, who would read every line", () => {
    const dir = folder();
    const path = join(dir, "audit.jsonl");
    writeFileSync(path, "", { mode: 0o600 });
    chownSync(path, OTHER_UID, OTHER_UID);
    expect(() => AuditLog.open(path, start)).toThrow(`${path} belongs to user id ${OTHER_UID}, not to you`);
    expect(readFileSync(path, "utf8")).toBe("");
  });

  it("is refused in a folder every user can write, where its lines could be renamed away", () => {
    const shared = join(folder(), "shared");
    mkdirSync(shared);
    chmodSync(shared, 0o777);
    expect(() => AuditLog.open(join(shared, "state", "audit.jsonl"), start)).toThrow(
      `${shared} is not safe for the audit log: its mode 0777 lets every user rename or replace what is in it`,
    );
  });

  it("is refused, at once, when it is a FIFO (opening one for writing would wait for a reader for ever)", () => {
    const path = join(folder(), "audit.jsonl");
    expect(spawnSync("mkfifo", [path]).status).toBe(0);
    expect(() => AuditLog.open(path, start)).toThrow(`${path} is not a regular file`);
  });

  it("makes missing folders 0700 and the file 0600, whatever the umask", () => {
    const dir = folder();
    const path = join(dir, "state", "policylayer", "audit.jsonl");
    const log = AuditLog.open(path, start);
    log.close();
    expect(statSync(join(dir, "state")).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, "state", "policylayer")).mode & 0o777).toBe(0o700);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it("appends to an existing log of yours, and may be /dev/null", () => {
    const dir = folder();
    const path = join(dir, "audit.jsonl");
    writeFileSync(path, '{"event":"earlier"}\n', { mode: 0o600 });
    AuditLog.open(path, start).close();
    expect(readFileSync(path, "utf8")).toBe('{"event":"earlier"}\n{"event":"session_start"}\n');
    AuditLog.open("/dev/null", start).close();
  });
});

describe("the audit log on a full disk", () => {
  it("counts a line cut short (only part of it written) as a failed write, and writes nothing after it", () => {
    const dir = folder();
    const path = join(dir, "audit.jsonl");
    // A file size limit of 1024 bytes: the write that crosses it writes only part of its line, as a full disk does.
    const script = `
      const { AuditLog } = await import(${JSON.stringify(`${repoRoot}dist/audit/log.js`)});
      const log = AuditLog.open(${JSON.stringify(path)}, { event: "session_start" });
      const results = [];
      for (let i = 0; i < 6; i += 1) results.push(log.append({ event: "note", text: "x".repeat(300) }));
      console.log(JSON.stringify({ results, failed: log.failed }));`;
    const run = spawnSync(
      "bash",
      ["-c", 'ulimit -f 1 && exec "$0" --input-type=module -e "$1"', process.execPath, script],
      {
        encoding: "utf8",
      },
    );
    expect(run.stderr).toBe("");
    const { results, failed } = JSON.parse(run.stdout);
    expect(results).toEqual([true, true, true, false, false, false]);
    expect(failed).toMatch(
      /^cannot write the audit log .*: only \d+ of 327 bytes were written \(is the disk full\?\)$/,
    );
    const lines = readFileSync(path, "utf8").split("\n");
    expect(lines.slice(0, 4).every((line) => JSON.parse(line))).toBe(true);
  });
});
