import { describe, expect, it } from "vitest";
import { type Continuation, ServerContinuations } from "../../src/proxy/continuations.js";

const FIRST: Continuation = { firstId: 2, tool: "greet", argsSha256: "abc", approvedBy: null };

describe("the server's requestState as the continuation of one logical call", () => {
  it("continues the call once, for the same tool and arguments", () => {
    const table = new ServerContinuations(8);
    table.remember("state-1", FIRST);
    expect(table.take("state-1", "greet", "abc")).toEqual(FIRST);
    expect(table.take("state-1", "greet", "abc")).toBeNull();
  });

  it("treats the state on another tool or other arguments as a new call, and keeps the genuine turn", () => {
    const table = new ServerContinuations(8);
    table.remember("state-1", FIRST);
    expect(table.take("state-1", "deploy", "abc")).toBeNull();
    expect(table.take("state-1", "greet", "def")).toBeNull();
    expect(table.take("state-1", "greet", "abc")).toEqual(FIRST);
  });

  it("forgets states after fifteen minutes and beyond its bound", () => {
    const now = { value: 0 };
    const table = new ServerContinuations(2, () => now.value);
    table.remember("old", FIRST);
    now.value = 15 * 60 * 1000;
    expect(table.take("old", "greet", "abc")).toBeNull();
    for (const state of ["a", "b", "c"]) table.remember(state, FIRST);
    expect(table.take("a", "greet", "abc")).toBeNull();
    expect(table.take("c", "greet", "abc")).toEqual(FIRST);
  });
});
