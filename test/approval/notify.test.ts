import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { ApprovalInbox } from "../../src/approval/inbox-wait.js";
import { describeForPerson, notificationFor } from "../../src/approval/notify.js";
import { pendingInput, useStateDir } from "./helpers.js";

const stateFolder = useStateDir();

describe("telling a person that a call waits", () => {
  it("describes the call in one line with the commands that answer it", () => {
    const inbox = ApprovalInbox.open(stateFolder());
    const { entry } = inbox.submit(pendingInput({ timeoutSeconds: 90 }));
    expect(describeForPerson(entry)).toBe(
      `approval ${entry.id}: recording wants delete_stack {"stack":"prod","force":true} (destructive, critical risk): ` +
        `Deleting a stack destroys infrastructure. Answer within 90 s: policylayer approve ${entry.id} | ` +
        `policylayer deny ${entry.id} [--reason TEXT] | policylayer approvals --web`,
    );
    inbox.close();
  });

  it("writes <, > and & in a notification as marks, and leaves the arguments out (notify-send's command line is public)", () => {
    const inbox = ApprovalInbox.open(stateFolder());
    const { entry } = inbox.submit(
      pendingInput({
        tool: "delete<b>_files",
        arguments: {
          path: "/tmp/cache",
          "<span size='1'>": 0,
          also_delete: ["/home", "/etc"],
          "</span>": "a&b",
        },
      }),
    );
    const { title, body } = notificationFor(entry);
    for (const text of [title, body]) expect(text).not.toMatch(/[<>&]/);
    expect(title).toBe("policylayer: approve delete⟨U+003C⟩b⟨U+003E⟩_files?");
    expect(body).toBe(
      `recording wants delete⟨U+003C⟩b⟨U+003E⟩_files (destructive, critical risk) with 4 arguments (policylayer approvals shows them). policylayer approve ${entry.id} | deny ${entry.id}`,
    );
    inbox.close();
  });

  it("isolates a right-to-left server name in a notification, so the body stays left to right around it", () => {
    const inbox = ApprovalInbox.open(stateFolder());
    const { entry } = inbox.submit(pendingInput({ server: "שרת 1", arguments: {} }));
    const { body } = notificationFor(entry);
    expect(body).toBe(
      `\u2068שרת 1\u2069 wants delete_stack (destructive, critical risk) with no arguments. policylayer approve ${entry.id} | deny ${entry.id}`,
    );
    inbox.close();
  });

  it.runIf(process.platform === "linux")(
    "runs notify-send with the title and body as separate arguments",
    async () => {
      const dir = stateFolder();
      const received = join(dir, "received.json");
      const fake = join(dir, "notify-send");
      writeFileSync(
        fake,
        `#!${process.execPath}\nrequire("node:fs").writeFileSync(${JSON.stringify(received)}, JSON.stringify(process.argv.slice(2)));\n`,
      );
      chmodSync(fake, 0o755);
      vi.stubEnv("PATH", dir);
      vi.stubEnv("DISPLAY", ":0");
      vi.resetModules();
      const { notifyDesktop } = await import("../../src/approval/notify.js");
      notifyDesktop("policylayer: approval needed", 'delete_stack "prod"; $(rm -rf ~)');
      await expect
        .poll(
          () => {
            try {
              return JSON.parse(readFileSync(received, "utf8"));
            } catch {
              return null;
            }
          },
          { timeout: 15_000, message: "the stand-in notify-send to record its arguments" },
        )
        .toEqual([
          "--app-name=policylayer",
          "--",
          "policylayer: approval needed",
          'delete_stack "prod"; $(rm -rf ~)',
        ]);
    },
  );
});
