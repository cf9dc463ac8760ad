import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CANCELLED_ANSWER_WAIT_MS } from "../../src/proxy/client-requests.js";
import { type Connected, connectThroughProxy } from "../helpers/clients.js";
import { npmServer } from "../helpers/paths.js";
import { readJsonLines, tempDir, writePolicy } from "../helpers/tmp.js";

// A server on the TypeScript SDK never answers a request the client cancelled (the specification
// says it should not). The call it had received still ends: its audit line is written, as
// cancelled, once the server has not answered for a while, rather than when the session ends.
const opened: Connected[] = [];
const dirs: { cleanup: () => void }[] = [];
afterEach(async () => {
  for (const connected of opened.splice(0)) await connected.close();
  for (const dir of dirs.splice(0)) dir.cleanup();
});

describe("a forwarded call the client cancels and server-everything never answers", () => {
  it("gets its audit line as cancelled within seconds, and the session goes on", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const audit = join(dir.path, "audit.jsonl");
    const policy = writePolicy(dir.path, "version: 1\ndefault: allow\n");
    const connected = await connectThroughProxy(
      ["--policy", policy, "--audit", audit],
      npmServer("everything", "stdio"),
    );
    opened.push(connected);
    const controller = new AbortController();
    let started: () => void = () => {};
    const progressed = new Promise<void>((resolve) => {
      started = resolve;
    });
    const call = connected.client.callTool(
      { name: "trigger-long-running-operation", arguments: { duration: 120, steps: 120 } },
      undefined,
      { signal: controller.signal, onprogress: () => started() },
    );
    await progressed;
    controller.abort("changed my mind");
    await expect(call).rejects.toThrow();
    const line = () =>
      readJsonLines(audit).find(
        (entry) => entry.event === "tools/call" && entry.tool === "trigger-long-running-operation",
      );
    await expect
      .poll(() => line()?.outcome, {
        timeout: CANCELLED_ANSWER_WAIT_MS + 10_000,
        interval: 200,
        message: "the cancelled call's audit line, though the server never answers it",
      })
      .toBe("cancelled");
    expect(line()).toMatchObject({ decision: "allow" });
    // The session goes on: the next call is answered.
    const echo = await connected.client.callTool({ name: "echo", arguments: { message: "still here" } });
    expect(JSON.stringify(echo.content)).toContain("still here");
  }, 60_000);
});
