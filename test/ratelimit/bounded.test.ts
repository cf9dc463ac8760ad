import { createRequire } from "node:module";
import { join } from "node:path";
import type LibsqlDatabase from "libsql";
import { describe, expect, it } from "vitest";
import { bucketTimeMs, MAX_BUCKETS_PER_WINDOW } from "../../src/ratelimit/arithmetic.js";
import { SlidingWindowLimiter } from "../../src/ratelimit/sliding-window.js";
import { tempDir, writePolicy } from "../helpers/tmp.js";
import { closedAfterEach, limitsJson, wrapOnMachine } from "./helpers.js";

// A counter's state is bounded by its window's bucket count, not by its max: a million calls a
// minute (or a day) are not a million entries, and every call is still counted.

const { opened, dirs } = closedAfterEach();

describe("time buckets", () => {
  it("are the millisecond itself for windows up to a minute, and 1/60,000 of longer ones, rounded up", () => {
    expect(MAX_BUCKETS_PER_WINDOW).toBe(60_000);
    expect(bucketTimeMs(1_234_567, 60_000)).toBe(1_234_567);
    expect(bucketTimeMs(1_234_567, 86_400_000)).toBe(1_235_520);
    expect(bucketTimeMs(1_235_520, 86_400_000)).toBe(1_235_520);
  });

  it("keep a million calls of a session-scope limit in a few hundred buckets, every call counted", () => {
    const limiter = new SlidingWindowLimiter();
    const day = 86_400_000;
    const before = process.memoryUsage().heapUsed;
    // One call every millisecond for 1,000 s: a million distinct milliseconds.
    let allowed = 0;
    for (let t = 0; t < 1_000_000; t++) if (limiter.take("r", 1_000_000, day, t) === 0) allowed++;
    const grownBytes = process.memoryUsage().heapUsed - before;
    expect(allowed).toBe(1_000_000);
    expect(limiter.usage("r", day, 1_000_000).used).toBe(1_000_000);
    expect(limiter.take("r", 1_000_000, day, 1_000_000)).toBeGreaterThan(0);
    // A million entries of two numbers each would be well over 16 MB.
    expect(grownBytes).toBeLessThan(4 * 1024 * 1024);
  });
});

describe("the local store under a limit of a million calls a day", () => {
  it("counts every call of a real wrap exactly while its counter holds one bucket per 1.44 s", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const policy = writePolicy(
      dir.path,
      "version: 1\ndefault: deny\nrules:\n  - { id: many, tool: echo, action: allow, rate_limit: { max: 1000000, window: 86400, scope: global } }\n",
    );
    const connected = await wrapOnMachine(policy, dir.path);
    opened.push(connected);
    const calls = 2_000;
    const inFlight = 8;
    const startedMs = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next < calls) {
          next++;
          await connected.client.callTool({ name: "echo", arguments: { message: "x" } });
        }
      }),
    );
    const elapsedMs = Date.now() - startedMs;
    expect(await limitsJson(dir.path, policy)).toEqual([
      expect.objectContaining({ id: "many", used: calls, remaining: 1_000_000 - calls }),
    ]);
    const Libsql = createRequire(import.meta.url)("libsql") as typeof LibsqlDatabase;
    const db = new Libsql(join(dir.path, "limits.db"), { readonly: true });
    const rows = db.prepare("SELECT count(*) FROM counts").raw(true).get();
    db.close();
    const buckets = Array.isArray(rows) ? Number(rows[0]) - 1 : Number.NaN;
    console.log(`local store: ${calls} calls in ${elapsedMs} ms kept in ${buckets} buckets`);
    expect(buckets).toBeGreaterThanOrEqual(1);
    expect(buckets).toBeLessThanOrEqual(Math.ceil(elapsedMs / 1_440) + 1);
  });
});
