import { createRequire } from "node:module";
import type LibsqlDatabase from "libsql";
import { fitsWithin, millisecondsUntilFits } from "./arithmetic.js";
import type { CountedEntry, CounterRequest, CounterUsage, SharedLimitStore, StoreAnswer } from "./store.js";

type Database = LibsqlDatabase.Database;
type Statement = LibsqlDatabase.Statement;

/** How long one operation waits for another process's transaction before the store counts as unavailable. */
const BUSY_TIMEOUT_MS = 1000;
/** Counters idle past their window are swept once in this many reservations (and when the store opens). */
const SWEEP_EVERY = 4096;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS counters (
  key TEXT PRIMARY KEY,
  total REAL NOT NULL,
  window_ms REAL NOT NULL,
  last_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS entries (
  key TEXT NOT NULL,
  t_ms INTEGER NOT NULL,
  amount REAL NOT NULL,
  PRIMARY KEY (key, t_ms)
) WITHOUT ROWID;
`;

/** A number from a row read in raw mode; SQLite gave us something else only if the file was tampered with. */
function numberAt(row: unknown, index: number): number {
  const value = Array.isArray(row) ? row[index] : undefined;
  if (typeof value !== "number") throw new Error(`limit store: unexpected value ${String(value)} in a row`);
  return value;
}

/** The only row of a query's answer, or undefined. (libSQL's get() leaves its statement running, which blocks COMMIT.) */
function onlyRow(statement: Statement, ...params: unknown[]): unknown {
  return statement.all(...params)[0];
}

/** The prepared statements of one connection. */
class Statements {
  readonly counter: Statement;
  readonly oldest: Statement;
  readonly expiredSum: Statement;
  readonly deleteExpired: Statement;
  readonly entries: Statement;
  readonly addEntry: Statement;
  readonly upsertCounter: Statement;
  readonly setTotal: Statement;
  readonly giveBack: Statement;
  readonly takeFromEntry: Statement;
  readonly dropEmptyEntry: Statement;
  readonly begin: Statement;
  readonly commit: Statement;
  readonly rollback: Statement;

  constructor(db: Database) {
    this.counter = db
      .prepare("SELECT total, (SELECT min(t_ms) FROM entries WHERE key = ?1) FROM counters WHERE key = ?1")
      .raw(true);
    this.oldest = db.prepare("SELECT min(t_ms) FROM entries WHERE key = ?").raw(true);
    this.expiredSum = db
      .prepare("SELECT total(amount), count(*) FROM entries WHERE key = ? AND t_ms <= ?")
      .raw(true);
    this.deleteExpired = db.prepare("DELETE FROM entries WHERE key = ? AND t_ms <= ?");
    this.entries = db.prepare("SELECT t_ms, amount FROM entries WHERE key = ? ORDER BY t_ms").raw(true);
    this.addEntry = db.prepare(
      "INSERT INTO entries (key, t_ms, amount) VALUES (?, ?, ?) ON CONFLICT (key, t_ms) DO UPDATE SET amount = amount + excluded.amount",
    );
    this.upsertCounter = db.prepare(
      "INSERT INTO counters (key, total, window_ms, last_ms) VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET total = total + excluded.total, window_ms = excluded.window_ms, last_ms = excluded.last_ms",
    );
    this.setTotal = db.prepare("UPDATE counters SET total = ? WHERE key = ?");
    this.giveBack = db.prepare("UPDATE counters SET total = max(0, total - ?) WHERE key = ?");
    this.takeFromEntry = db.prepare(
      "UPDATE entries SET amount = max(0, amount - ?) WHERE key = ? AND t_ms = ?",
    );
    this.dropEmptyEntry = db.prepare("DELETE FROM entries WHERE key = ? AND t_ms = ? AND amount <= 0");
    this.begin = db.prepare("BEGIN IMMEDIATE");
    this.commit = db.prepare("COMMIT");
    this.rollback = db.prepare("ROLLBACK");
  }
}

/**
 * The embedded store: one SQLite database (libSQL) in the state directory, shared by every wrap of
 * this user on this machine. Each operation is one IMMEDIATE transaction, so concurrent wraps
 * serialize on SQLite's write lock and a wrap killed mid-transaction leaves nothing half-written.
 * WAL with synchronous=NORMAL: a commit survives the death of the process (not of the machine).
 */
export class LocalLimitStore implements SharedLimitStore {
  readonly name = "local";
  private reservationsSinceSweep = 0;

  private constructor(
    private readonly db: Database,
    private readonly sql: Statements,
    private readonly now: () => number,
  ) {}

  /** Opens (creating) the store's database file; throws an error naming the file when it cannot. */
  static open(path: string, now: () => number = Date.now): LocalLimitStore {
    const require = createRequire(import.meta.url);
    // Loaded only by policies with shared limits: a native module other wraps need not pay for.
    const Libsql = require("libsql") as typeof LibsqlDatabase;
    // Wraps started together race to create the file and switch it to WAL, which does not wait
    // on SQLite's busy handler: such a first open is tried again for up to BUSY_TIMEOUT_MS.
    const deadline = Date.now() + BUSY_TIMEOUT_MS;
    for (;;) {
      let db: Database | undefined;
      try {
        db = new Libsql(path);
        db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
        db.pragma("journal_mode = WAL");
        db.pragma("synchronous = NORMAL");
        db.exec(SCHEMA);
        const store = new LocalLimitStore(db, new Statements(db), now);
        store.sweep();
        return store;
      } catch (error) {
        db?.close();
        const message = (error as Error).message;
        if (/locked|busy/i.test(message) && Date.now() < deadline) {
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
          continue;
        }
        throw new Error(`the limit store ${path} cannot be opened: ${message}`);
      }
    }
  }

  reserve(requests: readonly CounterRequest[]): StoreAnswer {
    if (++this.reservationsSinceSweep >= SWEEP_EVERY) {
      this.reservationsSinceSweep = 0;
      this.guarded(() => this.sweep());
    }
    return this.guarded(() => this.transaction(() => this.reserveLocked(requests, true)));
  }

  check(requests: readonly CounterRequest[]): StoreAnswer {
    return this.guarded(() => this.transaction(() => this.reserveLocked(requests, false)));
  }

  release(entries: readonly CountedEntry[]): void {
    this.guarded(() =>
      this.transaction(() => {
        for (const entry of entries) {
          const taken = this.sql.takeFromEntry.run(entry.amount, entry.key, entry.timeMs).changes > 0;
          if (!taken) continue; // It left the window already.
          this.sql.dropEmptyEntry.run(entry.key, entry.timeMs);
          this.sql.giveBack.run(entry.amount, entry.key);
        }
        return { kind: "counted", entries: [] };
      }),
    );
  }

  async usage(keyPrefix: string): Promise<CounterUsage[]> {
    const nowMs = this.now();
    const rows = this.db
      .prepare("SELECT key, window_ms FROM counters WHERE substr(key, 1, ?) = ? ORDER BY key")
      .raw(true)
      .all(keyPrefix.length, keyPrefix);
    const usages: CounterUsage[] = [];
    this.transaction(() => {
      for (const row of rows) {
        const key = Array.isArray(row) ? String(row[0]) : "";
        const windowMs = numberAt(row, 1);
        const used = this.expire(key, windowMs, nowMs);
        const oldest = onlyRow(this.sql.oldest, key);
        const oldestMs = Array.isArray(oldest) ? oldest[0] : null;
        const freesInMs = typeof oldestMs === "number" ? Math.max(0, oldestMs + windowMs - nowMs) : 0;
        if (used > 0 || freesInMs > 0) usages.push({ key, used, freesInMs });
      }
      return { kind: "counted", entries: [] };
    });
    return usages;
  }

  async reset(keyPrefix: string): Promise<number> {
    let removed = 0;
    this.transaction(() => {
      this.db.prepare("DELETE FROM entries WHERE substr(key, 1, ?) = ?").run(keyPrefix.length, keyPrefix);
      removed = this.db
        .prepare("DELETE FROM counters WHERE substr(key, 1, ?) = ?")
        .run(keyPrefix.length, keyPrefix).changes;
      return { kind: "counted", entries: [] };
    });
    return removed;
  }

  async close(): Promise<void> {
    this.db.close();
  }

  private reserveLocked(requests: readonly CounterRequest[], count: boolean): StoreAnswer {
    // Read after the write lock is held, so entries are in commit order across processes.
    const nowMs = this.now();
    for (const [index, request] of requests.entries()) {
      const used = this.expire(request.key, request.windowMs, nowMs);
      if (fitsWithin(used, request.amount, request.max)) continue;
      const times: number[] = [];
      const amounts: number[] = [];
      for (const row of this.sql.entries.all(request.key)) {
        times.push(numberAt(row, 0));
        amounts.push(numberAt(row, 1));
      }
      const retryAfterMs = millisecondsUntilFits(
        used,
        request.amount,
        request.max,
        request.windowMs,
        nowMs,
        0,
        times,
        amounts,
      );
      return { kind: "over", index, used, retryAfterMs };
    }
    if (!count) return { kind: "counted", entries: [] };
    const entries: CountedEntry[] = [];
    for (const request of requests) {
      this.sql.addEntry.run(request.key, nowMs, request.amount);
      this.sql.upsertCounter.run(request.key, request.amount, request.windowMs, nowMs);
      entries.push({ key: request.key, timeMs: nowMs, amount: request.amount });
    }
    return { kind: "counted", entries };
  }

  /** Drops a counter's entries that left the window and returns its sum; an emptied counter sums to exactly 0. */
  private expire(key: string, windowMs: number, nowMs: number): number {
    const counter = onlyRow(this.sql.counter, key);
    if (counter === undefined) return 0;
    let total = numberAt(counter, 0);
    const oldest = Array.isArray(counter) ? counter[1] : null;
    if (typeof oldest !== "number") {
      if (total !== 0) this.sql.setTotal.run(0, key);
      return 0;
    }
    if (oldest + windowMs > nowMs) return total;
    const cutoff = nowMs - windowMs;
    const expired = onlyRow(this.sql.expiredSum, key, cutoff);
    this.sql.deleteExpired.run(key, cutoff);
    total -= numberAt(expired, 0);
    const stillOldest = onlyRow(this.sql.oldest, key);
    if (!Array.isArray(stillOldest) || typeof stillOldest[0] !== "number" || total < 0) total = 0;
    this.sql.setTotal.run(total, key);
    return total;
  }

  /** Removes counters that saw nothing for longer than their window, with their entries. */
  private sweep(): StoreAnswer {
    return this.transaction(() => {
      const nowMs = this.now();
      this.db
        .prepare("DELETE FROM entries WHERE key IN (SELECT key FROM counters WHERE last_ms + window_ms <= ?)")
        .run(nowMs);
      this.db.prepare("DELETE FROM counters WHERE last_ms + window_ms <= ?").run(nowMs);
      return { kind: "counted", entries: [] };
    });
  }

  /** Runs `work` in one IMMEDIATE transaction, rolled back if it throws. */
  private transaction(work: () => StoreAnswer): StoreAnswer {
    this.sql.begin.run();
    try {
      const answer = work();
      this.sql.commit.run();
      return answer;
    } catch (error) {
      if (this.db.inTransaction) this.sql.rollback.run();
      throw error;
    }
  }

  /** A store error (busy past its timeout, disk full, file removed) is an unavailable store, not a crash. */
  private guarded(work: () => StoreAnswer): StoreAnswer {
    try {
      return work();
    } catch (error) {
      return { kind: "unavailable", message: `the local limit store failed: ${(error as Error).message}` };
    }
  }
}
