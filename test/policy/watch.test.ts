import { writeFileSync } from "node:fs";
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
function changeSeen(path: string, readFingerprint: string, deadlineMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), deadlineMs);
    stop = watchPolicyFile(
      path,
      () => {
        clearTimeout(timer);
        resolve(true);
      },
      readFingerprint,
    );
  });
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
});
