import { appendFileSync, mkdirSync, renameSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { policyFileFingerprint, watchPolicyFile } from "../../src/policy/watch.js";
import { tempDir } from "../helpers/tmp.js";

let dir: { path: string; cleanup: () => void } | null = null;
let stop = () => {};
afterEach(() => {
  stop();
  dir?.cleanup();
});

/** Resolves true once `onChange` is called, false when `deadlineMs` passes first. */
function changeSeen(
  path: string,
  readFingerprint: string,
  deadlineMs: number,
  safetyCheckMs?: number,
): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), deadlineMs);
    stop = watchPolicyFile(
      path,
      () => {
        clearTimeout(timer);
        resolve(true);
      },
      readFingerprint,
      safetyCheckMs,
    );
  });
}

/** Longer than any test: a change these tests see was seen by a folder watcher, not by the safety check. */
const NO_SAFETY_CHECK_MS = 3_600_000;

/** Calls `change` once the watcher is set up (the next turn of the event loop), and resolves with `seen`. */
async function afterWatching(seen: Promise<boolean>, change: () => void): Promise<boolean> {
  await new Promise((resolve) => setImmediate(resolve));
  change();
  return seen;
}

describe("watchPolicyFile", () => {
  it("reports an edit made after the policy was read and before watching began", async () => {
    dir = tempDir();
    const path = join(dir.path, "policy.yaml");
    writeFileSync(path, "version: 1\ndefault: allow\n");
    const readFingerprint = policyFileFingerprint(path);
    writeFileSync(path, "version: 1\ndefault: deny\nrules: []\n");
    expect(await changeSeen(path, readFingerprint, 3000)).toBe(true);
  });

  it("reports nothing when the file is as it was read", async () => {
    dir = tempDir();
    const path = join(dir.path, "policy.yaml");
    writeFileSync(path, "version: 1\ndefault: allow\n");
    expect(await changeSeen(path, policyFileFingerprint(path), 1500)).toBe(false);
  });

  it("sees an edit while a file beside the policy is appended to all the time (an audit log in the same folder)", async () => {
    dir = tempDir();
    const path = join(dir.path, "policy.yaml");
    const log = join(dir.path, "audit.jsonl");
    writeFileSync(path, "version: 1\ndefault: allow\n");
    writeFileSync(log, "");
    // Faster than the watcher's settle time: were each append a reason to look, the look would never come.
    const appender = setInterval(() => appendFileSync(log, '{"event":"tools/call"}\n'), 5);
    try {
      const seen = changeSeen(path, policyFileFingerprint(path), 5000, NO_SAFETY_CHECK_MS);
      const edited = afterWatching(seen, () => writeFileSync(path, "version: 1\ndefault: deny\nrules: []\n"));
      expect(await edited, "the edit was seen within 5 s while the log beside it was appended to").toBe(true);
    } finally {
      clearInterval(appender);
    }
  });

  it("sees a save by rename-over from a watcher alone", async () => {
    dir = tempDir();
    const path = join(dir.path, "policy.yaml");
    writeFileSync(path, "version: 1\ndefault: allow\n");
    const seen = changeSeen(path, policyFileFingerprint(path), 5000, NO_SAFETY_CHECK_MS);
    const saved = afterWatching(seen, () => {
      writeFileSync(join(dir?.path ?? "", ".policy.yaml.swp"), "version: 1\ndefault: deny\nrules: []\n");
      renameSync(join(dir?.path ?? "", ".policy.yaml.swp"), path);
    });
    expect(await saved, "the rename-over was seen within 5 s").toBe(true);
  });

  it("sees a ConfigMap-style swap of the ..data link from a watcher alone", async () => {
    dir = tempDir();
    const root = dir.path;
    mkdirSync(join(root, "..v1"));
    mkdirSync(join(root, "..v2"));
    writeFileSync(join(root, "..v1", "policy.yaml"), "version: 1\ndefault: allow\n");
    writeFileSync(join(root, "..v2", "policy.yaml"), "version: 1\ndefault: deny\nrules: []\n");
    symlinkSync("..v1", join(root, "..data"));
    symlinkSync("..data/policy.yaml", join(root, "policy.yaml"));
    const path = join(root, "policy.yaml");
    const seen = changeSeen(path, policyFileFingerprint(path), 5000, NO_SAFETY_CHECK_MS);
    const swapped = afterWatching(seen, () => {
      symlinkSync("..v2", join(root, "..data_tmp"));
      renameSync(join(root, "..data_tmp"), join(root, "..data"));
    });
    expect(await swapped, "the swap of ..data was seen within 5 s").toBe(true);
  });
});
