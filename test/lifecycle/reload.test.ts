import { describe, expect, it } from "vitest";
import { type ReloadedPolicy, startReloading } from "../../src/lifecycle/reload.js";
import type { CompiledPolicy } from "../../src/policy/types.js";
import { policyFrom } from "../policy/helpers.js";

const ALLOW = policyFrom("version: 1\ndefault: allow\n");
const DENY = policyFrom("version: 1\ndefault: deny\n");

/** A reloader driven by hand: `edit()` is the watcher firing; each reload's outcome comes from `outcomes`. */
function reloader(outcomes: Array<() => ReloadedPolicy | string[]>) {
  const target = {
    currentPolicy: ALLOW,
    setPolicy: (policy: CompiledPolicy) => (target.currentPolicy = policy),
    hiddenToolNames: () => null,
  };
  const said: string[] = [];
  let onChange = () => {};
  let settled: () => void = () => {};
  startReloading(
    {
      reloadPolicy: async () => {
        const outcome = outcomes.shift();
        if (outcome === undefined) throw new Error("no more outcomes");
        return outcome();
      },
      watchPolicy: (change) => {
        onChange = change;
        return () => {};
      },
      warn: (message) => {
        said.push(message);
        if (/policy reloaded|stays in force/.test(message)) settled();
      },
    },
    target,
    () => said.push("hiding changed"),
  );
  const edit = async () => {
    const reported = new Promise<void>((resolve) => {
      settled = resolve;
    });
    onChange();
    await reported;
  };
  return { target, said, edit };
}

describe("reloading the policy", () => {
  it("reports a reload that throws like one that does not validate, keeps the last good policy, and reloads the next edit", async () => {
    const { target, said, edit } = reloader([
      () => {
        throw new Error("ELOOP: too many symbolic links encountered");
      },
      () => ({ policy: DENY, warnings: [] }),
    ]);
    await edit();
    expect(target.currentPolicy).toBe(ALLOW);
    expect(said).toEqual([
      "the edited policy does not validate; the last good policy stays in force:",
      "the policy could not be loaded: ELOOP: too many symbolic links encountered",
    ]);
    await edit();
    expect(target.currentPolicy).toBe(DENY);
    expect(said.at(-1)).toMatch(/^policy reloaded from test\.yaml/);
  });
});
