// The client's requests in flight, and what its cancellations do to them.
import { afterEach, describe, expect, it, vi } from "vitest";
import { CANCELLED_ANSWER_WAIT_MS, ClientRequests } from "../../src/proxy/client-requests.js";

afterEach(() => {
  vi.useRealTimers();
});

describe("ClientRequests.cancel", () => {
  it("waits once for the answer to a forwarded call however often the client cancels it", () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const requests = new ClientRequests();
    const finish = vi.fn();
    const reachedServer = vi.fn();
    requests.track({ id: 1, method: "tools/call", forwarded: { finish, reachedServer } });
    for (let cancellation = 0; cancellation < 1000; cancellation++) expect(requests.cancel(1)).toBe(true);
    expect(vi.getTimerCount()).toBe(1);
    expect(reachedServer).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(CANCELLED_ANSWER_WAIT_MS);
    expect(finish).toHaveBeenCalledTimes(1);
    expect(finish).toHaveBeenCalledWith("cancelled");
    expect(requests.has(1)).toBe(false);
  });

  it("withdraws a call waiting for a person once, and keeps every cancellation of it from the server", () => {
    const requests = new ClientRequests();
    const withdraw = vi.fn();
    requests.track({
      id: "waiting",
      method: "tools/call",
      approval: { verdict: new Promise(() => {}), withdraw },
    });
    expect(requests.cancel("waiting")).toBe(false);
    expect(requests.cancel("waiting")).toBe(false);
    expect(withdraw).toHaveBeenCalledTimes(1);
  });
});
