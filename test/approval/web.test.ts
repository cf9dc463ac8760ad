import { type ChildProcess, spawn } from "node:child_process";
import { request } from "node:http";
import { createInterface } from "node:readline";
import { afterEach, describe, expect, it } from "vitest";
import { listPending, localUserName } from "../../src/approval/inbox-answer.js";
import { ApprovalInbox } from "../../src/approval/inbox-wait.js";
import { type ApprovalServer, runningApprovalPage, startApprovalServer } from "../../src/approval/web.js";
import { policylayerBin } from "../helpers/paths.js";
import { launchChromium, pendingInput, spawnSubmitter, useStateDir } from "./helpers.js";

const stateFolder = useStateDir();

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
  it("refuses requests without the right token with 403", async () => {
    server = await startApprovalServer({ dir: stateFolder() });
    const host = `127.0.0.1:${server.port}`;
    expect((await rawRequest(server.port, { path: "/", headers: { Host: host } })).status).toBe(403);
    expect((await rawRequest(server.port, { path: "/?token=0123", headers: { Host: host } })).status).toBe(
      403,
    );
    expect((await rawRequest(server.port, { path: "/api/state", headers: { Host: host } })).status).toBe(403);
    // The page's query token does not open the API: it takes the header only.
    const viaQuery = await rawRequest(server.port, {
      path: `/api/state?token=${server.token}`,
      headers: { Host: host },
    });
    expect(viaQuery.status).toBe(403);
    const page = await rawRequest(server.port, { path: `/?token=${server.token}`, headers: { Host: host } });
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
      path: `/?token=${server.token}`,
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

  it("keeps the same token for the same user across restarts", async () => {
    const dir = stateFolder();
    server = await startApprovalServer({ dir });
    const first = server.token;
    await server.close();
    server = await startApprovalServer({ dir });
    expect(server.token).toBe(first);
    expect(first).toMatch(/^[0-9a-f]{64}$/);
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
    expect(web.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{64}$/);

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
      await expect.poll(() => approveRow.count()).toBe(1);
      await expect.poll(() => denyRow.count()).toBe(1);
      // Arguments are shown as text, pretty-printed: markup in them stays inert.
      expect(await approveRow.locator("pre").textContent()).toBe(
        JSON.stringify({ operation: "deploy", note: "<img src=x onerror=alert(1)>" }, null, 2),
      );
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

      await expect.poll(() => page.locator("li.pending").count()).toBe(0);
      await expect.poll(() => page.locator("#empty").isVisible()).toBe(true);
      await expect
        .poll(() => page.locator("li.recent").allTextContents())
        .toEqual([
          expect.stringMatching(/^denied filesystem › write_file by web:.*: hosts stay as they are$/),
          expect.stringMatching(/^approved sagemaker › manage_hyperpod_stacks by web:/),
        ]);

      // A call submitted while the page is open appears without a reload.
      const later = inbox.submit(pendingInput({ tool: "later" }));
      await expect.poll(() => page.locator(`li.pending[data-id="${later.id}"]`).count()).toBe(1);
      later.withdraw("no answer within 120 s");
      await expect.poll(() => page.locator("li.pending").count()).toBe(0);
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
});
