import { afterEach, describe, expect, it, vi } from "vitest";
import { DeadlineExceeded, Deadlines } from "../../src/ratelimit/deadline.js";
import { within } from "../helpers/deadline.js";

afterEach(() => {
  vi.restoreAllMocks();
});

describe("a limit store's deadline", () => {
  it("fails a command that gets no answer after its second, though the wall clock stepped back an hour meanwhile", async () => {
    const deadlines = new Deadlines(1000, "no answer within 1000 ms");
    const never = new Promise<never>(() => {});
    const waited = deadlines.within(never);
    const now = Date.now.bind(Date);
    // NTP stepping the clock back, or a virtual machine's clock set right after a pause.
    vi.spyOn(Date, "now").mockImplementation(() => now() - 3_600_000);
    await expect(within(waited, 3000, "the deadline of a command sent before the step")).rejects.toThrow(
      DeadlineExceeded,
    );
  });
});
