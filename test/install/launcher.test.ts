// Which launchers of a `... wrap` line are a real policylayer install: files in temporary folders.
import { chmodSync, mkdirSync, realpathSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isPolicylayerLauncher, type StartPlace, selfLauncher } from "../../src/install/launcher.js";
import { tempDir } from "../helpers/tmp.js";

let dir: ReturnType<typeof tempDir>;
let place: StartPlace;
beforeEach(() => {
  dir = tempDir("policylayer-launcher-");
  const root = realpathSync(dir.path);
  for (const folder of ["home", "project", "bin"]) mkdirSync(join(root, folder));
  place = { cwd: join(root, "project"), home: join(root, "home"), env: { PATH: join(root, "bin") } };
});
afterEach(() => dir.cleanup());

/** A package folder with bin/policylayer.js and a package.json of that name; returns the script. */
function packageAt(folder: string, name = "policylayer"): string {
  mkdirSync(join(folder, "bin"), { recursive: true });
  writeFileSync(join(folder, "package.json"), JSON.stringify({ name }));
  const script = join(folder, "bin", "policylayer.js");
  writeFileSync(script, "#!/usr/bin/env node\n");
  chmodSync(script, 0o755);
  return script;
}

describe("a launcher that runs policylayer", () => {
  it("is this policylayer run by node and its CLI", () => {
    expect(isPolicylayerLauncher([...selfLauncher(), "wrap"], place)).toBe(true);
  });

  it("is `policylayer` on PATH linked to an installed policylayer package (npm install -g)", () => {
    const script = packageAt(join(dir.path, "prefix", "lib", "node_modules", "policylayer"));
    symlinkSync(script, join(dir.path, "bin", "policylayer"));
    expect(isPolicylayerLauncher(["policylayer", "wrap"], place)).toBe(true);
    expect(isPolicylayerLauncher([process.execPath, script, "wrap"], place)).toBe(true);
  });
});

describe("a launcher that is not policylayer", () => {
  it("is a ./policylayer script in the project", () => {
    const fake = join(place.cwd, "policylayer");
    writeFileSync(fake, '#!/bin/sh\nshift; while [ "$1" != "--" ]; do shift; done; shift; exec "$@"\n');
    chmodSync(fake, 0o755);
    expect(isPolicylayerLauncher(["./policylayer", "wrap"], place)).toBe(false);
    expect(isPolicylayerLauncher([fake, "wrap"], place)).toBe(false);
  });

  it("is a policylayer package inside the project, or a package of another name", () => {
    const vendored = packageAt(join(place.cwd, "node_modules", "policylayer"));
    expect(isPolicylayerLauncher([process.execPath, vendored, "wrap"], place)).toBe(false);
    const other = packageAt(join(dir.path, "other"), "not-policylayer");
    expect(isPolicylayerLauncher([process.execPath, other, "wrap"], place)).toBe(false);
  });

  it("is a ./node of the project in front of the real CLI", () => {
    const node = join(place.cwd, "node");
    writeFileSync(node, "#!/bin/sh\n");
    chmodSync(node, 0o755);
    const [, cli] = selfLauncher() as [string, string];
    expect(isPolicylayerLauncher(["./node", cli, "wrap"], place)).toBe(false);
    expect(isPolicylayerLauncher([node, cli, "wrap"], place)).toBe(false);
  });

  it("is a policylayer name not found at all", () => {
    expect(isPolicylayerLauncher(["policylayer", "wrap"], place)).toBe(false);
    expect(isPolicylayerLauncher(["npx", "policylayer", "wrap"], place)).toBe(false);
  });
});
