import type { CompiledPolicy } from "../policy/types.js";

/** Where a reloaded policy goes in force: the gate. */
export interface ReloadTarget {
  readonly currentPolicy: CompiledPolicy;
  setPolicy(policy: CompiledPolicy): void;
}

export interface ReloadOptions {
  /** Reloads the policy; returns the new one, or the errors that kept the old one in force. */
  reloadPolicy: (() => Promise<CompiledPolicy | string[]>) | null;
  watchPolicy: ((onChange: () => void) => () => void) | null;
  warn: (message: string) => void;
}

/** What decides which tools are hidden: the hiding rules (by content) and whether the mode enforces them. */
function hidingKey(policy: CompiledPolicy): string {
  const hiding = policy.rules.filter((rule) => rule.hide).map((rule) => rule.fingerprint);
  return `${policy.mode}:${hiding.join(",")}`;
}

/**
 * Puts every edit of the policy file that validates in force, one after another. One that does not
 * validate, or whose loading throws, is reported and the last good policy stays; the next edit is
 * loaded all the same. `hidingChanged` is called when the reload changed which tools are hidden.
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
    let result: CompiledPolicy | string[];
    try {
      result = await reloadPolicy();
    } catch (error) {
      result = [`the policy could not be loaded: ${error instanceof Error ? error.message : String(error)}`];
    }
    if (Array.isArray(result)) return refused(result);
    const hidingBefore = hidingKey(target.currentPolicy);
    target.setPolicy(result);
    warn(`policy reloaded from ${result.source} (${result.rules.length} rules, ${result.mode} mode)`);
    if (hidingKey(result) !== hidingBefore) hidingChanged();
  };
  let reloading = Promise.resolve();
  return watchPolicy(() => {
    // Whatever one reload does, the chain goes on: the next edit is always loaded.
    reloading = reloading.then(reloadOnce).catch((error: unknown) => {
      warn(
        `reloading the policy failed (${error instanceof Error ? error.message : String(error)}); the policy in force before stays`,
      );
    });
  });
}
