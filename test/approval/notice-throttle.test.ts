import { afterEach, describe, expect, it, vi } from "vitest";
import { NotificationThrottle } from "../../src/approval/notice-throttle.js";

afterEach(() => vi.useRealTimers());

describe("desktop notifications under a flood of approval requests", () => {
  it("shows the first at once, then one summary per interval that counts the rest", async () => {
    vi.useFakeTimers();
    const shown: string[] = [];
    const throttle = new NotificationThrottle((title) => shown.push(title), 5000);
    for (let n = 0; n < 500; n += 1) throttle.notify(`call ${n}`, "body");
    expect(shown).toEqual(["call 0"]);
    await vi.advanceTimersByTimeAsync(5000);
    expect(shown).toEqual(["call 0", "policylayer: 499 more approval requests"]);
    throttle.notify("call 500", "body");
    await vi.advanceTimersByTimeAsync(4999);
    expect(shown).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(shown.at(-1)).toBe("policylayer: 1 more approval request");
    // A quiet interval later, a question is shown by itself again.
    await vi.advanceTimersByTimeAsync(5000);
    throttle.notify("call 501", "body");
    expect(shown.at(-1)).toBe("call 501");
  });
});
