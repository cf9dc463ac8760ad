import { mkdirSync, symlinkSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decideToolCall } from "../../src/policy/decide.js";
import { parsePolicy } from "../../src/policy/load.js";
import {
  machinePathContext,
  namesAPath,
  pathWithinPredicate,
  realLocations,
} from "../../src/policy/path-rules.js";
import { tempDir } from "../helpers/tmp.js";
import { policyFrom, readLow } from "./helpers.js";

let root: { path: string; cleanup: () => void };
let allowed: string;

beforeAll(() => {
  root = tempDir("policylayer-path-rules-");
  allowed = join(root.path, "allowed");
  mkdirSync(join(allowed, "sub"), { recursive: true });
  mkdirSync(join(root.path, "outside"));
  symlinkSync(join(root.path, "outside"), join(allowed, "out"));
  symlinkSync(join(allowed, "loop"), join(allowed, "loop"));
  // Names server-filesystem matches by their NFC form when the path as written does not exist.
  symlinkSync(join(root.path, "outside"), join(allowed, "caf\u00e9"));
  symlinkSync(join(root.path, "outside"), join(allowed, "nfd-cafe\u0301"));
  symlinkSync(join(root.path, "outside"), join(allowed, "\u212Aeys"));
  mkdirSync(join(allowed, "twice-\u00e9"));
  mkdirSync(join(allowed, "twice-e\u0301"));
  // Dangling symlinks: open(O_CREAT) creates the file at the target.
  symlinkSync(join(root.path, "outside", "later.txt"), join(allowed, "dangling"));
  symlinkSync("../outside/new-dir", join(allowed, "dangling-dir"));
  symlinkSync("dangling", join(allowed, "to-dangling"));
});
afterAll(() => root.cleanup());

/** Whether a policy of `rule` (default `fallback`) lets a read of `path` through. */
function passes(rule: string, fallback: "allow" | "deny", path: unknown): boolean {
  const policy = policyFrom(`version: 1\ndefault: ${fallback}\nrules:\n  - ${rule}\n`);
  return decideToolCall(policy, { name: "read", arguments: { path } }, readLow).action === "allow";
}

/** Whether an allow-within policy (default deny) lets the path through. */
function pathDecision(path: unknown) {
  const policy = policyFrom(
    `version: 1\ndefault: deny\nrules:\n  - when: [{ path: args.path, op: path_within, value: [${JSON.stringify(allowed)}] }]\n    action: allow\n`,
  );
  return decideToolCall(policy, { name: "read", arguments: { path } }, readLow);
}

function allowedPath(path: unknown): boolean {
  return pathDecision(path).action === "allow";
}

/** The denial of a call whose path cannot be resolved: no rule, the reason saying why. */
function refusedPath(why: RegExp) {
  return {
    action: "deny",
    rule: null,
    reason: expect.stringMatching(
      new RegExp(
        `^policylayer cannot tell where a path argument of this call leads \\(.*${why.source}.*\\), so it was denied \\(fail closed\\)$`,
      ),
    ),
  };
}

describe("path_within", () => {
  it("holds for the folder itself and what lies under it, however spelled", () => {
    for (const path of [
      allowed,
      `${allowed}/`,
      `${allowed}/sub/x`,
      `${allowed}/./sub//x`,
      `${allowed}/new/../sub`,
    ])
      expect(allowedPath(path), path).toBe(true);
  });

  it("fails for traversal spellings, a sibling with the same prefix, and symlinks out", () => {
    for (const path of [
      `${allowed}/../outside`,
      `${allowed}-evil/x`,
      `${allowed}/out/x`,
      `${allowed}/out/../outside`,
      "/tmp/../etc/passwd",
      "//etc/passwd",
      "/./etc/passwd",
      "../../etc/passwd",
    ])
      expect(allowedPath(path), path).toBe(false);
  });

  it("fails for a value that is not a string", () => {
    expect(allowedPath(["/etc/passwd"])).toBe(false);
    expect(allowedPath(5)).toBe(false);
  });

  it("holds for a ~ path only when the home folder and the literal ~ folder in the working directory are both within", () => {
    // The server runs in `allowed`: pathlib.Path("~/notes.txt") is allowed/~/notes.txt there.
    const context = { ...machinePathContext(), cwd: allowed };
    const within = (folders: string[]) => pathWithinPredicate(folders, "/", context)("~/notes.txt");
    expect(within([homedir()])).toBe(false);
    expect(within([allowed])).toBe(false);
    expect(within([homedir(), allowed])).toBe(true);
  });

  it("denies a call through a loop of symlinks, saying why", () => {
    expect(pathDecision(`${allowed}/loop/x`)).toMatchObject(refusedPath(/cannot resolve/));
  });
});

describe("names a server reads another way", () => {
  it("fails for a missing name whose NFC form is that of a symlink out, either way round and through K (U+212A)", () => {
    for (const path of [
      `${allowed}/cafe\u0301/canary.txt`,
      `${allowed}/cafe\u0301`,
      `${allowed}/nfd-caf\u00e9/canary.txt`,
      `${allowed}/Keys/id_rsa`,
      `${allowed}/sub/../cafe\u0301/x`,
    ])
      expect(allowedPath(path), JSON.stringify(path)).toBe(false);
  });

  it("holds for new names with accents, and for a name of the same NFC form as a folder inside", () => {
    for (const path of [
      `${allowed}/r\u00e9sum\u00e9.txt`,
      `${allowed}/sub/na\u0308ive`,
      `${allowed}/Kelvin.txt`,
    ])
      expect(allowedPath(path), JSON.stringify(path)).toBe(true);
  });

  it("denies a call where several names share the NFC form, as server-filesystem refuses it, saying why", () => {
    // e + U+0341 is neither twice-\u00e9 nor twice-e\u0301, and NFC makes all three one name.
    expect(pathDecision(`${allowed}/twice-e\u0341/x`)).toMatchObject(refusedPath(/same Unicode NFC form/));
    expect(allowedPath(`${allowed}/twice-\u00e9/x`)).toBe(true);
  });

  it("fails for a dangling symlink out, where a write would create the file", () => {
    for (const path of [
      `${allowed}/dangling`,
      `${allowed}/dangling-dir/x.txt`,
      `${allowed}/to-dangling`,
      `${allowed}/./dangling`,
    ])
      expect(allowedPath(path), path).toBe(false);
    expect(realLocations(`${allowed}/dangling`, machinePathContext())).toContain(
      join(root.path, "outside", "later.txt"),
    );
  });

  it("reads a relative path, or one with blanks or quotes around it, as leading anywhere", () => {
    const within = `{ path: args.path, op: path_within, value: [${JSON.stringify(allowed)}] }`;
    const outside = `{ path: args.path, op: path_outside, value: [${JSON.stringify(allowed)}] }`;
    for (const path of [
      "notes.txt",
      "",
      "./x",
      "outside/canary.txt",
      "file:///etc/passwd",
      ` ${allowed}/x`,
      `${allowed}/.. `,
      `${allowed}/..\n`,
      `${allowed}/..\u001f`,
      `'${allowed}/x'`,
      `"${allowed}/.."`,
    ]) {
      const name = JSON.stringify(path);
      // An allow rule's condition does not hold: the default decides.
      expect(passes(`{ when: [${within}], action: allow }`, "deny", path), name).toBe(false);
      expect(passes(`{ when: [${outside}], action: allow }`, "deny", path), name).toBe(false);
      // A deny rule's holds, whichever of the two it is.
      expect(passes(`{ when: [${within}], action: deny }`, "allow", path), name).toBe(false);
      expect(passes(`{ when: [${outside}], action: deny }`, "allow", path), name).toBe(false);
      expect(passes(`{ when: [${outside}], action: require_approval }`, "allow", path), name).toBe(false);
    }
    expect(passes(`{ when: [${outside}], action: deny }`, "allow", `${allowed}/sub/x`)).toBe(true);
  });
});

describe("realLocations", () => {
  it("reads ~ as the home folder and literally, and a relative path against the working directory", () => {
    const context = { ...machinePathContext(), cwd: "/nonexistent-base" };
    expect(realLocations("~/x-policylayer-missing", context)).toEqual([
      join(homedir(), "x-policylayer-missing"),
      "/nonexistent-base/~/x-policylayer-missing",
    ]);
    expect(realLocations("~", context)).toEqual([homedir(), "/nonexistent-base/~"]);
    expect(realLocations("x-policylayer-missing", { ...context, cwd: "/nonexistent-base" })).toEqual([
      "/nonexistent-base/x-policylayer-missing",
    ]);
  });

  it("gives both readings where symlinks and .. disagree", () => {
    const locations = realLocations(`${allowed}/out/../x`, machinePathContext());
    expect(locations).toContain(join(allowed, "x"));
    expect(locations).toContain(join(root.path, "x"));
  });
});

describe("validate on path conditions", () => {
  it("warns where starts_with, regex or glob tests an argument named as a path, naming path_within", () => {
    const result = parsePolicy(
      "version: 1\ndefault: allow\nrules:\n  - when: [{ path: args.file_path, op: starts_with, value: /tmp/ }]\n    action: allow\n",
      "p.yaml",
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.warnings[0]).toMatchObject({ line: 4, path: "rules[0].when[0].op" });
    expect(result.warnings[0]?.message).toContain("use op path_within or path_outside");
  });

  it("warns where an allow rule's path_within runs over the elements of a list, which holds for one element within", () => {
    const folder = JSON.stringify(allowed);
    const yaml = (rule: string) => `version: 1\ndefault: deny\nrules:\n  - ${rule}\n`;
    const allowAny = yaml(
      `{ action: allow, when: [{ path: args.paths.*, op: path_within, value: [${folder}] }] }`,
    );
    const result = parsePolicy(allowAny, "p.yaml");
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.warnings).toEqual([
      expect.objectContaining({
        line: 4,
        path: "rules[0].when[0].path",
        message: expect.stringContaining("for every element, deny op path_outside on args.paths.*"),
      }),
    ]);
    // What the warning is about: one element inside lets the whole list through.
    const paths = [join(allowed, "sub", "x"), "/etc/passwd"];
    const call = { name: "read_multiple_files", arguments: { paths } };
    expect(decideToolCall(result.policy, call, readLow).action).toBe("allow");
    const denyOutside = policyFrom(
      `version: 1\ndefault: allow\nrules:\n  - { action: deny, when: [{ path: args.paths.*, op: path_outside, value: [${folder}] }] }\n`,
    );
    expect(decideToolCall(denyOutside, call, readLow).action).toBe("deny");
    for (const rule of [
      `{ action: deny, when: [{ path: args.paths.*, op: path_outside, value: [${folder}] }] }`,
      `{ action: allow, when: [{ path: args.path, op: path_within, value: [${folder}] }] }`,
    ]) {
      const quiet = parsePolicy(yaml(rule), "p.yaml");
      expect(quiet.ok && quiet.warnings, rule).toEqual([]);
    }
  });

  it("tells path-like names from others", () => {
    for (const name of [
      "args.path",
      "args.file_path",
      "args.sourceDir",
      "args.files.0.path",
      "args.destination",
      "args.paths.*",
      "args.files.0",
    ])
      expect(namesAPath(name), name).toBe(true);
    for (const name of [
      "args.profile",
      "args.operation",
      "tool",
      "args.pathology",
      "args.*",
      "args.paths.*.size",
    ])
      expect(namesAPath(name), name).toBe(false);
  });

  it("refuses, at the folder's FILE:LINE:COL, a folder that cannot be resolved", () => {
    const folders = {
      "a loop of symlinks": JSON.stringify(`${allowed}/loop/x`),
      "a NUL character": '"/tmp/a\\0b"',
      "more than 256 components": JSON.stringify(`/${"a/".repeat(300)}`),
      "more than 4096 characters": JSON.stringify(`/${"a".repeat(5000)}`),
    };
    for (const [what, folder] of Object.entries(folders)) {
      const result = parsePolicy(
        `version: 1\ndefault: allow\nrules:\n  - action: deny\n    when:\n      - { path: args.path, op: path_outside, value: [/srv, ${folder}] }\n`,
        "p.yaml",
      );
      expect(result.ok, what).toBe(false);
      if (result.ok) continue;
      expect(result.errors, what).toEqual([
        expect.objectContaining({
          line: 6,
          col: 60,
          message: expect.stringMatching(
            /^rules\[0\]\.when\[0\]\.value\[1\] must be a folder policylayer can resolve: /,
          ),
        }),
      ]);
    }
  });

  it("refuses ~name folders, which it cannot read", () => {
    const result = parsePolicy(
      "version: 1\ndefault: allow\nrules:\n  - when: [{ path: args.path, op: path_within, value: [~bob/x] }]\n    action: allow\n",
      "p.yaml",
    );
    expect(result.ok).toBe(false);
  });
});
