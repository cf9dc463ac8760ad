import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { recordingServer } from "../helpers/paths.js";
import { RawSession } from "../helpers/raw-session.js";
import { tempDir } from "../helpers/tmp.js";

// Hot reload as editors, dotfiles managers and Kubernetes change a policy file. Each change must
// be in force (or, if it does not validate, reported with the last good policy kept) within 2 s:
// watchers see most at once, a check every second sees the rest. Tests wait for the report with a
// wider deadline (the machine may be loaded) and print how long each took; no timed assertions.

const ALLOW_ECHO = "version: 1\ndefault: allow\n";
const DENY_ECHO = (version: string) =>
  `version: 1\ndefault: allow\nrules:\n  - tool: echo\n    action: deny\n    reason: echo is off in ${version}\n`;
const INVALID = "version: 1\ndefault: allow\nrules:\n  - tool: echo\n    action: sometimes\n";
const DEADLINE_MS = 10_000;

let dir: { path: string; cleanup: () => void };
let session: RawSession | null = null;
let calls = 0;

beforeEach(() => {
  dir = tempDir();
});
afterEach(async () => {
  session?.closeInput();
  await session?.exited;
  session = null;
  dir.cleanup();
});

async function startWrap(policyPath: string): Promise<RawSession> {
  session = new RawSession([
    "--policy",
    policyPath,
    "--audit",
    join(dir.path, "audit.jsonl"),
    "--",
    process.execPath,
    recordingServer,
  ]);
  await session.initialize();
  return session;
}

/** What the policy in force says to an echo call: "allowed" or the denial's text. */
async function echoVerdict(wrap: RawSession): Promise<string> {
  const response = await wrap.request(`echo-${++calls}`, "tools/call", { name: "echo", arguments: {} });
  const result = response.result as { isError?: boolean; content: Array<{ text: string }> };
  return result.isError ? (result.content[0]?.text ?? "") : "allowed";
}

/** Makes a change and waits for wrap to report the reload it causes; prints how long that took. */
async function changeAndAwait(
  wrap: RawSession,
  pattern: RegExp,
  change: () => void,
  what: string,
): Promise<void> {
  const mark = wrap.stderrMark();
  const started = performance.now();
  change();
  await wrap.waitForStderrAfter(mark, pattern, DEADLINE_MS);
  console.info(`${what}: reported after ${(performance.now() - started).toFixed(0)} ms`);
}

const RELOADED = /policy reloaded from /;
const REFUSED = /the edited policy does not validate; the last good policy stays in force/;

/** Writes a new file beside `path` and renames it over `path`, as most editors save. */
function saveByRename(path: string, text: string): void {
  writeFileSync(`${path}.tmp-save`, text);
  renameSync(`${path}.tmp-save`, path);
}

describe("hot reload follows what editors and deployment tools do", () => {
  it("a policy path that is a symlink to another folder (dotfiles), saved by rename-over and in place", async () => {
    const dotfiles = join(dir.path, "dotfiles");
    const config = join(dir.path, "config");
    mkdirSync(dotfiles);
    mkdirSync(config);
    const real = join(dotfiles, "policy.yaml");
    writeFileSync(real, ALLOW_ECHO);
    const linked = join(config, "policy.yaml");
    symlinkSync(join("..", "dotfiles", "policy.yaml"), linked);
    const wrap = await startWrap(linked);
    expect(await echoVerdict(wrap)).toBe("allowed");

    await changeAndAwait(wrap, RELOADED, () => saveByRename(real, DENY_ECHO("v2")), "rename-over");
    expect(await echoVerdict(wrap)).toContain("echo is off in v2");
    await changeAndAwait(wrap, RELOADED, () => writeFileSync(real, DENY_ECHO("v3")), "in place");
    expect(await echoVerdict(wrap)).toContain("echo is off in v3");
    await changeAndAwait(wrap, REFUSED, () => writeFileSync(real, INVALID), "invalid");
    expect(await echoVerdict(wrap)).toContain("echo is off in v3");
  });

  it("a Kubernetes ConfigMap-style ..data symlink swap, again and again, an invalid one reported", async () => {
    const mount = join(dir.path, "config");
    mkdirSync(mount);
    let generation = 0;
    /** Writes a new timestamped folder and swaps ..data to it atomically, as the kubelet does. */
    const publish = (text: string) => {
      const old = `..gen_${generation}`;
      generation += 1;
      const fresh = `..gen_${generation}`;
      mkdirSync(join(mount, fresh));
      writeFileSync(join(mount, fresh, "policy.yaml"), text);
      symlinkSync(fresh, join(mount, "..data_tmp"));
      renameSync(join(mount, "..data_tmp"), join(mount, "..data"));
      rmSync(join(mount, old), { recursive: true, force: true });
    };
    mkdirSync(join(mount, "..gen_0"));
    writeFileSync(join(mount, "..gen_0", "policy.yaml"), ALLOW_ECHO);
    symlinkSync("..gen_0", join(mount, "..data"));
    symlinkSync(join("..data", "policy.yaml"), join(mount, "policy.yaml"));
    const wrap = await startWrap(join(mount, "policy.yaml"));
    expect(await echoVerdict(wrap)).toBe("allowed");

    await changeAndAwait(wrap, RELOADED, () => publish(DENY_ECHO("gen 1")), "swap 1");
    expect(await echoVerdict(wrap)).toContain("echo is off in gen 1");
    await changeAndAwait(wrap, REFUSED, () => publish(INVALID), "swap 2 (invalid)");
    expect(await echoVerdict(wrap)).toContain("echo is off in gen 1");
    await changeAndAwait(wrap, RELOADED, () => publish(ALLOW_ECHO), "swap 3");
    expect(await echoVerdict(wrap)).toBe("allowed");
  });

  it("the whole policy folder replaced, then the new folder's file edited", async () => {
    const folder = join(dir.path, "policies");
    mkdirSync(folder);
    const policyPath = join(folder, "policy.yaml");
    writeFileSync(policyPath, ALLOW_ECHO);
    const wrap = await startWrap(policyPath);
    expect(await echoVerdict(wrap)).toBe("allowed");

    await changeAndAwait(
      wrap,
      RELOADED,
      () => {
        mkdirSync(`${folder}.new`);
        writeFileSync(join(`${folder}.new`, "policy.yaml"), DENY_ECHO("the new folder"));
        renameSync(folder, `${folder}.old`);
        renameSync(`${folder}.new`, folder);
      },
      "folder replaced",
    );
    expect(await echoVerdict(wrap)).toContain("echo is off in the new folder");
    // The old folder is no longer what the path reads: a change there does nothing.
    writeFileSync(join(`${folder}.old`, "policy.yaml"), DENY_ECHO("the old folder"));
    await changeAndAwait(wrap, RELOADED, () => writeFileSync(policyPath, ALLOW_ECHO), "new folder edited");
    expect(await echoVerdict(wrap)).toBe("allowed");
  });

  it("a symlink switched in the same folder still reloads", async () => {
    writeFileSync(join(dir.path, "a.yaml"), ALLOW_ECHO);
    writeFileSync(join(dir.path, "b.yaml"), DENY_ECHO("b"));
    const linked = join(dir.path, "policy.yaml");
    symlinkSync("a.yaml", linked);
    const wrap = await startWrap(linked);
    await changeAndAwait(
      wrap,
      RELOADED,
      () => {
        symlinkSync("b.yaml", join(dir.path, "policy.tmp"));
        renameSync(join(dir.path, "policy.tmp"), linked);
      },
      "symlink switched",
    );
    expect(await echoVerdict(wrap)).toContain("echo is off in b");
  });

  it("a symlinked folder above the file retargeted, which no watcher sees: the periodic check finds it", async () => {
    for (const [name, text] of [
      ["one", ALLOW_ECHO],
      ["two", DENY_ECHO("folder two")],
    ] as const) {
      mkdirSync(join(dir.path, name));
      writeFileSync(join(dir.path, name, "policy.yaml"), text);
    }
    const links = join(dir.path, "links");
    mkdirSync(links);
    symlinkSync(join(dir.path, "one"), join(links, "current"));
    const wrap = await startWrap(join(links, "current", "policy.yaml"));
    expect(await echoVerdict(wrap)).toBe("allowed");
    await changeAndAwait(
      wrap,
      RELOADED,
      () => {
        symlinkSync(join(dir.path, "two"), join(links, "current.tmp"));
        renameSync(join(links, "current.tmp"), join(links, "current"));
      },
      "folder link retargeted",
    );
    expect(await echoVerdict(wrap)).toContain("echo is off in folder two");
  });
});

describe("a reload that cannot take effect", () => {
  it("a path_within folder behind a loop of symlinks: reported at FILE:LINE:COL, the last good policy kept, later edits still reload", async () => {
    symlinkSync("loop", join(dir.path, "loop"));
    const policyPath = join(dir.path, "policy.yaml");
    writeFileSync(policyPath, ALLOW_ECHO);
    const wrap = await startWrap(policyPath);
    const loopRule = `version: 1\ndefault: allow\nrules:\n  - tool: echo\n    when:\n      - { path: args.path, op: path_within, value: ${JSON.stringify(join(dir.path, "loop", "x"))} }\n    action: deny\n`;
    const mark = wrap.stderrMark();
    await changeAndAwait(wrap, REFUSED, () => writeFileSync(policyPath, loopRule), "folder behind a loop");
    await wrap.waitForStderrAfter(
      mark,
      /policy\.yaml:6:52: rules\[0\]\.when\[0\]\.value must be a folder policylayer can resolve: .*ELOOP/,
      DEADLINE_MS,
    );
    expect(await echoVerdict(wrap)).toBe("allowed");
    await changeAndAwait(wrap, RELOADED, () => writeFileSync(policyPath, DENY_ECHO("v2")), "next edit");
    expect(await echoVerdict(wrap)).toContain("echo is off in v2");
  });

  it("a reloaded policy's warnings are printed after the reloaded line, at FILE:LINE:COL", async () => {
    const policyPath = join(dir.path, "policy.yaml");
    writeFileSync(policyPath, ALLOW_ECHO);
    const wrap = await startWrap(policyPath);
    const mark = wrap.stderrMark();
    const warned = `${ALLOW_ECHO}rules:\n  - tool: echo\n    when:\n      - { path: args.file_path, op: starts_with, value: /etc }\n    action: deny\n`;
    await changeAndAwait(wrap, RELOADED, () => writeFileSync(policyPath, warned), "a policy with a warning");
    await wrap.waitForStderrAfter(
      mark,
      /policy reloaded from [^\n]*\n(policylayer: )?[^\n]*policy\.yaml:6:37: warning: rules\[0\]\.when\[0\]\.op starts_with on args\.file_path/,
      DEADLINE_MS,
    );
  });
});
