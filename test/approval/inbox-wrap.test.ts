import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { listPending, type PendingApproval } from "../../src/approval/inbox-answer.js";
import { startApprovalServer } from "../../src/approval/web.js";
import {
  C1_CSI,
  CURSOR_UP_ERASE,
  FORGED_LINES,
  RAW_HIDDEN,
  RTL_OVERRIDE,
  ZERO_WIDTH,
} from "../helpers/attack-strings.js";
import { type Connected, connectThroughProxy } from "../helpers/clients.js";
import { recordingServer } from "../helpers/paths.js";
import { readJsonLines, tempDir, writePolicy } from "../helpers/tmp.js";
import { launchChromium, runPolicylayer } from "./helpers.js";

// End to end: real `policylayer wrap` processes whose clients cannot elicit, so their
// require_approval calls wait in the shared inbox; a person answers from the CLI or the page.

const POLICY = `version: 1
default: allow
rules:
  - tool: delete_stack
    action: require_approval
    reason: Deleting a stack needs a person
    approval: { timeout: 60 }
  - tool: "*"
    when: [{ path: args.ask, op: eq, value: true }]
    action: require_approval
    approval: { timeout: 60 }
`;

type ToolResult = { isError?: boolean; content: Array<{ type: string; text: string }> };

let dir: { path: string; cleanup: () => void };
let stateDir: string;
const wraps: Connected[] = [];

beforeEach(() => {
  dir = tempDir();
  stateDir = join(dir.path, "state");
});
afterEach(async () => {
  await Promise.all(wraps.splice(0).map((wrap) => wrap.close()));
  dir.cleanup();
});

/** A client (without elicitation) behind its own wrap and recording server; returns it with its record file. */
async function startWrap(
  name: string,
  env: Record<string, string> = {},
): Promise<{ wrap: Connected; recordFile: string }> {
  const recordFile = join(dir.path, `${name}.jsonl`);
  const wrap = await connectThroughProxy(
    ["--policy", writePolicy(dir.path, POLICY), "--audit", join(dir.path, `${name}-audit.jsonl`)],
    [process.execPath, recordingServer],
    { RECORD_FILE: recordFile, POLICYLAYER_STATE_DIR: stateDir, ...env },
  );
  wraps.push(wrap);
  return { wrap, recordFile };
}

/** The tools/call messages that reached a recording server. */
function callsReceived(recordFile: string): unknown[] {
  return readJsonLines(recordFile)
    .filter((message) => message.method === "tools/call")
    .map((message) => message.params);
}

/** Waits until the inbox holds a call whose arguments are exactly `argumentsJson`. */
async function waitingCall(argumentsJson: string): Promise<PendingApproval> {
  let found: PendingApproval | undefined;
  await expect
    .poll(() => {
      found = listPending(stateDir).find((entry) => entry.argumentsJson === argumentsJson);
      return found !== undefined;
    })
    .toBe(true);
  if (!found) throw new Error("unreachable");
  return found;
}

function policylayer(...args: string[]) {
  return runPolicylayer(stateDir, ...args);
}

/** Two wraps, each with a delete_stack call waiting in the inbox: stack "a" in the first, "b" in the second. */
async function twoWaitingCalls() {
  const first = await startWrap("first");
  const second = await startWrap("second");
  const approved = first.wrap.client.callTool({ name: "delete_stack", arguments: { stack: "a" } });
  const denied = second.wrap.client.callTool({ name: "delete_stack", arguments: { stack: "b" } });
  const a = await waitingCall('{"stack":"a"}');
  const b = await waitingCall('{"stack":"b"}');
  return { first, second, approved, denied, a, b };
}

describe("require_approval through the local inbox, with real wrap processes", () => {
  it("lists two wraps' calls; approve forwards one exactly once, deny refuses the other with the reason", async () => {
    const { first, second, approved, denied, a, b } = await twoWaitingCalls();
    expect(a.pid).not.toBe(b.pid);

    const listed = await policylayer("approvals");
    expect(listed.stdout).toContain(`${a.id}  ${process.execPath} ${recordingServer} › delete_stack`);
    expect(listed.stdout).toContain(`${b.id}  ${process.execPath} ${recordingServer} › delete_stack`);
    expect(first.wrap.stderr()).toContain(`policylayer approve ${a.id}`);
    expect(callsReceived(first.recordFile)).toEqual([]);

    expect(await policylayer("approve", a.id, "--yes")).toMatchObject({ code: 0 });
    expect(((await approved) as ToolResult).isError).toBeFalsy();
    expect(callsReceived(first.recordFile)).toEqual([{ name: "delete_stack", arguments: { stack: "a" } }]);

    expect(await policylayer("deny", b.id, "--reason", "not on a Friday", "--yes")).toMatchObject({
      code: 0,
    });
    const refusal = (await denied) as ToolResult;
    expect(refusal.isError).toBe(true);
    expect(refusal.content[0]?.text).toContain("not on a Friday");
    expect(callsReceived(second.recordFile)).toEqual([]);

    // The approval cannot be replayed: the same call again waits under a new id.
    expect(await policylayer("approve", a.id, "--yes")).toMatchObject({ code: 1 });
    const again = first.wrap.client.callTool({ name: "delete_stack", arguments: { stack: "a" } });
    const repeated = await waitingCall('{"stack":"a"}');
    expect(repeated.id).not.toBe(a.id);
    expect(await policylayer("deny", repeated.id, "--yes")).toMatchObject({ code: 0 });
    expect(((await again) as ToolResult).isError).toBe(true);
    expect(callsReceived(first.recordFile)).toHaveLength(1);
  });

  it("the page in Chromium approves one wrap's call and denies another's; the server sees only the approved one", async () => {
    const { first, second, approved, denied, a, b } = await twoWaitingCalls();

    const server = await startApprovalServer({ dir: stateDir });
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(server.pageAddress(60_000));
      const approveButton = page
        .locator(`li.pending[data-id="${a.id}"]`)
        .getByRole("button", { name: "Approve" });
      await approveButton.waitFor();
      const clickedAt = performance.now();
      await approveButton.click();
      // Time from the click to the call reaching the server, read tightly from the record file.
      await expect
        .poll(() => callsReceived(first.recordFile).length, {
          timeout: 20_000,
          interval: 2,
          message: "the approved call to reach the server",
        })
        .toBeGreaterThan(0);
      const clickToServerMs = performance.now() - clickedAt;
      // Logged, not asserted: timings belong to the bench, and a bound here only fails under load.
      console.info(`approval click → call at the server: ${clickToServerMs.toFixed(1)} ms`);
      expect(((await approved) as ToolResult).isError).toBeFalsy();

      await page.locator(`li.pending[data-id="${b.id}"]`).getByRole("button", { name: "Deny" }).click();
      const refusal = (await denied) as ToolResult;
      expect(refusal.isError).toBe(true);
      expect(refusal.content[0]?.text).toMatch(/denied by web:/);
    } finally {
      await browser.close();
      await server.close();
    }
    expect(callsReceived(first.recordFile)).toEqual([{ name: "delete_stack", arguments: { stack: "a" } }]);
    expect(callsReceived(second.recordFile)).toEqual([]);
  });

  it("a client's cancellation withdraws its call from the inbox, and a late approval has no effect", async () => {
    const { wrap, recordFile } = await startWrap("cancel");
    const controller = new AbortController();
    const call = wrap.client.callTool({ name: "delete_stack", arguments: { stack: "c" } }, undefined, {
      signal: controller.signal,
    });
    const waiting = await waitingCall('{"stack":"c"}');
    controller.abort("changed my mind");
    await expect(call).rejects.toThrow();
    await expect
      .poll(() => listPending(stateDir).length, { timeout: 15_000, message: "the inbox to be empty" })
      .toBe(0);
    expect(await policylayer("approve", waiting.id, "--yes")).toMatchObject({ code: 1 });
    expect(callsReceived(recordFile)).toEqual([]);
  });

  it("tells the person on stderr and in a desktop notification with every field visible and nothing raw", async () => {
    // A notify-send of our own on PATH records what the wrap asked the desktop to show.
    const bin = join(dir.path, "bin");
    mkdirSync(bin);
    const shown = join(dir.path, "notification.json");
    writeFileSync(
      join(bin, "notify-send"),
      `#!${process.execPath}\nrequire("node:fs").writeFileSync(${JSON.stringify(shown)}, JSON.stringify(process.argv.slice(2)));\n`,
      { mode: 0o755 },
    );
    const { wrap, recordFile } = await startWrap("hostile", {
      PATH: `${bin}${delimiter}${process.env.PATH ?? ""}`,
      DISPLAY: ":0",
    });
    const tool = `${CURSOR_UP_ERASE}${FORGED_LINES}`;
    const args = {
      ask: true,
      stack: RTL_OVERRIDE,
      env: ZERO_WIDTH,
      mode: C1_CSI,
      note: " ".repeat(400),
      last: "key",
    };
    const call = wrap.client.callTool({ name: tool, arguments: args });
    const waiting = await waitingCall(JSON.stringify(args));
    await expect
      .poll(() => wrap.stderr().includes(`policylayer approve ${waiting.id}`), {
        timeout: 15_000,
        message: "wrap to print the approve command on stderr",
      })
      .toBe(true);
    // notify-send writes its record in one call; until then the file is absent or empty.
    let notified: string[] = [];
    await expect
      .poll(() => {
        try {
          notified = JSON.parse(readFileSync(shown, "utf8")) as string[];
          return true;
        } catch {
          return false;
        }
      })
      .toBe(true);

    const notice =
      wrap
        .stderr()
        .split("\n")
        .find((line) => line.includes(`approval ${waiting.id}:`)) ?? "";
    expect(notice).not.toMatch(RAW_HIDDEN);
    expect(notice).toContain(
      "wants drop⟨U+001B⟩[1A⟨U+001B⟩[2K⟨U+000D⟩safe_toolx⟨U+000A⟩⟨U+0020⟩⟨U+0020⟩arguments:⟨U+0020⟩",
    );
    expect(notice).toContain(
      `{"ask":true,"stack":"⟨U+202E⟩dorp-tset","env":"pro⟨U+200B⟩d","mode":"a⟨U+009B⟩2Jb","note":"${" ".repeat(59)}…⟨342 more characters⟩,"last":"key"}`,
    );
    // No line of stderr starts with the forged text.
    expect(
      wrap
        .stderr()
        .split("\n")
        .filter((line) => line.startsWith("  why:")),
    ).toEqual([]);

    const [title, body = ""] = notified.slice(2);
    for (const text of [title, body]) expect(text).not.toMatch(RAW_HIDDEN);
    expect(title).toMatch(/^policylayer: approve drop⟨U\+001B⟩\[1A.*…⟨\d+ more characters⟩\?$/);
    // notify-send's command line is public: the arguments stay out of it, only counted.
    expect(body).toContain("with 6 arguments (policylayer approvals shows them)");
    for (const value of ["dorp-tset", "stack", "last"]) expect(body).not.toContain(value);
    expect(body).toContain(`policylayer approve ${waiting.id}`);

    expect(await policylayer("deny", waiting.id, "--yes")).toMatchObject({ code: 0 });
    expect(((await call) as ToolResult).isError).toBe(true);
    expect(callsReceived(recordFile)).toEqual([]);
  });
});
