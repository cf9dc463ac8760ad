import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadPolicyFile } from "../../src/policy/load.js";
import { tempDir } from "../helpers/tmp.js";

let dir: { path: string; cleanup: () => void } | null = null;
afterEach(() => dir?.cleanup());

/** Writes `bytes` as a policy file and loads it. */
async function loaded(bytes: Uint8Array) {
  dir = tempDir();
  const path = join(dir.path, "policy.yaml");
  writeFileSync(path, bytes);
  return { path, result: await loadPolicyFile(path) };
}

describe("a policy file's encoding", () => {
  it("refuses bytes that are not UTF-8, at the line and column of the first one", async () => {
    const bytes = Buffer.concat([
      Buffer.from("version: 1\ndefault: allow\nrules:\n  - tool: \u00df\u00e9_", "utf8"),
      Buffer.from([0xff]),
      Buffer.from("\n    action: deny\n", "utf8"),
    ]);
    const { path, result } = await loaded(bytes);
    expect(result).toEqual({
      ok: false,
      errors: [
        {
          file: path,
          line: 4,
          col: 14,
          path: "",
          message: "the file is not valid UTF-8 (a byte 0xFF here); save it as UTF-8",
        },
      ],
    });
  });

  it("refuses a sequence cut short and an overlong encoding", async () => {
    for (const bad of [
      [0xe2, 0x82],
      [0xc0, 0xaf],
    ]) {
      const { result } = await loaded(
        Buffer.concat([Buffer.from("version: 1\ndefault: deny\n# "), Buffer.from(bad)]),
      );
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.errors[0]).toMatchObject({ line: 3, col: 3 });
    }
  });

  it("places errors on the first line of a file with a byte-order mark where an editor shows them: the mark takes no column", async () => {
    const where = async (text: string | Uint8Array) => {
      const { result } = await loaded(typeof text === "string" ? Buffer.from(text, "utf8") : text);
      return result.ok ? [] : result.errors.map((error) => `${error.line}:${error.col}`);
    };
    for (const text of [
      "version: 2\ndefault: allow\n",
      "x: 1\nversion: 1\ndefault: allow\n",
      'version: "1\n',
    ])
      expect(await where(`\ufeff${text}`), JSON.stringify(text)).toEqual(await where(text));
    const notUtf8 = (bom: string) => Buffer.concat([Buffer.from(`${bom}version: 1 # `), Buffer.from([0xff])]);
    expect(await where(notUtf8("\ufeff"))).toEqual(await where(notUtf8("")));
  });

  it("reads a U+FFFD written as UTF-8, and a byte-order mark, as before", async () => {
    const { result } = await loaded(Buffer.from("\ufeffversion: 1\ndefault: allow\n# \ufffd\n", "utf8"));
    expect(result.ok).toBe(true);
  });
});
