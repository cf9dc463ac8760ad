import type { CompiledLimit, LimitKind, LimitScope } from "../policy/types.js";

/**
 * The key of a limit's counter in a shared store: `<prefix><kind>:{<rule id>}:<scope>[:<server>]`.
 * The braces are a Redis Cluster hash tag: every key one call's script touches (a rule's rate_limit
 * and budget, each with its buckets) names the same rule, so all of them live in one slot.
 */
export function sharedCounterKey(keyPrefix: string, limit: CompiledLimit, serverName: string): string {
  const start = counterKeyStart(keyPrefix, limit);
  return limit.scope === "global" ? start : `${start}${serverName}`;
}

/** What the keys of a limit's shared counters start with: the one global key, or every server's. */
export function counterKeyStart(keyPrefix: string, limit: CompiledLimit): string {
  const base = `${ruleKeyStart(keyPrefix, limit.kind, limit.ruleId)}${limit.scope}`;
  return limit.scope === "global" ? base : `${base}:`;
}

/** What the keys of every counter of one kind of a rule start with, whatever the scope. */
export function ruleKeyStart(keyPrefix: string, kind: LimitKind, ruleId: string): string {
  return `${keyPrefix}${kind}:{${ruleId}}:`;
}

/** The key of a session-scope counter inside this process. */
export function sessionCounterKey(limit: CompiledLimit): string {
  return `${limit.kind}:${limit.ruleId}`;
}

/** A shared counter's key read back: which rule, kind and scope, and the server for server scope. */
export interface ParsedCounterKey {
  kind: LimitKind;
  ruleId: string;
  scope: LimitScope;
  server: string | null;
}

/** Reads a key written by sharedCounterKey (the rule id has no colon; the server name, last, may). */
export function parseCounterKey(keyPrefix: string, key: string): ParsedCounterKey | null {
  if (!key.startsWith(keyPrefix)) return null;
  const match = /^(rate_limit|budget):\{([^:{}]+)\}:(server|global)(?::([\s\S]*))?$/.exec(
    key.slice(keyPrefix.length),
  );
  if (match === null) return null;
  const [, kind, ruleId, scope, server] = match;
  if ((scope === "server") !== (server !== undefined)) return null;
  return {
    kind: kind as LimitKind,
    ruleId: ruleId as string,
    scope: scope as LimitScope,
    server: server ?? null,
  };
}
