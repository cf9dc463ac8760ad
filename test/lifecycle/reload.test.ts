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

describe("a storm of edits", () => {
  it("reads the file once more after the reload under way, however many edits came meanwhile", async () => {
    const target = {
      currentPolicy: ALLOW,
      setPolicy: (policy: CompiledPolicy) => (target.currentPolicy = policy),
      hiddenToolNames: () => null,
    };
    const reloadsBegun: Array<() => void> = [];
    let onChange = () => {};
    let reported = 0;
    let reportedTwice: () => void = () => {};
    startReloading(
      {
        reloadPolicy: () =>
          new Promise<ReloadedPolicy>((resolve) => {
            reloadsBegun.push(() => resolve({ policy: DENY, warnings: [] }));
          }),
        watchPolicy: (change) => {
          onChange = change;
          return () => {};
        },
        warn: (message) => {
          if (/^policy reloaded/.test(message) && ++reported === 2) reportedTwice();
        },
      },
      target,
      () => {},
    );
    const twice = new Promise<void>((resolve) => {
      reportedTwice = resolve;
    });
    onChange();
    await expect
      .poll(() => reloadsBegun.length, { timeout: 2000, message: "the first reload to begin" })
      .toBe(1);
    // The file keeps changing while the first reload reads it: one more read sees the last of these edits.
    for (let i = 0; i < 50; i++) onChange();
    reloadsBegun[0]?.();
    await expect
      .poll(() => reloadsBegun.length, { timeout: 2000, message: "the second reload to begin" })
      .toBe(2);
    reloadsBegun[1]?.();
    await twice;
    // Every edit is in force; the watcher firing again and again queues no reload behind the one waiting.
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(reloadsBegun).toHaveLength(2);
    expect(target.currentPolicy).toBe(DENY);
  });
});
