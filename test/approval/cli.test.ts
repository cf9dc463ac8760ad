import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { listPending, localUserName } from "../../src/approval/inbox-answer.js";
import { ApprovalInbox } from "../../src/approval/inbox-wait.js";
import {
  C1_CSI,
  CURSOR_UP_ERASE,
  FORGED_CUT,
  FORGED_LINES,
  FORGED_MARK,
  RAW_HIDDEN,
  RAW_RIGHT_TO_LEFT,
  RTL_KEYS,
  RTL_OVERRIDE,
  ZERO_WIDTH,
} from "../helpers/attack-strings.js";
import { policylayerBin } from "../helpers/paths.js";
import { pendingInput, runPolicylayer, spawnSubmitter, useStateDir } from "./helpers.js";

const stateFolder = useStateDir();

/** Runs the built CLI against the test's state folder. */
function policylayer(...args: string[]) {
  return runPolicylayer(stateFolder(), ...args);
}

describe("policylayer approvals, approve, deny", () => {
  it("says so when no call is waiting", async () => {
    expect(await policylayer("approvals")).toEqual({
      code: 0,
      stdout: "no calls are waiting for approval\n",
      stderr: "",
    });
    expect(await policylayer("approvals", "--json")).toEqual({ code: 0, stdout: "[]\n", stderr: "" });
  });

  it("lists the calls of two wrap processes; approve and deny resolve the right one", async () => {
    const dir = stateFolder();
    const inbox = ApprovalInbox.open();
    const here = inbox.submit(
      pendingInput({
        server: "sagemaker",
        tool: "manage_hyperpod_stacks",
        arguments: { operation: "deploy" },
      }),
    );
    const other = await spawnSubmitter(
      dir,
      pendingInput({ server: "filesystem", tool: "write_file", arguments: { path: "/tmp/x" } }),
    );

    const listed = await policylayer("approvals");
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(
      new RegExp(
        `^${here.id} {2}sagemaker › manage_hyperpod_stacks {2}\\(destructive, critical risk\\) {2}waiting \\d+ s, \\d+ min \\d\\d s left\\n {2}arguments: \\{"operation":"deploy"\\}\\n {2}why: Deleting a stack destroys infrastructure — rule 1 \\(tool "delete_stack"\\)\\n\\n${other.id} {2}filesystem › write_file`,
      ),
    );
    const json = await policylayer("approvals", "--json");
    expect(JSON.parse(json.stdout)).toMatchObject([
      { id: here.id, pid: process.pid, tool: "manage_hyperpod_stacks" },
      { id: other.id, pid: other.pid, tool: "write_file" },
    ]);

    expect(await policylayer("approve", here.id, "--yes")).toEqual({
      code: 0,
      stdout: `approved ${here.id}  sagemaker › manage_hyperpod_stacks\n`,
      stderr: "",
    });
    await expect(here.decision).resolves.toMatchObject({
      approved: true,
      decidedBy: `cli:${localUserName()}`,
    });

    expect(
      await policylayer("deny", other.id.toUpperCase(), "--reason", "not on a Friday", "--yes"),
    ).toMatchObject({
      code: 0,
    });
    await expect(other.decision).resolves.toMatchObject({
      approved: false,
      note: "not on a Friday",
      reason: `denied by cli:${localUserName()} in the approval inbox: not on a Friday`,
    });
    expect((await policylayer("approvals")).stdout).toBe("no calls are waiting for approval\n");
    inbox.close();
  });

  it("exits 1 with a clear message for an unknown or already decided id", async () => {
    const dir = stateFolder();
    const inbox = ApprovalInbox.open(dir);
    const submitted = inbox.submit(pendingInput());
    expect(await policylayer("deny", submitted.id, "--yes")).toMatchObject({ code: 0 });
    expect(await policylayer("approve", submitted.id, "--yes")).toEqual({
      code: 1,
      stdout: "",
      stderr: `policylayer: ${submitted.id} has already been decided; each call is decided once\n`,
    });
    const unknown = await policylayer("approve", "zzzzzzzzzz", "--yes");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(
      /no call is waiting for approval with id "zzzzzzzzzz".*run `policylayer approvals`/,
    );
    inbox.close();
  });

  it("echoes an id it was given with hidden characters as marks, never raw", async () => {
    const inbox = ApprovalInbox.open(stateFolder());
    const submitted = inbox.submit(pendingInput());
    expect(await policylayer("deny", submitted.id, "--yes")).toMatchObject({ code: 0 });
    // An id pasted from the agent's words: whitespace around it (a paragraph separator) still finds the call.
    const again = await policylayer("approve", `\u2029${submitted.id}`, "--yes");
    expect(again.code).toBe(1);
    expect(again.stderr.trimEnd()).not.toMatch(RAW_HIDDEN);
    expect(again.stderr).not.toContain("\u2029");
    expect(again.stderr).toBe(
      `policylayer: ${submitted.id} has already been decided; each call is decided once\n`,
    );
    const forged = await policylayer("approve", `${RTL_OVERRIDE}\u001b[2K`, "--yes");
    expect(forged.code).toBe(1);
    expect(forged.stderr.trimEnd()).not.toMatch(RAW_HIDDEN);
    expect(forged.stderr).toContain('with id "⟨U+202E⟩dorp-tset\\u001b[2K"');
    inbox.close();
  });

  it("exits 1 and says expired for a call whose time is up", async () => {
    const dir = stateFolder();
    const inbox = ApprovalInbox.open(dir, { now: () => Date.now() - 60_000 });
    const submitted = inbox.submit(pendingInput({ timeoutSeconds: 30 }));
    const expired = await policylayer("approve", submitted.id, "--yes");
    expect(expired.code).toBe(1);
    expect(expired.stderr).toMatch(/expired: its approval timeout passed and the call was denied/);
    inbox.close();
  });
});

describe("policylayer approvals shows what waits, and nothing can forge or hide it", () => {
  it("prints no raw control, bidi or invisible character, and no forged line", async () => {
    const inbox = ApprovalInbox.open(stateFolder());
    const submitted = inbox.submit(
      pendingInput({
        tool: `${CURSOR_UP_ERASE}${FORGED_LINES}`,
        arguments: { stack: RTL_OVERRIDE, env: ZERO_WIDTH, mode: C1_CSI },
        reason: "needs a person\n  why: routine cleanup, safe",
      }),
    );
    const listed = await policylayer("approvals");
    expect(listed.code).toBe(0);
    const lines = listed.stdout.split("\n");
    for (const line of lines) expect(line).not.toMatch(RAW_HIDDEN);
    // One block: the title, one arguments line, one why line; the forged ones stay inside the title.
    expect(lines.filter((line) => line.startsWith("  arguments:"))).toEqual([
      '  arguments: {"stack":"⟨U+202E⟩dorp-tset","env":"pro⟨U+200B⟩d","mode":"a⟨U+009B⟩2Jb"}',
    ]);
    expect(lines.filter((line) => line.startsWith("  why:"))).toEqual([
      '  why: needs a person⟨U+000A⟩  why: routine cleanup, safe — rule 1 (tool "delete_stack")',
    ]);
    expect(lines[0]).toContain(
      `${submitted.id}  recording › drop⟨U+001B⟩[1A⟨U+001B⟩[2K⟨U+000D⟩safe_toolx⟨U+000A⟩⟨U+0020⟩⟨U+0020⟩arguments:⟨U+0020⟩`,
    );
    inbox.close();
  });

  it("shows every key after a long padded value, marks the shortened value, and --full shows it whole", async () => {
    const inbox = ApprovalInbox.open(stateFolder());
    const padded = `${" ".repeat(400)}and then rm -rf /`;
    inbox.submit(pendingInput({ arguments: { note: padded, target: "prod", force: true } }));
    const listed = await policylayer("approvals");
    expect(listed.stdout).toContain(`    "note": "${" ".repeat(199)}…⟨219 more characters⟩\n`);
    expect(listed.stdout).toContain('    "target": "prod"\n');
    expect(listed.stdout).toContain('    "force": true\n');
    expect(listed.stdout).toContain("policylayer approvals --full shows them whole");

    const full = await policylayer("approvals", "--full");
    expect(full.stdout).toContain(`    "note": ${JSON.stringify(padded)}\n`);
    expect(full.stdout).not.toContain("more characters⟩");
    inbox.close();
  });

  it("shortens a key of thousands of spaces with a marker, so the keys after it stay in view", async () => {
    const inbox = ApprovalInbox.open(stateFolder());
    inbox.submit(pendingInput({ arguments: { [" ".repeat(20_000)]: "", target: "prod", force: true } }));
    const listed = await policylayer("approvals");
    const lines = listed.stdout.split("\n");
    expect(Math.max(...lines.map((line) => line.length))).toBeLessThan(400);
    expect(listed.stdout).toContain(`    "${" ".repeat(199)}…⟨19802 more characters⟩: ""\n`);
    expect(listed.stdout).toContain('    "target": "prod"\n');
    expect(listed.stdout).toContain("policylayer approvals --full shows them whole");
    const full = await policylayer("approvals", "--full");
    expect(full.stdout).toContain(`    ${JSON.stringify(" ".repeat(20_000))}: ""\n`);
    inbox.close();
  });

  it("shortens a tool name of thousands of characters with a marker, and --full shows it whole", async () => {
    const inbox = ApprovalInbox.open(stateFolder());
    inbox.submit(pendingInput({ tool: `delete_stack${" ".repeat(20_000)}` }));
    const listed = await policylayer("approvals");
    const [title = ""] = listed.stdout.split("\n");
    expect(title.length).toBeLessThan(2500);
    expect(title).toContain(` › delete_stack${"⟨U+0020⟩".repeat(188)}…⟨19812 more characters⟩  (destructive`);
    expect(listed.stdout).toContain("policylayer approvals --full shows them whole");
    const full = await policylayer("approvals", "--full");
    expect(full.stdout).toContain(` › delete_stack${"⟨U+0020⟩".repeat(20_000)}  (destructive`);
    inbox.close();
  });

  it("names the keys that come after the 64 KiB the inbox keeps, so none is approved unseen", async () => {
    const inbox = ApprovalInbox.open(stateFolder());
    inbox.submit(pendingInput({ arguments: { pad: "x".repeat(70_000), command: "rm -rf /", force: true } }));
    const listed = await policylayer("approvals");
    expect(listed.stdout).toContain('    "pad": "xxx');
    expect(listed.stdout).toContain('    "command": …⟨not kept in the inbox: the wrap process holds it⟩\n');
    expect(listed.stdout).toContain('    "force": …⟨not kept in the inbox: the wrap process holds it⟩\n');
    expect(listed.stdout).toContain("the inbox keeps the first 64 KiB of the arguments");
    inbox.close();
  });

  it("lists forty padding keys and the one after them, each on its own line", async () => {
    const inbox = ApprovalInbox.open(stateFolder());
    const args: Record<string, string> = {};
    for (let index = 0; index < 40; index += 1) args[`pad${index}`] = " ".repeat(10);
    args.target = "prod";
    inbox.submit(pendingInput({ arguments: args }));
    const listed = await policylayer("approvals");
    const keyLines = listed.stdout.split("\n").filter((line) => line.startsWith('    "'));
    expect(keyLines).toHaveLength(41);
    expect(keyLines.at(-1)).toBe('    "target": "prod"');
    inbox.close();
  });

  it("shows a mark or a cut marker written into a value as text, so neither reads as one of ours", async () => {
    const inbox = ApprovalInbox.open(stateFolder());
    inbox.submit(pendingInput({ arguments: { path: FORGED_CUT, command: FORGED_MARK } }));
    const listed = await policylayer("approvals");
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(
      '\n    "path": "/tmp/ok…⟨U+27E8⟩9000 more characters⟨U+27E9⟩"\n    "command": "rm -rf /tmp/cache⟨U+27E8⟩U+202E⟨U+27E9⟩"\n',
    );
    expect(listed.stdout).not.toContain("⟨9000 more characters⟩");
    expect(listed.stdout).not.toContain("⟨U+202E⟩");
    // Nothing was cut, so no note about shortened values.
    expect(listed.stdout).not.toContain("are shortened");
    inbox.close();
  });

  it("shows right-to-left keys and values as marks, so a bidi terminal cannot put a key beside another's value", async () => {
    const inbox = ApprovalInbox.open(stateFolder());
    inbox.submit(pendingInput({ server: "שרת", arguments: RTL_KEYS, reason: "סיבה 1, 2" }));
    const listed = await policylayer("approvals");
    expect(listed.code).toBe(0);
    for (const line of listed.stdout.split("\n")) expect(line).not.toMatch(RAW_RIGHT_TO_LEFT);
    expect(listed.stdout).toContain('  arguments: {"⟨U+05D0⟩":"1","⟨U+05D1⟩":"2"}');
    expect(listed.stdout).toContain("  ⟨U+05E9⟩⟨U+05E8⟩⟨U+05EA⟩ › delete_stack");
    expect(listed.stdout).toContain("  why: ⟨U+05E1⟩⟨U+05D9⟩⟨U+05D1⟩⟨U+05D4⟩ 1, 2");
    expect(listed.stdout).toContain("policylayer approvals --web shows them as written");
    // --json keeps the values, as escapes.
    const json = await policylayer("approvals", "--json");
    expect(json.stdout).not.toMatch(RAW_RIGHT_TO_LEFT);
    const [entry] = JSON.parse(json.stdout) as { server: string; argumentsJson: string }[];
    expect(entry?.server).toBe("שרת");
    expect(JSON.parse(entry?.argumentsJson ?? "")).toEqual(RTL_KEYS);
    inbox.close();
  });

  it("--json gives every value whole, with hidden characters as \\u escapes", async () => {
    const inbox = ApprovalInbox.open(stateFolder());
    const args = { stack: RTL_OVERRIDE, env: ZERO_WIDTH, mode: C1_CSI, note: " ".repeat(5000) };
    const submitted = inbox.submit(pendingInput({ tool: CURSOR_UP_ERASE, arguments: args }));
    const listed = await policylayer("approvals", "--json");
    // Line breaks only between JSON tokens; none raw inside a value.
    expect(listed.stdout.replaceAll("\n", "")).not.toMatch(RAW_HIDDEN);
    expect(listed.stdout).toContain("\\u202e");
    const parsed = JSON.parse(listed.stdout) as { id: string; tool: string; argumentsJson: string }[];
    expect(parsed.map((entry) => [entry.id, entry.tool])).toEqual([[submitted.id, CURSOR_UP_ERASE]]);
    expect(JSON.parse(parsed[0]?.argumentsJson ?? "")).toEqual(args);
    inbox.close();
  });
});

describe("policylayer approve and deny without a terminal", () => {
  it("answer nothing without --yes, and say how to answer", async () => {
    const inbox = ApprovalInbox.open(stateFolder());
    const submitted = inbox.submit(pendingInput());
    for (const command of ["approve", "deny"]) {
      expect(await policylayer(command, submitted.id)).toEqual({
        code: 1,
        stdout: "",
        stderr: `policylayer: ${command} was run without a terminal, so it may be a program rather than you; nothing was answered. Run it in a terminal, or add --yes: policylayer ${command} ${submitted.id} --yes\n`,
      });
    }
    expect(listPending(stateFolder()).map((entry) => entry.id)).toEqual([submitted.id]);
    inbox.close();
  });
});

/**
 * Runs the built CLI on a terminal of its own (util-linux's `script` gives it a pseudo-terminal),
 * types `reply` once it asks [y/N], and returns what the terminal showed and the exit code.
 */
function onTerminal(
  dir: string,
  reply: string,
  ...args: string[]
): Promise<{ code: number | null; shown: string }> {
  const quote = (word: string) => `'${word.replaceAll("'", "'\\''")}'`;
  const command = [process.execPath, policylayerBin, ...args].map(quote).join(" ");
  return new Promise((resolve, reject) => {
    const child = spawn("script", ["-qec", command, "/dev/null"], {
      env: { ...process.env, POLICYLAYER_STATE_DIR: dir },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let shown = "";
    let typed = false;
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`no [y/N] question within 10 s; the terminal showed:\n${shown}`));
    }, 10_000);
    child.stdout.on("data", (chunk: Buffer) => {
      shown += chunk.toString("utf8");
      if (!typed && shown.includes("[y/N]")) {
        typed = true;
        child.stdin.write(`${reply}\r`);
      }
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, shown });
    });
  });
}

describe("policylayer approve and deny on a terminal", () => {
  it("shows the call it would answer and answers nothing unless the person says yes", async () => {
    const inbox = ApprovalInbox.open(stateFolder());
    const submitted = inbox.submit(pendingInput({ tool: "delete_stack", arguments: { stack: "prod" } }));
    const declined = await onTerminal(stateFolder(), "n", "approve", submitted.id);
    expect(declined.shown).toContain(
      `${submitted.id}  recording › delete_stack  (destructive, critical risk)`,
    );
    expect(declined.shown).toContain('arguments: {"stack":"prod"}');
    expect(declined.shown).toContain("approve this call? [y/N]");
    expect(declined.shown).toContain("nothing was answered");
    expect(declined.code).toBe(1);
    expect(listPending(stateFolder()).map((entry) => entry.id)).toEqual([submitted.id]);

    const confirmed = await onTerminal(stateFolder(), "y", "approve", submitted.id);
    expect(confirmed.code).toBe(0);
    expect(confirmed.shown).toContain(`approved ${submitted.id}  recording › delete_stack`);
    await expect(submitted.decision).resolves.toMatchObject({ approved: true });
    inbox.close();
  });

  it("shows right-to-left text in the question as marks, and says where it shows as written", async () => {
    const inbox = ApprovalInbox.open(stateFolder());
    const submitted = inbox.submit(pendingInput({ server: "שרת", arguments: RTL_KEYS }));
    const declined = await onTerminal(stateFolder(), "n", "approve", submitted.id);
    expect(declined.shown).not.toMatch(RAW_RIGHT_TO_LEFT);
    expect(declined.shown).toContain('arguments: {"⟨U+05D0⟩":"1","⟨U+05D1⟩":"2"}');
    expect(declined.shown).toContain("policylayer approvals --web shows them as written");
    const confirmed = await onTerminal(stateFolder(), "y", "approve", submitted.id);
    expect(confirmed.code).toBe(0);
    expect(confirmed.shown).toContain(`approved ${submitted.id}  ⟨U+05E9⟩⟨U+05E8⟩⟨U+05EA⟩ › delete_stack`);
    inbox.close();
  });

  it("asks before a denial too, and a bare Enter is no", async () => {
    const inbox = ApprovalInbox.open(stateFolder());
    const submitted = inbox.submit(pendingInput());
    const bare = await onTerminal(stateFolder(), "", "deny", submitted.id);
    expect(bare.shown).toContain("deny this call? [y/N]");
    expect(bare.code).toBe(1);
    expect(listPending(stateFolder()).map((entry) => entry.id)).toEqual([submitted.id]);
    const yes = await onTerminal(stateFolder(), "yes", "deny", submitted.id);
    expect(yes.code).toBe(0);
    await expect(submitted.decision).resolves.toMatchObject({ approved: false });
    inbox.close();
  });
});
