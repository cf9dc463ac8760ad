import { type ChildProcess, spawn } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterEach, describe, expect, it } from "vitest";
import { listPending, localUserName } from "../../src/approval/inbox-answer.js";
import { ApprovalInbox, type SubmittedApproval } from "../../src/approval/inbox-wait.js";
import { type ApprovalServer, runningApprovalPage, startApprovalServer } from "../../src/approval/web.js";
import { ExactNumber } from "../../src/wire/exact-number.js";
import {
  C1_CSI,
  CURSOR_UP_ERASE,
  FORGED_CUT,
  FORGED_LINES,
  FORGED_MARK,
  RAW_HIDDEN,
  RTL_OVERRIDE,
  ZERO_WIDTH,
} from "../helpers/attack-strings.js";
import { within } from "../helpers/deadline.js";
import { policylayerBin } from "../helpers/paths.js";
import { launchChromium, pendingInput, spawnSubmitter, useStateDir } from "./helpers.js";

const stateFolder = useStateDir();
const asRoot = process.getuid?.() === 0;
/** A user id nobody on the test machine has. */
const OTHER_UID = 54_321;

/**
 * As user OTHER_UID, opens `address` (a one-time address read off a browser's command line) and,
 * given a session, posts an approval of `id` as the page would; prints each status it got.
 */
async function asOtherUser(address: string, id: string): Promise<{ opened: number; posted: number | null }> {
  const script = `
    const http = require("node:http");
    const [address, id] = process.argv.slice(1);
    const url = new URL(address);
    const send = (options, body) => new Promise((resolve, reject) => {
      const outgoing = http.request({ host: "127.0.0.1", port: url.port, ...options }, (response) => {
        response.resume();
        response.on("end", () => resolve(response));
      });
      outgoing.on("error", reject);
      outgoing.end(body);
    });
    (async () => {
      const opened = await send({ path: url.pathname + url.search });
      const cookie = (opened.headers["set-cookie"] ?? [""])[0].split(";")[0];
      let posted = null;
      if (cookie !== "") {
        const answer = await send({
          method: "POST",
          path: "/api/decisions",
          headers: { Origin: url.origin, Cookie: cookie, "Content-Type": "application/json" },
        }, JSON.stringify({ id, approved: true }));
        posted = answer.statusCode;
      }
      process.stdout.write(JSON.stringify({ opened: opened.statusCode, posted }));
    })();
  `;
  const child = spawn(process.execPath, ["-e", script, address, id], {
    uid: OTHER_UID,
    gid: OTHER_UID,
    cwd: "/",
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    out += chunk.toString("utf8");
  });
  const code = await within(
    new Promise<number | null>((resolve) => child.once("exit", resolve)),
    15_000,
    "the other user's process to open the address and post an approval",
  );
  expect(code).toBe(0);
  return JSON.parse(out);
}

/** Sends one raw HTTP request to the page, with exactly the headers given (Host included). */
function rawRequest(
  port: number,
  options: { method?: string; path: string; headers: Record<string, string>; body?: string },
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        host: "127.0.0.1",
        port,
        method: options.method ?? "GET",
        path: options.path,
        headers: options.headers,
        setHost: false,
      },
      (response) => {
        let body = "";
        response.on("data", (chunk: Buffer) => {
          body += chunk.toString("utf8");
        });
        response.on("end", () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body }),
        );
      },
    );
    outgoing.on("error", reject);
    outgoing.end(options.body);
  });
}

let server: ApprovalServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

describe("the approval page's guards", () => {
  it("refuses requests without the right token or a session with 403", async () => {
    server = await startApprovalServer({ dir: stateFolder() });
    const host = `127.0.0.1:${server.port}`;
    expect((await rawRequest(server.port, { path: "/", headers: { Host: host } })).status).toBe(403);
    expect((await rawRequest(server.port, { path: "/?token=0123", headers: { Host: host } })).status).toBe(
      403,
    );
    expect((await rawRequest(server.port, { path: "/api/state", headers: { Host: host } })).status).toBe(403);
    // A token in the address opens nothing, the page included: it takes the header only.
    for (const path of [`/api/state?token=${server.token}`, `/?token=${server.token}`]) {
      expect([path, (await rawRequest(server.port, { path, headers: { Host: host } })).status]).toEqual([
        path,
        403,
      ]);
    }
    const page = await rawRequest(server.port, {
      path: "/",
      headers: { Host: host, "X-Policylayer-Token": server.token },
    });
    expect(page.status).toBe(200);
    expect(page.headers["content-security-policy"]).toMatch(/default-src 'none'; script-src 'sha256-/);
    expect(page.headers["access-control-allow-origin"]).toBeUndefined();
    const api = await rawRequest(server.port, {
      path: "/api/state",
      headers: { Host: `localhost:${server.port}`, "X-Policylayer-Token": server.token },
    });
    expect(api.status).toBe(200);
    expect(JSON.parse(api.body)).toMatchObject({ pending: [], recent: [] });
  });

  it("refuses a foreign Host header (DNS rebinding) even with the token", async () => {
    server = await startApprovalServer({ dir: stateFolder() });
    for (const host of [`evil.example:${server.port}`, "127.0.0.1", `127.0.0.1:${server.port + 1}`]) {
      const answer = await rawRequest(server.port, {
        path: "/api/state",
        headers: { Host: host, "X-Policylayer-Token": server.token },
      });
      expect([host, answer.status]).toEqual([host, 421]);
    }
    const page = await rawRequest(server.port, {
      path: `/?nonce=${server.pageAddress(60_000).split("nonce=")[1]}`,
      headers: { Host: `evil.example:${server.port}` },
    });
    expect(page.status).toBe(421);
  });

  it("refuses a decision posted from a foreign Origin", async () => {
    const dir = stateFolder();
    server = await startApprovalServer({ dir });
    const inbox = ApprovalInbox.open(dir);
    const submitted = inbox.submit(pendingInput());
    const answer = await rawRequest(server.port, {
      method: "POST",
      path: "/api/decisions",
      headers: {
        Host: `127.0.0.1:${server.port}`,
        Origin: "http://evil.example",
        "Content-Type": "application/json",
        "X-Policylayer-Token": server.token,
      },
      body: JSON.stringify({ id: submitted.id, approved: true }),
    });
    expect(answer.status).toBe(403);
    expect(listPending(dir).map((entry) => entry.id)).toEqual([submitted.id]);
    inbox.close();
  });

  it("announces itself while it runs, without the token, so a wrap can point people to it", async () => {
    const dir = stateFolder();
    expect(runningApprovalPage(dir)).toBeNull();
    server = await startApprovalServer({ dir });
    expect(runningApprovalPage(dir)).toEqual({
      address: `http://127.0.0.1:${server.port}/`,
      pid: process.pid,
    });
    await server.close();
    server = null;
    expect(runningApprovalPage(dir)).toBeNull();
  });

  it("names the flag and the bad value for a port out of range", async () => {
    await expect(startApprovalServer({ dir: stateFolder(), port: 70000 })).rejects.toThrow(
      "approval page: --port must be a whole number from 1 to 65535, got 70000",
    );
  });

  it("replaces a web-token file that others could read, and never uses the old token", async () => {
    const dir = stateFolder();
    server = await startApprovalServer({ dir });
    const old = server.token;
    await server.close();
    const file = join(dir, "approvals", "web-token");
    chmodSync(file, 0o644);
    server = await startApprovalServer({ dir });
    expect(server.token).not.toBe(old);
    expect(server.tokenReplaced).toBe(
      `${file} had mode 0644, so others could read the token; it was replaced with a new one (mode 0600)`,
    );
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, "utf8").trim()).toBe(server.token);
    const host = `127.0.0.1:${server.port}`;
    const withOld = await rawRequest(server.port, {
      path: "/api/state",
      headers: { Host: host, "X-Policylayer-Token": old },
    });
    expect(withOld.status).toBe(403);
  });

  it("refuses a web-token that is a link", async () => {
    const dir = stateFolder();
    server = await startApprovalServer({ dir });
    await server.close();
    server = null;
    const file = join(dir, "approvals", "web-token");
    const elsewhere = join(dir, "elsewhere-token");
    renameSync(file, elsewhere);
    symlinkSync(elsewhere, file);
    await expect(startApprovalServer({ dir })).rejects.toThrow(
      `approval page: ${file} is not a regular file (a link or a folder); remove it and a new token is made`,
    );
  });

  it("says on stderr when policylayer approvals --web replaced a readable token file", async () => {
    const dir = stateFolder();
    const first = await startWebCommand(dir);
    first.child.kill("SIGTERM");
    await new Promise((resolve) => first.child.once("exit", resolve));
    chmodSync(join(dir, "approvals", "web-token"), 0o640);
    const second = await startWebCommand(dir);
    let stderr = "";
    second.child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
    });
    await expect
      .poll(() => stderr, { timeout: 15_000, message: "wrap to warn about the wide token file" })
      .toContain("had mode 0640, so others could read the token");
    expect(second.url).not.toBe(first.url);
    second.child.kill("SIGTERM");
    await new Promise((resolve) => second.child.once("exit", resolve));
  });

  it("makes a new token at every start, and the last one opens nothing", async () => {
    const dir = stateFolder();
    server = await startApprovalServer({ dir });
    const first = server.token;
    await server.close();
    server = await startApprovalServer({ dir });
    expect(server.token).not.toBe(first);
    expect(server.token).toMatch(/^[0-9a-f]{64}$/);
    expect(readFileSync(join(dir, "approvals", "web-token"), "utf8").trim()).toBe(server.token);
    const withFirst = await rawRequest(server.port, {
      path: "/api/state",
      headers: { Host: `127.0.0.1:${server.port}`, "X-Policylayer-Token": first },
    });
    expect(withFirst.status).toBe(403);
  });
});

/** Starts `policylayer approvals --web --no-open` and reads the address it prints. */
async function startWebCommand(dir: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [policylayerBin, "approvals", "--web", "--no-open"], {
    env: { ...process.env, POLICYLAYER_STATE_DIR: dir },
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (child.stdout === null) throw new Error("no stdout pipe");
  const first = await createInterface({ input: child.stdout })[Symbol.asyncIterator]().next();
  if (first.done) throw new Error("policylayer approvals --web exited without printing its address");
  return { url: first.value, child };
}

describe("the approval page in Chromium", () => {
  it("approves one call and denies another, each in its own wrap process, and shows both as recent", async () => {
    const dir = stateFolder();
    const inbox = ApprovalInbox.open(dir);
    const approveMe = inbox.submit(
      pendingInput({
        server: "sagemaker",
        tool: "manage_hyperpod_stacks",
        arguments: { operation: "deploy", note: "<img src=x onerror=alert(1)>" },
      }),
    );
    const denyMe = await spawnSubmitter(
      dir,
      pendingInput({ server: "filesystem", tool: "write_file", arguments: { path: "/etc/hosts" } }),
    );
    const web = await startWebCommand(dir);
    expect(web.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?nonce=[0-9a-f]{64}$/);

    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const dialogs: string[] = [];
      page.on("dialog", (dialog) => {
        dialogs.push(dialog.message());
        void dialog.dismiss();
      });
      await page.goto(web.url);
      const approveRow = page.locator(`li.pending[data-id="${approveMe.id}"]`);
      const denyRow = page.locator(`li.pending[data-id="${denyMe.id}"]`);
      await expect
        .poll(() => approveRow.count(), { timeout: 15_000, message: "the approved row in the page" })
        .toBe(1);
      await expect
        .poll(() => denyRow.count(), { timeout: 15_000, message: "the denied row in the page" })
        .toBe(1);
      // Arguments are shown as text, one key per line: markup in them stays inert.
      expect(await approveRow.locator("ul.args li").allTextContents()).toEqual([
        '"operation": "deploy"',
        '"note": "<img src=x onerror=alert(1)>"',
      ]);
      expect(await approveRow.locator("img").count()).toBe(0);

      await approveRow.getByRole("button", { name: "Approve" }).click();
      await expect(approveMe.decision).resolves.toMatchObject({
        approved: true,
        decidedBy: `web:${localUserName()}`,
      });

      await denyRow.getByRole("textbox").fill("hosts stay as they are");
      await denyRow.getByRole("button", { name: "Deny" }).click();
      await expect(denyMe.decision).resolves.toMatchObject({
        approved: false,
        note: "hosts stay as they are",
      });

      // Decided calls keep their places while the pointer is over the list; it leaves.
      await page.mouse.move(1, 1);
      await expect
        .poll(() => page.locator("li.pending").count(), {
          timeout: 15_000,
          message: "no pending row left in the page",
        })
        .toBe(0);
      await expect
        .poll(() => page.locator("#empty").isVisible(), {
          timeout: 15_000,
          message: "the page to say nothing is waiting",
        })
        .toBe(true);
      await expect
        .poll(() => page.locator("li.recent").allTextContents())
        .toEqual([
          expect.stringMatching(/^denied filesystem › write_file by web:.*: hosts stay as they are$/),
          expect.stringMatching(/^approved sagemaker › manage_hyperpod_stacks by web:/),
        ]);

      // A call submitted while the page is open appears without a reload.
      const later = inbox.submit(pendingInput({ tool: "later" }));
      await expect
        .poll(() => page.locator(`li.pending[data-id="${later.id}"]`).count(), {
          timeout: 15_000,
          message: "the later call to appear in the page",
        })
        .toBe(1);
      later.withdraw("no answer within 120 s");
      await expect
        .poll(() => page.locator("li.pending").count(), {
          timeout: 15_000,
          message: "no pending row left in the page",
        })
        .toBe(0);
      expect(dialogs).toEqual([]);
    } finally {
      await browser.close();
      web.child.kill("SIGTERM");
      inbox.close();
    }
    const [code] = await new Promise<[number | null]>((resolve) =>
      web.child.once("exit", (exitCode) => resolve([exitCode])),
    );
    expect(code).toBe(0);
  });

  it("shows hostile names and arguments as visible marks, every key in view, and long values behind an expander", async () => {
    const dir = stateFolder();
    const inbox = ApprovalInbox.open(dir);
    const padding: Record<string, string> = {};
    for (let index = 0; index < 40; index += 1) padding[`pad${index}`] = "";
    const hostile = inbox.submit(
      pendingInput({
        tool: `${CURSOR_UP_ERASE}${FORGED_LINES}`,
        arguments: {
          stack: RTL_OVERRIDE,
          env: ZERO_WIDTH,
          mode: C1_CSI,
          forged: FORGED_CUT,
          marked: FORGED_MARK,
          ...padding,
          after: "the padding keys",
        },
        reason: `reason${RTL_OVERRIDE}`,
      }),
    );
    const spaced = inbox.submit(
      pendingInput({
        tool: "write_file",
        arguments: { note: `${" ".repeat(400)}rm -rf /`, path: "/etc/hosts" },
      }),
    );
    const numbers = inbox.submit(
      pendingInput({
        tool: "transfer",
        arguments: {
          amount: new ExactNumber("12345678901234567890"),
          id: new ExactNumber("9007199254740993"),
          price: new ExactNumber("1e400"),
          zero: new ExactNumber("-0.0"),
        },
      }),
    );
    const web = await startWebCommand(dir);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 900, height: 700 } });
      await page.goto(web.url);
      const row = page.locator(`li.pending[data-id="${hostile.id}"]`);
      await row.waitFor();

      // Numbers a JavaScript number would change are shown with the digits that were decided on.
      const numbersRow = page.locator(`li.pending[data-id="${numbers.id}"]`);
      expect(await numbersRow.locator("ul.args > li").allTextContents()).toEqual([
        '"amount": 12345678901234567890',
        '"id": 9007199254740993',
        '"price": 1e400',
        '"zero": -0.0',
      ]);

      const title = (await row.locator(".title").textContent()) ?? "";
      expect(title).not.toMatch(RAW_HIDDEN);
      expect(title).toBe(
        // The tool name's spaces are marks too: a name never reads as more than one word.
        'recording › drop⟨U+001B⟩[1A⟨U+001B⟩[2K⟨U+000D⟩safe_toolx⟨U+000A⟩⟨U+0020⟩⟨U+0020⟩arguments:⟨U+0020⟩{"path":"/tmp/ok"}⟨U+000A⟩⟨U+0020⟩⟨U+0020⟩why:⟨U+0020⟩routine⟨U+0020⟩cleanup,⟨U+0020⟩safe',
      );
      const items = await row.locator("ul.args > li").allTextContents();
      for (const item of items) expect(item).not.toMatch(RAW_HIDDEN);
      expect(items.slice(0, 5)).toEqual([
        '"stack": "⟨U+202E⟩dorp-tset"',
        '"env": "pro⟨U+200B⟩d"',
        '"mode": "a⟨U+009B⟩2Jb"',
        // Our marks written into a value read as text, never as a cut or a hidden character.
        '"forged": "/tmp/ok…⟨U+27E8⟩9000 more characters⟨U+27E9⟩"',
        '"marked": "rm -rf /tmp/cache⟨U+27E8⟩U+202E⟨U+27E9⟩"',
      ]);
      expect(items).toHaveLength(46);
      expect(items.at(-1)).toBe('"after": "the padding keys"');
      // The key after the padding is laid out on the page (the list is not clipped): scroll to it and see it.
      const after = row.locator("ul.args > li").last();
      await after.scrollIntoViewIfNeeded();
      expect(await after.isVisible()).toBe(true);
      const clipped = await row
        .locator("ul.args")
        .evaluate((list) => list.scrollHeight > list.clientHeight + 1);
      expect(clipped).toBe(false);
      expect(await row.locator(".why").textContent()).toBe("Why: reason⟨U+202E⟩dorp-tset");
      expect(await row.locator("details.whole").count()).toBe(0);

      // 400 spaces: the value is shortened with a marker; the expander shows it whole, wrapped, nothing out of view.
      const spacedRow = page.locator(`li.pending[data-id="${spaced.id}"]`);
      const summary = spacedRow.locator("ul.args").first().locator("li");
      expect(await summary.allTextContents()).toEqual([
        `"note": "${" ".repeat(199)}…⟨210 more characters⟩`,
        '"path": "/etc/hosts"',
      ]);
      const whole = spacedRow.locator("details.whole");
      expect(await whole.locator("ul.args li").first().isVisible()).toBe(false);
      await whole.locator("summary").click();
      const wholeNote = whole.locator("ul.args li").first();
      expect(await wholeNote.textContent()).toBe(`"note": ${JSON.stringify(`${" ".repeat(400)}rm -rf /`)}`);
      expect(await wholeNote.isVisible()).toBe(true);
      const overflows = await wholeNote.evaluate((item) => item.scrollWidth > item.clientWidth + 1);
      expect(overflows).toBe(false);
    } finally {
      await browser.close();
      web.child.kill("SIGTERM");
      inbox.close();
    }
  });

  it("shortens a key of thousands of spaces with a marker, so the keys after it stay in view", async () => {
    const dir = stateFolder();
    const inbox = ApprovalInbox.open(dir);
    const longKey = inbox.submit(
      pendingInput({ arguments: { [" ".repeat(20_000)]: "", target: "prod", force: true } }),
    );
    const web = await startWebCommand(dir);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 900, height: 700 } });
      await page.goto(web.url);
      const row = page.locator(`li.pending[data-id="${longKey.id}"]`);
      await row.waitFor();
      const items = row.locator("ul.args").first().locator("li");
      expect(await items.allTextContents()).toEqual([
        `"${" ".repeat(199)}…⟨19802 more characters⟩: ""`,
        '"target": "prod"',
        '"force": true',
      ]);
      // The key after the long one is on the first screen, without scrolling.
      const target = await items.nth(1).boundingBox();
      expect(target?.y ?? Number.POSITIVE_INFINITY).toBeLessThan(700);
      const whole = row.locator("details.whole");
      await whole.locator("summary").click();
      expect(await whole.locator("ul.args li").first().textContent()).toBe(
        `${JSON.stringify(" ".repeat(20_000))}: ""`,
      );
    } finally {
      await browser.close();
      web.child.kill("SIGTERM");
      inbox.close();
    }
  });

  it("shortens a tool name of thousands of characters with a marker, and the expander shows it whole", async () => {
    const dir = stateFolder();
    const inbox = ApprovalInbox.open(dir);
    const longName = inbox.submit(pendingInput({ tool: `delete_stack${" ".repeat(20_000)}` }));
    const web = await startWebCommand(dir);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 900, height: 700 } });
      await page.goto(web.url);
      const row = page.locator(`li.pending[data-id="${longName.id}"]`);
      await row.waitFor();
      expect(await row.locator(".title").textContent()).toBe(
        `recording › delete_stack${"⟨U+0020⟩".repeat(188)}…⟨19812 more characters⟩`,
      );
      // The arguments below the name are on the first screen.
      const firstArgument = await row.locator("ul.args li").first().boundingBox();
      expect(firstArgument?.y ?? Number.POSITIVE_INFINITY).toBeLessThan(700);
      const whole = row.locator("details.whole");
      await whole.locator("summary").click();
      expect(await whole.locator(".whole-tool").textContent()).toBe(
        `tool: delete_stack${"⟨U+0020⟩".repeat(20_000)}`,
      );
    } finally {
      await browser.close();
      web.child.kill("SIGTERM");
      inbox.close();
    }
  });

  it("lays every value out in the order it was sent: right-to-left text reorders nothing around it", async () => {
    const dir = stateFolder();
    const inbox = ApprovalInbox.open(dir);
    const steps = inbox.submit(
      pendingInput({
        // U+05C3, a Hebrew punctuation mark that looks like a colon: no control character, nothing to mark.
        tool: "delete_\u0430ll",
        arguments: {
          steps: ["\u05c3", { run: "rm -rf /data" }, { run: "tar czf /backup/data.tgz /data" }],
          pair: ["\u05d0\u05d1", "\u05d2\u05d3"],
          note: `ok${"\u030d".repeat(190)}`,
        },
      }),
    );
    const web = await startWebCommand(dir);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 700 } });
      await page.goto(web.url);
      const row = page.locator(`li.pending[data-id="${steps.id}"]`);
      await row.waitFor();
      // A look-alike letter in a tool name is a mark: the name never reads as delete_all.
      expect(await row.locator(".title").textContent()).toBe("recording › delete_⟨U+0430⟩ll");
      const items = row.locator("ul.args > li");
      /** Where each of `texts` starts on screen, left to right, in the list item `index`. */
      const leftOf = (index: number, texts: string[]) =>
        items.nth(index).evaluate((item, wanted) => {
          const lefts: number[] = [];
          for (const text of wanted) {
            const walker = document.createTreeWalker(item, NodeFilter.SHOW_TEXT);
            let found: Node | null = null;
            for (let at = walker.nextNode(); at !== null && found === null; at = walker.nextNode())
              if ((at.textContent ?? "").includes(text)) found = at;
            if (found === null) throw new Error(`no text node holds ${text}`);
            const range = document.createRange();
            const start = (found.textContent ?? "").indexOf(text);
            range.setStart(found, start);
            range.setEnd(found, start + text.length);
            lefts.push(range.getBoundingClientRect().left);
          }
          return lefts;
        }, texts);
      const [mark, remove, backup] = await leftOf(0, ["\u05c3", "rm -rf /data", "tar czf"]);
      expect(mark).toBeLessThan(remove as number);
      expect(remove).toBeLessThan(backup as number);
      const [first, second] = await leftOf(1, ["\u05d0\u05d1", "\u05d2\u05d3"]);
      expect(first).toBeLessThan(second as number);
      // Combining marks past the fourth on one letter are marks: they cannot draw over other lines.
      expect(await items.nth(2).textContent()).toBe(
        `"note": "ok${"\u030d".repeat(4)}${"⟨U+030D⟩".repeat(186)}"`,
      );
    } finally {
      await browser.close();
      web.child.kill("SIGTERM");
      inbox.close();
    }
  });
});

describe("the approval page binds each button to the call shown beside it", () => {
  it("keeps a withdrawn call's place while the pointer is over the list, so a click meant for one call never lands on the next", async () => {
    const dir = stateFolder();
    const inbox = ApprovalInbox.open(dir);
    const [first, meant, next] = ["list_a", "list_b", "drop_c"].map((tool) =>
      inbox.submit(pendingInput({ tool, arguments: { stack: "prod" } })),
    ) as [SubmittedApproval, SubmittedApproval, SubmittedApproval];
    const web = await startWebCommand(dir);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 900, height: 900 } });
      await page.goto(web.url);
      for (const call of [first, meant, next])
        await page.locator(`li.pending[data-id="${call.id}"]`).waitFor();
      const approveMeant = page.locator(`li.pending[data-id="${meant.id}"] button.approve`);
      const box = await approveMeant.boundingBox();
      if (box === null) throw new Error("the Approve button of the meant call has no box");
      const [x, y] = [box.x + box.width / 2, box.y + box.height / 2];
      // The person aims at the meant call's Approve; the agent withdraws the call above it.
      await page.mouse.move(x, y);
      first.withdraw("the client cancelled the call");
      await expect
        .poll(() => page.locator(`li.pending[data-id="${first.id}"] button:enabled`).count(), {
          timeout: 15_000,
          message: "the page to see the first call withdrawn",
        })
        .toBe(0);
      await page.mouse.click(x, y);
      await expect
        .poll(() => listPending(dir).length, { timeout: 15_000, message: "the click to decide one call" })
        .toBe(1);
      // The call left waiting is the one below: the click approved the call it was aimed at.
      expect(listPending(dir).map((entry) => entry.id)).toEqual([next.id]);
      await expect(
        within(meant.decision, 15_000, "the meant call's decision in its wrap"),
      ).resolves.toMatchObject({ approved: true });
      // A second click on the same spot (a double click) lands on the decided call's place, not the next call.
      await expect
        .poll(() => page.locator(`li.pending.gone[data-id="${meant.id}"]`).count(), {
          timeout: 15_000,
          message: "the page to see the meant call decided",
        })
        .toBe(1);
      await page.mouse.click(x, y);
      const nextRow = page.locator(`li.pending[data-id="${next.id}"]`);
      expect(await nextRow.locator("button:disabled").count()).toBe(0);
      expect(await nextRow.locator(".message").textContent()).toBe("");
      // Once the pointer leaves the list, the places of calls that no longer wait are given up.
      await page.mouse.move(1, 1);
      await expect
        .poll(() => page.locator("li.pending").count(), {
          timeout: 15_000,
          message: "only the waiting call left in the page",
        })
        .toBe(1);
    } finally {
      await browser.close();
      web.child.kill("SIGTERM");
      inbox.close();
    }
  });
});

describe("the approval page's one-time addresses", () => {
  /** Opens `address` as a browser would and returns the status, the cookie it set, and the cookie header to send back. */
  async function open(port: number, address: string) {
    const answer = await rawRequest(port, {
      path: new URL(address).pathname + new URL(address).search,
      headers: { Host: `127.0.0.1:${port}` },
    });
    const setCookie = answer.headers["set-cookie"]?.[0] ?? "";
    return { ...answer, setCookie, cookie: setCookie.split(";")[0] ?? "" };
  }

  it("trades an address once for an HttpOnly, SameSite=Strict cookie that opens the API", async () => {
    server = await startApprovalServer({ dir: stateFolder() });
    const opened = await open(server.port, server.pageAddress(60_000));
    expect(opened.status).toBe(303);
    expect(opened.headers.location).toBe("/");
    expect(opened.setCookie).toMatch(
      new RegExp(`^policylayer_${server.port}=[0-9a-f]{64}; HttpOnly; SameSite=Strict; Path=/$`),
    );
    const host = `127.0.0.1:${server.port}`;
    for (const path of ["/", "/api/state"]) {
      const answer = await rawRequest(server.port, { path, headers: { Host: host, Cookie: opened.cookie } });
      expect([path, answer.status]).toEqual([path, 200]);
    }
    // The session is not the token, and the token file never learns it.
    expect(opened.cookie).not.toContain(server.token);
  });

  it("ends the session of an address opened twice, and says so on stderr", async () => {
    const warnings: string[] = [];
    server = await startApprovalServer({ dir: stateFolder(), warn: (message) => warnings.push(message) });
    const address = server.pageAddress(60_000);
    const first = await open(server.port, address);
    const second = await open(server.port, address);
    expect(second.status).toBe(403);
    expect(JSON.parse(second.body).message).toMatch(
      /^this address was opened twice, so someone else may have seen it/,
    );
    const api = await rawRequest(server.port, {
      path: "/api/state",
      headers: { Host: `127.0.0.1:${server.port}`, Cookie: first.cookie },
    });
    expect(api.status).toBe(403);
    expect(warnings).toEqual([expect.stringMatching(/^approval page: this address was opened twice/)]);
  });

  it("refuses an address past its time", async () => {
    let now = 1_000_000;
    server = await startApprovalServer({ dir: stateFolder(), now: () => now });
    const address = server.pageAddress(60_000);
    now += 60_000;
    const late = await open(server.port, address);
    expect(late.status).toBe(403);
    expect(JSON.parse(late.body).message).toMatch(/^this address has expired/);
  });

  it("refuses a decision that comes by cookie without an Origin header", async () => {
    const dir = stateFolder();
    server = await startApprovalServer({ dir });
    const inbox = ApprovalInbox.open(dir);
    const submitted = inbox.submit(pendingInput());
    const { cookie } = await open(server.port, server.pageAddress(60_000));
    const answer = await rawRequest(server.port, {
      method: "POST",
      path: "/api/decisions",
      headers: { Host: `127.0.0.1:${server.port}`, Cookie: cookie, "Content-Type": "application/json" },
      body: JSON.stringify({ id: submitted.id, approved: true }),
    });
    expect(answer.status).toBe(403);
    expect(listPending(dir).map((entry) => entry.id)).toEqual([submitted.id]);
    inbox.close();
  });

  it.runIf(process.platform === "linux")(
    "gives the browser's command line a one-time address, never the token",
    async () => {
      const dir = stateFolder();
      const bin = join(dir, "bin");
      mkdirSync(bin);
      const received = join(dir, "xdg-open.json");
      writeFileSync(
        join(bin, "xdg-open"),
        `#!${process.execPath}\nrequire("node:fs").writeFileSync(${JSON.stringify(received)}, JSON.stringify(process.argv.slice(2)));\n`,
        { mode: 0o755 },
      );
      const child = spawn(process.execPath, [policylayerBin, "approvals", "--web"], {
        env: { ...process.env, POLICYLAYER_STATE_DIR: dir, PATH: `${bin}:${process.env.PATH ?? ""}` },
        stdio: ["ignore", "pipe", "pipe"],
      });
      try {
        // Polled until the file holds its whole JSON: existsSync alone can see it created but still empty.
        const written = () => (existsSync(received) ? readFileSync(received, "utf8") : "");
        await expect
          .poll(() => written().endsWith("]"), {
            timeout: 15_000,
            message: "the stand-in xdg-open to write its arguments",
          })
          .toBe(true);
        const argv: string[] = JSON.parse(written());
        const token = readFileSync(join(dir, "approvals", "web-token"), "utf8").trim();
        expect(argv).toEqual([expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/\?nonce=[0-9a-f]{64}$/)]);
        expect(argv.join(" ")).not.toContain(token);
        const address = argv[0] as string;
        const port = Number(new URL(address).port);
        expect((await open(port, address)).status).toBe(303);
        expect((await open(port, address)).status).toBe(403);
      } finally {
        child.kill("SIGTERM");
        await new Promise((resolve) => child.once("exit", resolve));
      }
    },
  );

  it.skipIf(!asRoot || process.platform !== "linux")(
    "serves no other local user, who could read an opened address off the browser's command line: they can neither approve nor spend it",
    async () => {
      const dir = stateFolder();
      server = await startApprovalServer({ dir });
      const inbox = ApprovalInbox.open(dir);
      const submitted = inbox.submit(pendingInput());
      const address = server.pageAddress(60_000);

      expect(await asOtherUser(address, submitted.id)).toEqual({ opened: 403, posted: null });
      expect(listPending(dir).map((entry) => entry.id)).toEqual([submitted.id]);

      // The person's own browser still opens the address (it was not spent) and sees the call.
      const browser = await launchChromium();
      try {
        const page = await browser.newPage();
        await page.goto(address);
        await expect
          .poll(() => page.locator(`li.pending[data-id="${submitted.id}"]`).count(), {
            timeout: 15_000,
            message: "the waiting call in the person's own browser",
          })
          .toBe(1);
      } finally {
        await browser.close();
      }
      inbox.close();
    },
  );
});
