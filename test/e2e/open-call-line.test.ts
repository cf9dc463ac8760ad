import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { OPEN_CALL_LINE_MS } from "../../src/proxy/forwarded-call.js";
import { type Connected, connectThroughProxy } from "../helpers/clients.js";
import { npmServer } from "../helpers/paths.js";
import { readJsonLines, tempDir, writePolicy } from "../helpers/tmp.js";

// A call's audit line is written when it ends. A call that takes longer is in the log before
// that: once it has been open a second, a `tools/call_forwarded` line says it reached the server,
// so a wrap killed before the call ends (SIGKILL, a crash) does not leave it out of the log.
const opened: Connected[] = [];
const dirs: { cleanup: () => void }[] = [];
afterEach(async () => {
  for (const connected of opened.splice(0)) await connected.close().catch(() => {});
  for (const dir of dirs.splice(0)) dir.cleanup();
});

const LONG_TOOL = "trigger-long-running-operation";

async function wrapped(): Promise<{ connected: Connected; audit: string }> {
  const dir = tempDir();
  dirs.push(dir);
  const audit = join(dir.path, "audit.jsonl");
  const policy = writePolicy(dir.path, "version: 1\ndefault: allow\n");
  const connected = await connectThroughProxy(
    ["--policy", policy, "--audit", audit],
    npmServer("everything", "stdio"),
  );
  opened.push(connected);
  return { connected, audit };
}

const linesOf = (audit: string, event: string) =>
  readJsonLines(audit).filter((line) => line.event === event && line.tool === LONG_TOOL);

/** Waits, within a deadline, until the running call's tools/call_forwarded line is in the log. */
async function forwardedLineWritten(audit: string): Promise<void> {
  await expect
    .poll(() => linesOf(audit, "tools/call_forwarded").length, {
      timeout: OPEN_CALL_LINE_MS + 10_000,
      interval: 100,
      message: "a tools/call_forwarded line for the running call",
    })
    .toBe(1);
}

describe("a forwarded call that takes long (server-everything's long-running operation)", () => {
  it("is in the audit log as forwarded while it runs, and gets its usual line when it ends", async () => {
    const { connected, audit } = await wrapped();
    let ended = false;
    const call = connected.client
      .callTool({ name: LONG_TOOL, arguments: { duration: 4, steps: 4 } }, undefined, {
        onprogress: () => {},
        timeout: 30_000,
      })
      .finally(() => {
        ended = true;
      });
    await forwardedLineWritten(audit);
    expect(ended, "the forwarded line was written while the call ran").toBe(false);
    expect(linesOf(audit, "tools/call"), "no line of how it ended yet").toEqual([]);
    const [open] = linesOf(audit, "tools/call_forwarded");
    expect(open).toMatchObject({
      decision: "allow",
      policy_action: "allow",
      args_sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(open).not.toHaveProperty("outcome");
    await call;
    await expect
      .poll(() => linesOf(audit, "tools/call").length, {
        timeout: 10_000,
        interval: 100,
        message: "the call's tools/call line once it ended",
      })
      .toBe(1);
    const [done] = linesOf(audit, "tools/call");
    expect(done).toMatchObject({
      outcome: "result",
      id: open?.id,
      session: open?.session,
      args_sha256: open?.args_sha256,
    });
    expect(linesOf(audit, "tools/call_forwarded"), "written once").toHaveLength(1);
    // A call that ends within the second gets only its usual line.
    await connected.client.callTool({ name: "echo", arguments: { message: "quick" } });
    expect(readJsonLines(audit).filter((line) => line.event === "tools/call_forwarded")).toHaveLength(1);
  }, 60_000);

  it("stays in the log when wrap is killed with SIGKILL before the call ends", async () => {
    const { connected, audit } = await wrapped();
    const call = connected.client.callTool(
      { name: LONG_TOOL, arguments: { duration: 60, steps: 60 } },
      undefined,
      {
        onprogress: () => {},
        timeout: 120_000,
      },
    );
    call.catch(() => {});
    await forwardedLineWritten(audit);
    const pid = connected.transport.pid;
    expect(pid, "wrap's process id").toBeTypeOf("number");
    process.kill(pid as number, "SIGKILL");
    await expect(call, "the call fails: wrap is gone").rejects.toThrow();
    expect(linesOf(audit, "tools/call_forwarded")).toMatchObject([{ decision: "allow" }]);
    expect(linesOf(audit, "tools/call")).toEqual([]);
  }, 60_000);
});
