import type { CompiledPolicy } from "../policy/types.js";

/** Where a reloaded policy goes in force: the gate. */
export interface ReloadTarget {
  readonly currentPolicy: CompiledPolicy;
  setPolicy(policy: CompiledPolicy): void;
  /** The tools the server has listed that `policy` hides; null while no list has been seen. */
  hiddenToolNames(policy: CompiledPolicy): ReadonlySet<string> | null;
}

/** A policy that validated, and its warnings as FILE:LINE:COL: warning: lines. */
export interface ReloadedPolicy {
  policy: CompiledPolicy;
  warnings: string[];
}

export interface ReloadOptions {
  /** Reloads the policy; returns the new one with its warnings, or the errors that kept the old one in force. */
  reloadPolicy: (() => Promise<ReloadedPolicy | string[]>) | null;
  watchPolicy: ((onChange: () => void) => () => void) | null;
  warn: (message: string) => void;
}

/**
 * What decides which tools are hidden: the hiding rules (by content), the `classify:` overrides
 * and whether the mode enforces them.
 */
function hidingKey(policy: CompiledPolicy): string {
  const hiding = policy.rules.filter((rule) => rule.hide).map((rule) => rule.fingerprint);
  const overrides = [...policy.categoryOverrides].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `${policy.mode}:${hiding.join(",")}:${JSON.stringify(overrides)}`;
}

/**
 * Whether the client's copy of tools/list is stale after `after` replaces `before`: a listed tool
 * is hidden or shown now. Before any list was seen, whether what decides hiding changed.
 */
function hidingDiffers(target: ReloadTarget, before: CompiledPolicy, after: CompiledPolicy): boolean {
  const hiddenBefore = target.hiddenToolNames(before);
  const hiddenAfter = target.hiddenToolNames(after);
  if (hiddenBefore === null || hiddenAfter === null) return hidingKey(before) !== hidingKey(after);
  return hiddenBefore.size !== hiddenAfter.size || [...hiddenBefore].some((name) => !hiddenAfter.has(name));
}

/**
 * Puts every edit of the policy file that validates in force, one after another. One that does not
 * validate, or whose loading throws, is reported and the last good policy stays; the next edit is
 * loaded all the same. Changes while a reload waits to begin are read by it: a storm of them costs
 * two reloads, not one each. `hidingChanged` is called when the reload changed which tools are hidden.
 * Returns what stops watching.
 */
export function startReloading(
  options: ReloadOptions,
  target: ReloadTarget,
  hidingChanged: () => void,
): () => void {
  const { reloadPolicy, watchPolicy, warn } = options;
  if (!reloadPolicy || !watchPolicy) return () => {};
  const refused = (errors: readonly string[]) => {
    warn("the edited policy does not validate; the last good policy stays in force:");
    for (const error of errors) warn(error);
  };
  const reloadOnce = async () => {
    let result: ReloadedPolicy | string[];
    try {
      result = await reloadPolicy();
    } catch (error) {
      result = [`the policy could not be loaded: ${error instanceof Error ? error.message : String(error)}`];
    }
    if (Array.isArray(result)) return refused(result);
    const { policy, warnings } = result;
    const before = target.currentPolicy;
    target.setPolicy(policy);
    warn(`policy reloaded from ${policy.source} (${policy.rules.length} rules, ${policy.mode} mode)`);
    for (const warning of warnings) warn(warning);
    if (hidingDiffers(target, before, policy)) hidingChanged();
  };
  let reloading = Promise.resolve();
  // A reload queued and not yet begun reads the file as it is then: further changes need no other.
  let queued = false;
  return watchPolicy(() => {
    if (queued) return;
    queued = true;
    // Whatever one reload does, the chain goes on: the next edit is always loaded.
    const next = () => {
      queued = false;
      return reloadOnce();
    };
    reloading = reloading.then(next).catch((error: unknown) => {
      warn(
        `reloading the policy failed (${error instanceof Error ? error.message : String(error)}); the policy in force before stays`,
      );
    });
  });
}
