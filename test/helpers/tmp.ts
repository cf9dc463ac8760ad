import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A fresh temporary folder, removed by the returned cleanup. */
export function tempDir(prefix = "policylayer-test-"): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

/** Writes a policy file into `dir` and returns its path. */
export function writePolicy(dir: string, yaml: string, name = "policy.yaml"): string {
  const path = join(dir, name);
  writeFileSync(path, yaml);
  return path;
}

/**
 * wrap's flags for a test that is not about the policy: a policy in `dir` that allows everything,
 * an audit log there, and a shutdown grace of `graceMs`.
 */
export function allowAllWrapFlags(dir: string, graceMs = 500): string[] {
  return [
    "--policy",
    writePolicy(dir, "version: 1\ndefault: allow\n"),
    "--audit",
    join(dir, "audit.jsonl"),
    "--grace-ms",
    String(graceMs),
  ];
}

/**
 * The complete JSON lines of a file, parsed ([] when it does not exist). A last line without its
 * newline is still being written by another process (a test polling a record file): it is left out.
 */
export function readJsonLines(path: string): Record<string, unknown>[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return [];
  }
  return text
    .slice(0, text.lastIndexOf("\n") + 1)
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
