import {
  chmodSync,
  chownSync,
  existsSync,
  linkSync,
  mkdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { LocalLimitStore } from "../../src/ratelimit/local-store.js";
import { tempDir } from "../helpers/tmp.js";

const asRoot = process.getuid?.() === 0;
/** A user id nobody on the test machine has. */
const OTHER_UID = 54_321;

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function folder(): string {
  const dir = tempDir("policylayer-store-");
  cleanups.push(dir.cleanup);
  return dir.path;
}

function open(path: string): LocalLimitStore {
  const store = LocalLimitStore.open(path);
  cleanups.push(() => store.close());
  return store;
}

const request = { key: "rate_limit:{r}:global", windowMs: 60_000, max: 5, amount: 1 };

describe("the local store's files", () => {
  it("are made 0600, the -wal and -shm files too, so no other user reads the counters' keys", () => {
    const path = join(folder(), "limits.db");
    expect(open(path).reserve([request]).kind).toBe("counted");
    for (const file of [path, `${path}-wal`, `${path}-shm`]) expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it("are made 0600 when an earlier store of yours was 0644", () => {
    const path = join(folder(), "limits.db");
    open(path).close();
    chmodSync(path, 0o644);
    open(path).reserve([request]);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it("are never opened through a link planted at the store's name, whose target stays unchanged", () => {
    const dir = folder();
    const target = join(dir, "notes.txt");
    writeFileSync(target, "mine\n", { mode: 0o600 });
    symlinkSync(target, join(dir, "limits.db"));
    expect(() => open(join(dir, "limits.db"))).toThrow(`${dir}/limits.db is not a regular file`);
    expect(readFileSync(target, "utf8")).toBe("mine\n");
  });

  it("are never opened through a second name (a hard link) of another file, which stays unchanged", () => {
    const dir = folder();
    const target = join(dir, "notes.txt");
    writeFileSync(target, "", { mode: 0o600 });
    linkSync(target, join(dir, "limits.db"));
    expect(() => open(join(dir, "limits.db"))).toThrow(
      `${dir}/limits.db has 2 names (hard links), so writing it would write another file too`,
    );
    expect(readFileSync(target, "utf8")).toBe("");
  });

  it("are refused when others could have written them (mode 0666): they could reset the counts", () => {
    const path = join(folder(), "limits.db");
    open(path).close();
    chmodSync(path, 0o666);
    expect(() => open(path)).toThrow(`${path} has mode 0666, so others could have written it`);
  });

  it("refuse a -wal file planted beside the store", () => {
    const path = join(folder(), "limits.db");
    writeFileSync(`${path}-wal`, "");
    chmodSync(`${path}-wal`, 0o666);
    expect(() => open(path)).toThrow(`${path}-wal has mode 0666`);
  });

  it.skipIf(!asRoot)("are refused when they belong to another user", () => {
    const path = join(folder(), "limits.db");
    open(path).close();
    chownSync(path, OTHER_UID, OTHER_UID);
    expect(() => open(path)).toThrow(`${path} belongs to user id ${OTHER_UID}, not to you`);
  });

  it("are refused in a folder every user can write, where the store could be swapped for another", () => {
    const shared = join(folder(), "shared");
    mkdirSync(shared);
    chmodSync(shared, 0o777);
    expect(() => open(join(shared, "limits.db"))).toThrow(
      `${shared} is not safe for the limit store: its mode 0777 lets every user rename or replace what is in it`,
    );
    expect(existsSync(join(shared, "limits.db"))).toBe(false);
  });
});
