import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { CompiledPolicy, StateSettings } from "../policy/types.js";
import { stateDir } from "../state/paths.js";
import type { SharedStoreHandle } from "./limiter.js";
import { LocalLimitStore } from "./local-store.js";
import { RedisLimitStore, redactedUrl } from "./redis-store.js";

/** The Redis URL used when neither $POLICYLAYER_REDIS_URL nor state.url names one. */
export const DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0";

/** A shared store that must not be used as configured (a malformed URL, refused credentials): wrap does not start. */
export class LimitStoreConfigError extends Error {}

/** The local store's database file: limits.db in the state directory. */
export function localStorePath(env: NodeJS.ProcessEnv = process.env): string {
  return join(stateDir(env), "limits.db");
}

/** How a Redis URL is written, for the messages that refuse one. */
const URL_FORM =
  "write it as redis://[user:password@]host:port/db, or rediss://... for TLS, with @ : / ? # % in the user or password percent-encoded (%40 %3A %2F %3F %23 %25)";

/**
 * The Redis URL in force: $POLICYLAYER_REDIS_URL, else state.url, else the default. ioredis reads it
 * again to connect, so only a URL it reads as this check does passes (decide on one reading): a
 * scheme in lower case from the first character (it takes TLS from a case-sensitive "rediss://", and
 * fails on a leading blank), a user and password it can percent-decode (it throws URIError out of
 * the constructor), a database that is a number (it sends SELECT NaN, whose error is thrown
 * unhandled), and no ?options (they override the options set here, the timeouts among them).
 */
export function redisUrl(state: StateSettings, env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.POLICYLAYER_REDIS_URL;
  const url = fromEnv !== undefined && fromEnv !== "" ? fromEnv : (state.url ?? DEFAULT_REDIS_URL);
  const where = fromEnv ? "$POLICYLAYER_REDIS_URL" : "state.url";
  if (!/^rediss?:\/\//.test(url)) {
    // The scheme alone: what follows it may hold the password.
    const scheme = /^[^:/@]{0,12}:?/.exec(url)?.[0] ?? "";
    throw new LimitStoreConfigError(
      `${where} must start with redis:// or rediss:// (in lower case), got ${JSON.stringify(scheme)}...; ${URL_FORM}`,
    );
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new LimitStoreConfigError(`${where} is not a URL (${redactedUrl(url)}); ${URL_FORM}`);
  }
  try {
    decodeURIComponent(parsed.username);
    decodeURIComponent(parsed.password);
  } catch {
    throw new LimitStoreConfigError(
      `the user or password in ${where} (${redactedUrl(url)}) has a % that starts no %XX escape; ${URL_FORM}`,
    );
  }
  if (!/^(\/\d*)?$/.test(parsed.pathname))
    throw new LimitStoreConfigError(
      `the database in ${where} must be a number, got ${JSON.stringify(parsed.pathname.slice(1))}; ${URL_FORM}`,
    );
  if (parsed.search !== "" || parsed.hash !== "")
    throw new LimitStoreConfigError(
      `${where} takes no ?options or #fragment (they may hold a password): policylayer sets the connection's options itself; ${URL_FORM}`,
    );
  return url;
}

/** Opens the local store; an unusable file is an unreachable store, not a crash. */
function openLocal(env: NodeJS.ProcessEnv): SharedStoreHandle {
  const path = localStorePath(env);
  try {
    mkdirSync(stateDir(env), { recursive: true, mode: 0o700 });
    return { store: LocalLimitStore.open(path), unavailableBecause: "" };
  } catch (error) {
    return {
      store: null,
      unavailableBecause: `${(error as Error).message}; set POLICYLAYER_STATE_DIR to a folder you can write`,
    };
  }
}

/**
 * Opens the shared store the policy's `state:` names, without waiting for Redis (used when a
 * reload brings shared limits in). Throws LimitStoreConfigError for a URL that is no redis URL.
 */
export function openSharedStore(
  policy: CompiledPolicy,
  warn: (message: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): SharedStoreHandle {
  if (policy.state.store === "local") return openLocal(env);
  const url = redisUrl(policy.state, env);
  return { store: RedisLimitStore.open(url, policy.state.keyPrefix, warn), unavailableBecause: "" };
}

/**
 * Opens the shared store at wrap's start and waits (about a second at most) for Redis to answer.
 * Unreachable: wrap starts and says so. A malformed URL, refused credentials or a Redis that cannot
 * hold the counters (a replica, a node serving part of a cluster): LimitStoreConfigError, unless
 * on_unavailable is allow (then a warning, and limited calls pass uncounted).
 */
export async function openSharedStoreAtStart(
  policy: CompiledPolicy,
  warn: (message: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<SharedStoreHandle> {
  const allow = policy.state.onUnavailable === "allow";
  const consequence = allow
    ? "calls limited by server or global scope pass uncounted until it can (state.on_unavailable: allow)"
    : "calls limited by server or global scope are denied until it can (state.on_unavailable: deny)";
  let handle: SharedStoreHandle;
  try {
    handle = openSharedStore(policy, warn, env);
  } catch (error) {
    if (!(error instanceof LimitStoreConfigError) || !allow) throw error;
    warn(`the limit store cannot be used: ${error.message}; ${consequence}`);
    return { store: null, unavailableBecause: error.message };
  }
  if (handle.store === null) {
    warn(`the limit store cannot be used: ${handle.unavailableBecause}; ${consequence}`);
    return handle;
  }
  if (!(handle.store instanceof RedisLimitStore)) return handle;
  const problem = await handle.store.connected;
  if (problem === null) return handle;
  if (problem.fix !== null && !allow) {
    await handle.store.close();
    throw new LimitStoreConfigError(`${problem.message}; ${problem.fix}`);
  }
  warn(`the limit store cannot be reached: ${problem.message}; ${consequence}`);
  return handle;
}
