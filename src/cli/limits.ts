import { terminalLine, terminalSafeJson, visibleField, visibleToolName } from "../display/visible.js";
import type { CompiledLimit, CompiledPolicy, CompiledRule } from "../policy/types.js";
import { amountText, RELATIVE_TOLERANCE } from "../ratelimit/arithmetic.js";
import { counterKeyStart, parseCounterKey, ruleKeyStart } from "../ratelimit/keys.js";
import type { SharedStoreHandle } from "../ratelimit/limiter.js";
import { LimitStoreConfigError, openSharedStore } from "../ratelimit/open-store.js";
import { RedisLimitStore } from "../ratelimit/redis-store.js";
import type { SharedLimitStore } from "../ratelimit/store.js";
import { choosePolicy, warn } from "./common.js";
import { confirmOnTerminal } from "./confirm.js";

/** One row of `policylayer limits --json`: a limit and scope the store has counts for. */
export interface LimitRow {
  id: string;
  tool: string | null;
  kind: CompiledLimit["kind"];
  scope: CompiledLimit["scope"];
  /** The server of a server-scope count; null for global. */
  server: string | null;
  max: number;
  /** The count or sum in the window now, reservations of calls in flight included. */
  used: number;
  remaining: number;
  window_seconds: number;
  /** Seconds until the oldest counted unit leaves the window; 0 when nothing is counted. */
  frees_in_seconds: number;
}

function toolOf(rule: CompiledRule): string | null {
  return rule.toolPatterns === null ? null : rule.toolPatterns.join(", ");
}

/** The shared store the policy names, or null after saying why it cannot be used. */
async function openStore(policy: CompiledPolicy): Promise<SharedLimitStore | null> {
  let handle: SharedStoreHandle;
  try {
    handle = openSharedStore(policy, () => {});
  } catch (error) {
    if (!(error instanceof LimitStoreConfigError)) throw error;
    warn(error.message);
    return null;
  }
  const { store } = handle;
  if (store === null) {
    warn(`the limit store cannot be used: ${handle.unavailableBecause}`);
    return null;
  }
  const problem = store instanceof RedisLimitStore ? await store.connected : null;
  if (problem !== null) {
    warn(`the limit store cannot be reached: ${problem.message}`);
    await store.close();
    return null;
  }
  return store;
}

/**
 * Seconds until the next unit frees up, at most the window: a unit is counted at its time bucket,
 * rounded up (up to 1/60,000 of the window after the call), so the store may see it leave that
 * much past a window from now; the call itself leaves within the window.
 */
function freesInSeconds(freesInMs: number, windowSeconds: number): number {
  return Math.min(windowSeconds, Math.ceil(freesInMs / 1000));
}

/**
 * What a counter holds, with the float noise that fractional amounts given back leave behind
 * (0.1 + 0.2 - 0.2 - 0.1 is 3e-17) read as the nothing it is: a fraction within the tolerance the
 * limit itself allows over max (RELATIVE_TOLERANCE).
 */
function usedOf(used: number, max: number): number {
  return Number.isInteger(used) || used > max * RELATIVE_TOLERANCE ? used : 0;
}

/** The policy's shared limits with what the store counts for them now. */
export async function limitRows(policy: CompiledPolicy, store: SharedLimitStore): Promise<LimitRow[]> {
  const prefix = policy.state.keyPrefix;
  const rows: LimitRow[] = [];
  for (const rule of policy.rules) {
    for (const limit of rule.limits) {
      if (limit.scope === "session") continue;
      for (const usage of await store.usage(counterKeyStart(prefix, limit))) {
        const parsed = parseCounterKey(prefix, usage.key);
        const used = usedOf(usage.used, limit.max);
        if (parsed === null || parsed.scope !== limit.scope || used === 0) continue;
        rows.push({
          id: rule.id,
          tool: toolOf(rule),
          kind: limit.kind,
          scope: limit.scope,
          server: parsed.server,
          max: limit.max,
          used,
          remaining: Math.max(0, limit.max - used),
          window_seconds: limit.windowSeconds,
          frees_in_seconds: freesInSeconds(usage.freesInMs, limit.windowSeconds),
        });
      }
    }
  }
  return rows;
}

/** Longest server label in a row before it is cut with a marker. */
const SERVER_LABEL_CHARS = 200;

/** `policylayer limits`: every shared limit of the policy and scope the store has counts for. */
export async function limitsCommand(flags: { policy?: string; json?: boolean }): Promise<number> {
  const policy = await choosePolicy(flags.policy);
  if (policy === null) return 1;
  const limited = policy.rules.filter((rule) => rule.limits.length > 0);
  const sessionOnly = limited.filter((rule) => rule.limits.every((limit) => limit.scope === "session"));
  if (limited.length === sessionOnly.length) {
    if (flags.json) process.stdout.write("[]\n");
    else
      process.stdout.write(
        limited.length === 0
          ? `${policy.source} has no rate_limit or budget.\n`
          : `${policy.source} limits only session scope: those counts live inside each wrap process.\n`,
      );
    return 0;
  }
  const store = await openStore(policy);
  if (store === null) return 1;
  try {
    const rows = await limitRows(policy, store);
    if (flags.json) {
      process.stdout.write(`${terminalSafeJson(JSON.stringify(rows, null, 2))}\n`);
      return 0;
    }
    if (rows.length === 0)
      process.stdout.write(`No counts in the ${store.name} limit store for ${policy.source}.\n`);
    for (const row of rows) {
      // The server's label is read back from the store's key, which any client of the store can write.
      const server = row.server === null ? "" : ` server ${visibleField(row.server, SERVER_LABEL_CHARS)}`;
      const frees = row.used > 0 ? `, the next unit frees up in ${row.frees_in_seconds} s` : "";
      const line = `${row.id} (${row.kind}, ${row.scope}${server}, tool ${
        row.tool === null
          ? "any"
          : row.tool
              .split(", ")
              .map((name) => visibleToolName(name))
              .join(", ")
      }): ${amountText(row.used, row.max)} of ${amountText(row.max)} used in ${row.window_seconds} s, ${amountText(row.remaining, row.max)} left${frees}`;
      process.stdout.write(`${terminalLine(line)}\n`);
    }
    for (const rule of sessionOnly)
      process.stdout.write(`${rule.id}: session scope only, counted inside each wrap process (not shown).\n`);
    return 0;
  } finally {
    await store.close();
  }
}

/** `policylayer limits reset [ID]`: clears one rule's shared counts, or every count under the policy's key_prefix. */
export async function limitsResetCommand(
  id: string | undefined,
  flags: { policy?: string; yes?: boolean },
): Promise<number> {
  const policy = await choosePolicy(flags.policy);
  if (policy === null) return 1;
  const prefix = policy.state.keyPrefix;
  const what =
    id === undefined
      ? `every count under ${JSON.stringify(prefix)}`
      : `the counts of rule ${JSON.stringify(id)}`;
  if (id !== undefined && !policy.rules.some((rule) => rule.id === id && rule.limits.length > 0)) {
    const known = policy.rules.filter((rule) => rule.limits.length > 0).map((rule) => rule.id);
    warn(
      `${policy.source} has no limited rule with id ${JSON.stringify(id)}; its limited rules are ${known.length > 0 ? known.join(", ") : "none"}`,
    );
    return 1;
  }
  if (!flags.yes) {
    if (!process.stdin.isTTY) {
      warn(`limits reset clears ${what}; without a terminal to ask on, pass --yes`);
      return 2;
    }
    if (!(await confirmOnTerminal(`Clear ${what} in the ${policy.state.store} limit store? [y/N] `))) {
      warn("nothing was cleared");
      return 1;
    }
  }
  const store = await openStore(policy);
  if (store === null) return 1;
  try {
    let removed = 0;
    if (id === undefined) removed = await store.reset(prefix);
    else
      for (const kind of ["rate_limit", "budget"] as const)
        removed += await store.reset(prefix, ruleKeyStart(prefix, kind, id));
    process.stdout.write(
      `Cleared ${removed} counter${removed === 1 ? "" : "s"} (${what}). Session counts inside running wraps are not affected.\n`,
    );
    return 0;
  } finally {
    await store.close();
  }
}
