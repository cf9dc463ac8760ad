import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { pythonWithMcp } from "../helpers/python-sdk.js";

const run = promisify(execFile);

// `.ci/run` runs this file first, so the installs are not spent inside other tests' timeouts.
describe("pythonWithMcp", () => {
  for (const major of [1, 2] as const) {
    it(`gives an interpreter whose mcp package is version ${major}.x`, { timeout: 600_000 }, async () => {
      const python = await pythonWithMcp(major);
      const { stdout } = await run(python, ["-c", "import importlib.metadata as m; print(m.version('mcp'))"]);
      expect(stdout.trim()).toMatch(new RegExp(`^${major}\\.`));
    });
  }
});
