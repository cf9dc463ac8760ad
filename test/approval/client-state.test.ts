import { describe, expect, it } from "vitest";
import { ApprovalStates, isOurState } from "../../src/approval/client-state.js";

const CALL = { session: "s1", tool: "deploy", argsSha256: "abc" };

function states(nowMs = { value: 1_000 }) {
  return { store: new ApprovalStates<string>(4, () => nowMs.value), nowMs };
}

/** The state with one character of its payload or signature changed. */
function flip(state: string, at: number): string {
  const character = state[at] === "A" ? "B" : "A";
  return state.slice(0, at) + character + state.slice(at + 1);
}

describe("our approval requestState", () => {
  it("redeems once for the call it was issued for, and gives back what was held", () => {
    const { store } = states();
    const state = store.mint(CALL, 50_000, "held");
    expect(isOurState(state)).toBe(true);
    expect(store.redeem(state, CALL)).toEqual({ ok: true, held: "held" });
  });

  it("refuses a replay", () => {
    const { store } = states();
    const state = store.mint(CALL, 50_000, "held");
    store.redeem(state, CALL);
    expect(store.redeem(state, CALL)).toEqual({
      ok: false,
      reason: "the approval state on this retry was refused: it was already used (a replay)",
    });
  });

  it("refuses a state whose payload or signature was changed", () => {
    const { store } = states();
    const state = store.mint(CALL, 50_000, "held");
    const payloadAt = "policylayer.1.".length + 3;
    for (const tampered of [flip(state, payloadAt), flip(state, state.length - 3), `${state}x`]) {
      const answer = store.redeem(tampered, CALL);
      expect(answer.ok).toBe(false);
      if (!answer.ok) expect(answer.reason).toContain("signature does not match");
    }
    // The genuine state was not spent by the attempts.
    expect(store.redeem(state, CALL).ok).toBe(true);
  });

  it("refuses a state signed by another process (a forgery) and one that is not ours at all", () => {
    const other = states().store.mint(CALL, 50_000, "held");
    const { store } = states();
    const forged = store.redeem(other, CALL);
    expect(forged.ok === false && forged.reason).toContain("signature does not match");
    const garbage = store.redeem("policylayer.1.nonsense", CALL);
    expect(garbage.ok === false && garbage.reason).toContain("malformed");
  });

  it("refuses an expired state", () => {
    const { store, nowMs } = states();
    const state = store.mint(CALL, 50_000, "held");
    nowMs.value += 50_000;
    const answer = store.redeem(state, CALL);
    expect(answer.ok === false && answer.reason).toContain("expired");
  });

  it("refuses a state moved to another tool, other arguments or another session, and spends it", () => {
    const { store } = states();
    for (const [moved, why] of [
      [{ ...CALL, tool: "delete_stack" }, 'issued for tool "deploy"'],
      [{ ...CALL, argsSha256: "def" }, "issued for other arguments"],
      [{ ...CALL, session: "s2" }, "issued in another session"],
    ] as const) {
      const state = store.mint(CALL, 50_000, "held");
      const answer = store.redeem(state, moved);
      expect(answer.ok === false && answer.reason).toContain(why);
      expect(store.redeem(state, CALL).ok).toBe(false);
    }
  });

  it("keeps at most its bound of outstanding states: the oldest is dropped and then refused", () => {
    const { store } = states();
    const minted = Array.from({ length: 5 }, (_, index) => store.mint(CALL, 50_000, `held ${index}`));
    expect(store.redeem(minted[0] as string, CALL).ok).toBe(false);
    expect(store.redeem(minted[4] as string, CALL)).toEqual({ ok: true, held: "held 4" });
  });
});
