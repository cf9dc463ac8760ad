import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compilePolicy } from "../../src/policy/compile.js";
import { decideToolCall } from "../../src/policy/decide.js";
import { machinePathContext, type PathContext } from "../../src/policy/path-rules.js";
import type { CompiledPolicy, PolicyDocument } from "../../src/policy/types.js";
import { tempDir } from "../helpers/tmp.js";
import { readLow } from "./helpers.js";

/** How often a PathContext was asked to look at the file system, and the limits readdir was given. */
interface Counts {
  realpath: number;
  readlink: number;
  readdir: number;
  readdirLimits: number[];
}

function fsError(code: string, path: string): Error {
  return Object.assign(new Error(`${code}: ${path}`), { code });
}

/**
 * A machine with one folder `/big` of `names` (files), and `/big/café` a symlink to `/elsewhere`
 * when `linkOut`; everything else is missing. Every lookup is counted.
 */
function countingMachine(
  names: readonly string[],
  linkOut = false,
): { context: PathContext; counts: Counts } {
  const counts: Counts = { realpath: 0, readlink: 0, readdir: 0, readdirLimits: [] };
  const files = new Set(names);
  const context: PathContext = {
    cwd: "/",
    home: "/home",
    realpath(path) {
      counts.realpath++;
      if (path === "/" || path === "/big" || path === "/elsewhere") return path;
      if (linkOut && path === "/big/caf\u00e9") return "/elsewhere";
      if (path.startsWith("/big/") && files.has(path.slice("/big/".length))) return path;
      throw fsError("ENOENT", path);
    },
    readlink(path) {
      counts.readlink++;
      if (path.startsWith("/big/") && files.has(path.slice("/big/".length))) throw fsError("EINVAL", path);
      throw fsError("ENOENT", path);
    },
    readdir(path, limit) {
      counts.readdir++;
      counts.readdirLimits.push(limit);
      if (path !== "/big") throw fsError("ENOENT", path);
      return [...names, ...(linkOut ? ["caf\u00e9"] : [])].slice(0, limit);
    },
  };
  return { context, counts };
}

/** A policy that denies a read whose `paths` leave `folder`, seeing the machine through `context`. */
function denyOutside(folder: string, context: PathContext): CompiledPolicy {
  const document: PolicyDocument = {
    version: 1,
    default: "allow",
    rules: [
      {
        action: "deny",
        reason: "outside the folder",
        when: [{ path: "args.paths.*", op: "path_outside", value: [folder] }],
      },
    ],
  };
  return compilePolicy(document, { source: "test.yaml", baseDir: "/", paths: context });
}

function decide(policy: CompiledPolicy, paths: string[]) {
  return decideToolCall(policy, { name: "read_multiple_files", arguments: { paths } }, readLow);
}

/** `count` new names in one folder, each with an accent written as e + U+0301 (NFD), so each is looked up by NFC form. */
function newAccentedPaths(folder: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${folder}/nouveau-${i}-e\u0301.txt`);
}

const folderNames = Array.from({ length: 2000 }, (_, i) => `entr\u00e9e-${i}`);

describe("the file-system lookups of one decision", () => {
  it("reads a folder once for 1000 missing accented names in it, and still finds the one that leads out", () => {
    const { context, counts } = countingMachine(folderNames, true);
    const policy = denyOutside("/big", context);
    const paths = newAccentedPaths("/big", 1000);
    expect(decide(policy, paths).action).toBe("allow");
    expect(counts.readdir).toBe(1);
    expect(decide(policy, [...paths, "/big/cafe\u0301/x"]).action).toBe("deny");
    expect(counts.readdir).toBe(2);
  });

  it("reads the folder again at the next decision, so a name added between calls is seen", () => {
    const names = [...folderNames];
    const { context, counts } = countingMachine(names);
    const policy = denyOutside("/big", context);
    expect(decide(policy, newAccentedPaths("/big", 10)).action).toBe("allow");
    expect(counts.readdir).toBe(1);
    expect(decide(policy, newAccentedPaths("/big", 10)).action).toBe("allow");
    expect(counts.readdir).toBe(2);
  });

  it("shares the folder's reading between the path rules of one policy", () => {
    const { context, counts } = countingMachine(folderNames);
    const document: PolicyDocument = {
      version: 1,
      default: "allow",
      rules: [
        { action: "deny", when: [{ path: "args.paths.*", op: "path_outside", value: ["/big"] }] },
        { action: "deny", when: [{ path: "args.paths.*", op: "path_within", value: ["/elsewhere"] }] },
      ],
    };
    const policy = compilePolicy(document, { source: "test.yaml", baseDir: "/", paths: context });
    expect(decide(policy, newAccentedPaths("/big", 100)).action).toBe("allow");
    expect(counts.readdir).toBe(1);
  });

  it("refuses a call whose paths need more than 4096 lookups, and starts the next decision afresh", () => {
    const { context, counts } = countingMachine(folderNames);
    const policy = denyOutside("/big", context);
    // Each missing ASCII name costs three lookups: realpath of the path, of its folder, and readlink.
    const many = Array.from({ length: 1500 }, (_, i) => `/big/new-${i}.txt`);
    const refused = decide(policy, many);
    expect(refused).toMatchObject({ action: "deny", rule: null, hidden: false });
    expect(refused.reason).toMatch(
      /^policylayer cannot tell where a path argument of this call leads \(the path rules of one call may make at most 4096 file-system lookups, and this call's paths need more.*\), so it was denied \(fail closed\)$/,
    );
    expect(decide(policy, many).action).toBe("deny");
    expect(counts.realpath + counts.readlink + counts.readdir).toBeLessThanOrEqual(2 * 4097);
    expect(decide(policy, many.slice(0, 1300)).action).toBe("allow");
  });

  it("refuses a missing accented name in a folder of more than 50000 entries, reading no further than that", () => {
    const huge = Array.from({ length: 60_000 }, (_, i) => `f${i}`);
    const { context, counts } = countingMachine(huge);
    const policy = denyOutside("/big", context);
    expect(decide(policy, ["/big/caf\u00e9.txt"])).toMatchObject({
      action: "deny",
      reason: expect.stringMatching(
        /^policylayer cannot tell where a path argument of this call leads \(cannot read \/big: the path rules of one call may read at most 50000 folder entries/,
      ),
    });
    expect(counts.readdirLimits).toEqual([50_001]);
    // An ASCII name has no other NFC spelling: the folder is not read.
    expect(decide(policy, ["/big/cafe.txt"]).action).toBe("allow");
    expect(counts.readdir).toBe(1);
  });
});

describe("the file-system lookups of one decision, on the real file system", () => {
  let root: { path: string; cleanup: () => void };
  let big: string;

  beforeAll(() => {
    root = tempDir("policylayer-path-lookups-");
    big = join(root.path, "big");
    mkdirSync(big);
    mkdirSync(join(root.path, "outside"));
    for (const name of folderNames) writeFileSync(join(big, name), "");
    symlinkSync(join(root.path, "outside"), join(big, "caf\u00e9"));
  });
  afterAll(() => root.cleanup());

  it("reads a folder of 2000 names once for 500 missing accented names, and denies the one that leads out", () => {
    const machine = machinePathContext();
    let readdirs = 0;
    const context: PathContext = {
      ...machine,
      readdir: (path, limit) => {
        readdirs++;
        return machine.readdir(path, limit);
      },
    };
    const policy = denyOutside(big, context);
    const paths = newAccentedPaths(big, 500);
    expect(decide(policy, paths).action).toBe("allow");
    expect(readdirs).toBe(1);
    expect(decide(policy, [...paths, `${big}/cafe\u0301/canary.txt`]).action).toBe("deny");
    expect(readdirs).toBe(2);
  });

  it("reads no more names of a folder than it is asked for", () => {
    expect(machinePathContext().readdir(big, 10)).toHaveLength(10);
    expect(machinePathContext().readdir(big, 5000)).toHaveLength(2001);
  });
});
