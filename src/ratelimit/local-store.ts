import { chmodSync, closeSync, constants, lstatSync, openSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import type LibsqlDatabase from "libsql";
import { errorCode, otherNamesReason, untrustedReason } from "../approval/files.js";
import { assertNoOtherWriter } from "../approval/folder-trust.js";
import { bucketTimeMs, fitsWithin, millisecondsUntilFits, RELATIVE_TOLERANCE } from "./arithmetic.js";
import { parseCounterKey } from "./keys.js";
import type { CountedEntry, CounterRequest, CounterUsage, SharedLimitStore, StoreAnswer } from "./store.js";

type Database = LibsqlDatabase.Database;
type Statement = LibsqlDatabase.Statement;

/** How long one operation waits for another process's transaction before the store counts as unavailable. */
const BUSY_TIMEOUT_MS = 1000;
/** Counters idle past their window are swept once in this many reservations (and when the store opens). */
const SWEEP_EVERY = 4096;
/** The schema's version (PRAGMA user_version); a store of another version is emptied and made anew. */
const SCHEMA_VERSION = 3;
/** The `t_ms` of a counter's sum row: after every bucket, so a new bucket and the sum share a page. */
const SUM_ROW = Number.MAX_SAFE_INTEGER;
/**
 * SQL for "key starts with the text bound twice": its length taken by SQLite, which counts a
 * character beyond the BMP as one where JavaScript's length counts two.
 */
const STARTS_WITH = "substr(key, 1, length(?)) = ?";
/** The error a reservation that does not fit aborts with (then the slow path says by how much). */
const OVER = "policylayer: over the limit";

/** SQL for "NEW.amount on top of `used` goes over NEW.max": fitsWithin's test, negated. */
function overMax(used: string): string {
  const whole = (value: string) => `${value} = CAST(${value} AS INTEGER)`;
  return (
    `(${used} + NEW.amount > NEW.max AND (${whole(used)} AND ${whole("NEW.amount")} AND ${whole("NEW.max")}` +
    ` OR ${used} + NEW.amount > NEW.max + NEW.max * ${RELATIVE_TOLERANCE}))`
  );
}

/**
 * One table: per counter key, a row per time bucket (`t_ms`, `amount`) and one sum row (`t_ms` =
 * SUM_ROW, `amount` = the sum of the buckets, `window_ms`). Triggers on views do the work, so a
 * reservation is one statement (one write transaction): `expirations` drops the buckets that left
 * the window, `reservations` adds an amount or aborts with OVER, `releases` gives one back. An
 * emptied counter sums to exactly 0, whatever floating point left over. What a reservation costs
 * is mostly statements, not rows: the expiry runs only when a bucket left the window (the trigger's
 * WHEN), and the limit check is the sum row's own upsert.
 */
const SCHEMA = `
DROP VIEW IF EXISTS releases;
DROP VIEW IF EXISTS reservations;
DROP VIEW IF EXISTS expirations;
DROP TABLE IF EXISTS counts;
DROP TABLE IF EXISTS entries;
DROP TABLE IF EXISTS counters;
CREATE TABLE counts (
  key TEXT NOT NULL,
  t_ms INTEGER NOT NULL,
  amount REAL NOT NULL,
  window_ms INTEGER,
  PRIMARY KEY (key, t_ms)
) WITHOUT ROWID;
CREATE VIEW expirations (key, now_ms, window_ms) AS SELECT NULL, NULL, NULL WHERE 0;
CREATE TRIGGER expire INSTEAD OF INSERT ON expirations
  WHEN EXISTS (SELECT 1 FROM counts WHERE key = NEW.key AND t_ms <= NEW.now_ms - NEW.window_ms) BEGIN
  UPDATE counts SET amount = CASE
      WHEN EXISTS (SELECT 1 FROM counts WHERE key = NEW.key AND t_ms > NEW.now_ms - NEW.window_ms AND t_ms < ${SUM_ROW})
      THEN max(0, amount - (SELECT total(amount) FROM counts WHERE key = NEW.key AND t_ms <= NEW.now_ms - NEW.window_ms))
      ELSE 0 END
    WHERE key = NEW.key AND t_ms = ${SUM_ROW};
  DELETE FROM counts WHERE key = NEW.key AND t_ms <= NEW.now_ms - NEW.window_ms;
END;
CREATE VIEW reservations (key, t_ms, now_ms, window_ms, max, amount) AS SELECT NULL, NULL, NULL, NULL, NULL, NULL WHERE 0;
CREATE TRIGGER reserve INSTEAD OF INSERT ON reservations BEGIN
  INSERT INTO expirations VALUES (NEW.key, NEW.now_ms, NEW.window_ms);
  INSERT INTO counts (key, t_ms, amount, window_ms)
    VALUES (NEW.key, ${SUM_ROW}, CASE WHEN ${overMax("0")} THEN RAISE(ABORT, '${OVER}') ELSE NEW.amount END, NEW.window_ms)
    ON CONFLICT (key, t_ms) DO UPDATE SET
      amount = CASE WHEN ${overMax("amount")} THEN RAISE(ABORT, '${OVER}') ELSE amount + excluded.amount END,
      window_ms = excluded.window_ms;
  INSERT INTO counts (key, t_ms, amount) VALUES (NEW.key, NEW.t_ms, NEW.amount)
    ON CONFLICT (key, t_ms) DO UPDATE SET amount = amount + excluded.amount;
END;
CREATE VIEW releases (key, t_ms, amount) AS SELECT NULL, NULL, NULL WHERE 0;
CREATE TRIGGER release INSTEAD OF INSERT ON releases BEGIN
  UPDATE counts SET amount = max(0, amount - min(NEW.amount,
      coalesce((SELECT amount FROM counts WHERE key = NEW.key AND t_ms = NEW.t_ms), 0)))
    WHERE key = NEW.key AND t_ms = ${SUM_ROW};
  UPDATE counts SET amount = max(0, amount - NEW.amount) WHERE key = NEW.key AND t_ms = NEW.t_ms;
  DELETE FROM counts WHERE key = NEW.key AND t_ms = NEW.t_ms AND amount <= 0;
  UPDATE counts SET amount = 0
    WHERE key = NEW.key AND t_ms = ${SUM_ROW}
      AND NOT EXISTS (SELECT 1 FROM counts WHERE key = NEW.key AND t_ms < ${SUM_ROW});
END;
PRAGMA user_version = ${SCHEMA_VERSION};
`;

/** A number from a row read in raw mode; SQLite gave us something else only if the file was tampered with. */
function numberAt(row: unknown, index: number): number {
  const value = Array.isArray(row) ? row[index] : undefined;
  if (typeof value !== "number") throw new Error(`limit store: unexpected value ${String(value)} in a row`);
  return value;
}

/** The placeholders of `rows` rows of `columns` values each: `(?, ?), (?, ?)`. */
function valueRows(rows: number, columns: number): string {
  const row = `(${Array.from({ length: columns }, () => "?").join(", ")})`;
  return Array.from({ length: rows }, () => row).join(", ");
}

/** The prepared statements of one connection. */
class Statements {
  readonly expire: Statement;
  readonly sum: Statement;
  readonly buckets: Statement;
  /** The time of a counter's oldest bucket that holds more than 0 (a budget counts calls of 0 too). */
  readonly oldestAmount: Statement;
  readonly begin: Statement;
  readonly commit: Statement;
  readonly rollback: Statement;
  /** The reservation statement for 1, 2, ... counters at once. */
  private readonly reserves: Statement[] = [];
  private readonly releases: Statement[] = [];

  constructor(private readonly db: Database) {
    this.expire = db.prepare("INSERT INTO expirations VALUES (?, ?, ?)");
    this.sum = db.prepare(`SELECT amount FROM counts WHERE key = ? AND t_ms = ${SUM_ROW}`).raw(true);
    this.buckets = db
      .prepare(
        `SELECT t_ms, amount FROM counts WHERE key = ? AND t_ms > ? AND t_ms < ${SUM_ROW} ORDER BY t_ms LIMIT ?`,
      )
      .raw(true);
    this.oldestAmount = db
      .prepare(`SELECT min(t_ms) FROM counts WHERE key = ? AND t_ms < ${SUM_ROW} AND amount > 0`)
      .raw(true);
    this.begin = db.prepare("BEGIN IMMEDIATE");
    this.commit = db.prepare("COMMIT");
    this.rollback = db.prepare("ROLLBACK");
  }

  /** One statement that reserves `count` counters: all of them, or (aborting with OVER) none. */
  reserve(count: number): Statement {
    this.reserves[count] ??= this.db.prepare(`INSERT INTO reservations VALUES ${valueRows(count, 6)}`);
    return this.reserves[count];
  }

  /** One statement that gives back `count` counted entries. */
  release(count: number): Statement {
    this.releases[count] ??= this.db.prepare(`INSERT INTO releases VALUES ${valueRows(count, 3)}`);
    return this.releases[count];
  }
}

/**
 * Checks the store's folder and files before SQLite opens them, since it follows links and takes
 * any file: throws when another user could write the folder, or when the database, its -wal or its
 * -shm file is a link, not a regular file, not yours, or writable by others (whoever could write
 * them could reset or fill the counts). Makes the database 0600 (SQLite gives its -wal and -shm
 * files the database's mode), and tightens one of yours that is wider.
 */
function checkStoreFiles(path: string): void {
  assertNoOtherWriter(dirname(path), "the limit store", "reset or fill the counts");
  try {
    closeSync(openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600));
  } catch (error) {
    if (errorCode(error) !== "EEXIST") throw error;
  }
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    let stats: ReturnType<typeof lstatSync>;
    try {
      stats = lstatSync(file);
    } catch (error) {
      if (errorCode(error) === "ENOENT") continue;
      throw error;
    }
    const why = untrustedReason(stats) ?? otherNamesReason(stats);
    if (why !== null) throw new Error(`${file} ${why}; remove it and a new store is made`);
    if (process.getuid !== undefined && (stats.mode & 0o077) !== 0) chmodSync(file, 0o600);
  }
}

/** Whether the connection's database has this version's schema. */
function hasSchema(db: Database): boolean {
  // (libSQL's pluck and pragma's simple option still answer objects: the raw row it is.)
  const row = db.prepare("PRAGMA user_version").raw(true).get();
  return Array.isArray(row) && row[0] === SCHEMA_VERSION;
}

/**
 * The embedded store: one SQLite database (libSQL, its synchronous API) in the state directory,
 * shared by every wrap of this user on this machine. A reservation is one statement, one write
 * transaction: concurrent wraps serialize on SQLite's write lock, and a wrap killed mid-way leaves
 * nothing half-written. WAL with synchronous=OFF: a commit has been written to the file (into the
 * operating system) before the call is forwarded, so it survives the death of the wrap, SIGKILL
 * included; only a crash of the machine itself could lose the last commits. No fsync is paid on
 * any call (with synchronous=NORMAL, a checkpoint every thousand or so commits fsyncs on the
 * caller's path, up to a hundred milliseconds here).
 */
export class LocalLimitStore implements SharedLimitStore {
  readonly name = "local";
  private reservationsSinceSweep = 0;
  /** While another process's lock keeps the store unusable: why (operations then do not wait for it). */
  private lockedMessage: string | null = null;

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
    try {
      checkStoreFiles(path);
    } catch (error) {
      throw new Error(`the limit store ${path} cannot be opened: ${(error as Error).message}`);
    }
    // Wraps started together race to create the file and switch it to WAL, which does not wait
    // on SQLite's busy handler: such a first open is tried again for up to BUSY_TIMEOUT_MS.
    const deadline = performance.now() + BUSY_TIMEOUT_MS;
    for (;;) {
      let db: Database | undefined;
      try {
        db = new Libsql(path);
        db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
        db.pragma("journal_mode = WAL");
        db.pragma("synchronous = OFF");
        if (!hasSchema(db)) {
          db.exec("BEGIN IMMEDIATE");
          // Another wrap may have made it while this one waited for the lock.
          if (hasSchema(db)) db.exec("COMMIT");
          else db.exec(`${SCHEMA}COMMIT;`);
        }
        const store = new LocalLimitStore(db, new Statements(db), now);
        store.sweep();
        return store;
      } catch (error) {
        if (db?.inTransaction) db.exec("ROLLBACK");
        db?.close();
        const message = (error as Error).message;
        if (/locked|busy/i.test(message) && performance.now() < deadline) {
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
    return this.guarded(() => {
      const nowMs = this.now();
      try {
        return this.count(requests, nowMs);
      } catch (error) {
        if ((error as Error).message !== OVER) throw error;
      }
      // Over a limit (or it was, a moment ago): which one, by how much, and counted if it fits now.
      return this.transaction(() => this.overAnswer(requests, nowMs) ?? this.count(requests, nowMs));
    });
  }

  check(requests: readonly CounterRequest[]): StoreAnswer {
    return this.guarded(() =>
      this.transaction(() => this.overAnswer(requests, this.now()) ?? { kind: "counted", entries: [] }),
    );
  }

  release(entries: readonly CountedEntry[]): void {
    if (entries.length === 0) return;
    this.guarded(() => {
      this.sql
        .release(entries.length)
        .run(entries.flatMap((entry) => [entry.key, entry.timeMs, entry.amount]));
      return { kind: "counted", entries: [] };
    });
  }

  async usage(keyPrefix: string): Promise<CounterUsage[]> {
    const nowMs = this.now();
    const usages: CounterUsage[] = [];
    this.transaction(() => {
      const rows = this.db
        .prepare(`SELECT key, window_ms FROM counts WHERE t_ms = ${SUM_ROW} AND ${STARTS_WITH} ORDER BY key`)
        .raw(true)
        .all(keyPrefix, keyPrefix);
      for (const row of rows) {
        const key = Array.isArray(row) ? String(row[0]) : "";
        const windowMs = numberAt(row, 1);
        const used = this.expiredSum(key, windowMs, nowMs);
        // An amount of 0 frees nothing when it leaves: the next unit frees with the oldest above it.
        const oldest = this.sql.oldestAmount.get(key);
        const oldestMs = Array.isArray(oldest) && typeof oldest[0] === "number" ? oldest[0] : null;
        const freesInMs = oldestMs === null ? 0 : Math.max(0, oldestMs + windowMs - nowMs);
        if (used > 0 || freesInMs > 0) usages.push({ key, used, freesInMs });
      }
      return { kind: "counted", entries: [] };
    });
    return usages;
  }

  async reset(keyPrefix: string, keyStart: string = keyPrefix): Promise<number> {
    let removed = 0;
    this.transaction(() => {
      const keys = this.db
        .prepare(`SELECT key FROM counts WHERE t_ms = ${SUM_ROW} AND ${STARTS_WITH}`)
        .raw(true)
        .all(keyStart, keyStart)
        .map((row) => (Array.isArray(row) ? String(row[0]) : ""))
        .filter((key) => parseCounterKey(keyPrefix, key) !== null);
      const remove = this.db.prepare("DELETE FROM counts WHERE key = ?");
      for (const key of keys) remove.run(key);
      removed = keys.length;
      return { kind: "counted", entries: [] };
    });
    return removed;
  }

  async close(): Promise<void> {
    this.db.close();
  }

  /** Counts every request in one statement, or throws OVER (counting none) when one does not fit. */
  private count(requests: readonly CounterRequest[], nowMs: number): StoreAnswer {
    const params: (string | number)[] = [];
    const entries: CountedEntry[] = [];
    for (const request of requests) {
      const timeMs = bucketTimeMs(nowMs, request.windowMs);
      params.push(request.key, timeMs, nowMs, request.windowMs, request.max, request.amount);
      entries.push({ key: request.key, timeMs, amount: request.amount });
    }
    // One array, not spread: libSQL flattens spread parameters, a cost on every call. (run, not
    // get, though get skips building run's result object: libSQL leaves a statement whose get
    // failed unreset, and its next get fails again with the same error.)
    this.sql.reserve(requests.length).run(params);
    return { kind: "counted", entries };
  }

  /** Inside a transaction: the first request that does not fit, with its sum and when it would, else null. */
  private overAnswer(requests: readonly CounterRequest[], nowMs: number): StoreAnswer | null {
    for (const [index, request] of requests.entries()) {
      const used = this.expiredSum(request.key, request.windowMs, nowMs);
      if (fitsWithin(used, request.amount, request.max)) continue;
      const retryAfterMs = millisecondsUntilFits(
        used,
        request.amount,
        request.max,
        request.windowMs,
        nowMs,
        this.bucketsOf(request.key),
      );
      return { kind: "over", index, used, retryAfterMs };
    }
    return null;
  }

  /** A counter's buckets, oldest first, read a page at a time (pages grow: most walks stop early). */
  private *bucketsOf(key: string): Generator<[number, number]> {
    let afterMs = Number.MIN_SAFE_INTEGER;
    for (let page = 32; ; page = Math.min(page * 8, 8192)) {
      const rows = this.sql.buckets.all(key, afterMs, page);
      for (const row of rows) yield [numberAt(row, 0), numberAt(row, 1)];
      if (rows.length < page) return;
      afterMs = numberAt(rows[rows.length - 1], 0);
    }
  }

  /** Drops a counter's buckets that left the window and returns its sum. */
  private expiredSum(key: string, windowMs: number, nowMs: number): number {
    this.sql.expire.run(key, nowMs, windowMs);
    const row = this.sql.sum.get(key);
    return row === undefined ? 0 : numberAt(row, 0);
  }

  /** Removes counters that saw nothing for longer than their window, with their buckets. */
  private sweep(): StoreAnswer {
    return this.transaction(() => {
      this.db
        .prepare(
          `DELETE FROM counts WHERE key IN (
             SELECT key FROM counts AS s WHERE t_ms = ${SUM_ROW} AND coalesce(
               (SELECT max(t_ms) FROM counts WHERE key = s.key AND t_ms < ${SUM_ROW}), 0) + window_ms <= ?)`,
        )
        .run(this.now());
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

  /**
   * A store error (busy past its timeout, disk full, file removed) is an unavailable store, not a
   * crash. Once a wait for another process's lock has run out, the store is tried without waiting
   * until a try succeeds: each wait blocks the whole session for BUSY_TIMEOUT_MS, and calls in a row
   * would stall every other message behind them; counting resumes with the first call after the
   * lock is let go.
   */
  private guarded(work: () => StoreAnswer): StoreAnswer {
    try {
      const answer = work();
      if (this.lockedMessage !== null) this.waitForLocks(true);
      return answer;
    } catch (error) {
      const message = `the local limit store failed: ${(error as Error).message}`;
      if (!/locked|busy/i.test(message)) return { kind: "unavailable", message };
      if (this.lockedMessage === null) this.waitForLocks(false);
      this.lockedMessage = `${message} (another process holds its lock; calls do not wait for it until it lets go)`;
      return { kind: "unavailable", message: this.lockedMessage };
    }
  }

  /** Whether an operation waits (up to BUSY_TIMEOUT_MS) for another process's lock, or fails at once. */
  private waitForLocks(wait: boolean): void {
    this.db.exec(`PRAGMA busy_timeout = ${wait ? BUSY_TIMEOUT_MS : 0}`);
    if (wait) this.lockedMessage = null;
  }
}
