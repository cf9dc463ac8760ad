// The approval coordinator: its own progress while a call waits for a person, and the session's end.
import { afterEach, describe, expect, it, vi } from "vitest";
import { createApprovalCoordinator } from "../../src/approval/approver.js";
import type { ApprovalRequest } from "../../src/approval/request.js";

afterEach(() => vi.useRealTimers());

/** A require_approval call of delete_stack that carries progress token 7. */
function question(timeoutSeconds: number): ApprovalRequest {
  return {
    requestId: 1,
    call: { name: "delete_stack", arguments: {} },
    classification: { category: "destructive", risk: "critical", signals: [] },
    decision: { action: "require_approval", rule: null, reason: "deleting", hidden: false },
    timeoutSeconds,
    progressToken: 7,
    era: "legacy",
  };
}

/** A coordinator whose one channel never answers, and the progress it sent. */
function unansweredCoordinator(progressIntervalMs: number) {
  const progress: number[] = [];
  const coordinator = createApprovalCoordinator({
    channels: () => [{ name: "inbox", ask: () => ({ answer: new Promise(() => {}), withdraw: () => null }) }],
    maxPending: 4,
    sendProgress: (_token, value) => progress.push(value),
    progressIntervalMs,
    announce: () => {},
  });
  return { coordinator, progress };
}

describe("progress while a call waits for a person", () => {
  it("counts up to -1 from minus the most ticks the timeout allows, so the server's own progress afterwards is greater", async () => {
    vi.useFakeTimers();
    const { coordinator, progress } = unansweredCoordinator(1000);
    const asked = coordinator.approver(question(5));
    await vi.advanceTimersByTimeAsync(5000);
    expect(await asked?.answer).toMatchObject({ approved: false, decidedBy: "timeout" });
    expect(progress).toEqual([-5, -4, -3, -2, -1]);
  });

  it("starts lower by as many ticks as the timeout allows when the interval does not divide it", async () => {
    vi.useFakeTimers();
    const { coordinator, progress } = unansweredCoordinator(400);
    const asked = coordinator.approver(question(1));
    await vi.advanceTimersByTimeAsync(1000);
    await asked?.answer;
    expect(progress).toEqual([-2, -1]);
  });
});

describe("the session's end", () => {
  it("withdraws every question, and denies one asked afterwards at once without opening a channel", async () => {
    const { coordinator } = unansweredCoordinator(1000);
    const waiting = coordinator.approver(question(50));
    coordinator.withdrawAll("the client closed its input before a person answered");
    expect(await waiting?.answer).toMatchObject({ approved: false, decidedBy: "client" });
    const later = coordinator.approver(question(50));
    expect(await later?.answer).toMatchObject({
      approved: false,
      channel: "none",
      reason: "the client closed its input before a person answered",
    });
  });
});

describe("an answer the timeout's withdrawal finds already given", () => {
  it("settles with the person's answer, not a timeout denial: they were told it was approved", async () => {
    vi.useFakeTimers();
    const withdrawals: string[] = [];
    const coordinator = createApprovalCoordinator({
      channels: () => [
        {
          name: "inbox",
          ask: () => ({
            answer: new Promise(() => {}),
            withdraw: (reason) => {
              withdrawals.push(reason);
              return { approved: true, decidedBy: "cli:alice", reason: "approved by cli:alice" };
            },
          }),
        },
      ],
      maxPending: 4,
      sendProgress: () => {},
      progressIntervalMs: 1000,
      announce: () => {},
    });
    const asked = coordinator.approver(question(5));
    await vi.advanceTimersByTimeAsync(5000);
    expect(await asked?.answer).toEqual({
      approved: true,
      channel: "inbox",
      decidedBy: "cli:alice",
      reason: "approved by cli:alice",
    });
    expect(withdrawals).toEqual(["no answer within 5 s"]);
  });
});

describe("the session's approval request rate", () => {
  it("denies a request past the burst at once, without asking or announcing, and allows one again as the bucket refills", async () => {
    let now = 0;
    let asked = 0;
    let announced = 0;
    const coordinator = createApprovalCoordinator({
      channels: () => [
        {
          name: "inbox",
          ask: () => {
            asked += 1;
            return { answer: new Promise(() => {}), withdraw: () => null };
          },
        },
      ],
      maxPending: 100,
      sendProgress: () => {},
      progressIntervalMs: 1000,
      announce: () => {
        announced += 1;
      },
      requestRate: { burst: 3, perMinute: 10 },
      now: () => now,
    });
    // Ask and cancel at once, again and again: every request counts.
    for (let n = 0; n < 3; n += 1) coordinator.approver(question(50))?.withdraw("cancelled");
    const over = coordinator.approver(question(50));
    expect(await over?.answer).toMatchObject({
      approved: false,
      decidedBy: "policylayer",
      reason:
        "too many approval requests in this session (at most 3 at once and 10 a minute), so the call was denied without asking anyone; try again in 6 s",
    });
    expect([asked, announced]).toEqual([3, 3]);
    now += 6000;
    coordinator.approver(question(50))?.withdraw("cancelled");
    expect(asked).toBe(4);
    coordinator.withdrawAll("done");
  });
});
