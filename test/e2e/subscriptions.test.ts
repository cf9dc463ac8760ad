import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { connectModern, type ModernConnected, wrapCommand } from "../helpers/modern-client.js";
import { modernServer } from "../helpers/paths.js";
import { RawSession } from "../helpers/raw-session.js";
import { tempDir, writePolicy } from "../helpers/tmp.js";

// In 2026-07-28, list changes flow only on an open subscriptions/listen request; a reload of the
// policy that changes hiding changes the list the client sees, so it is announced there.
const META = {
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientCapabilities": {},
};
const HIDE_ECHO = "version: 1\ndefault: allow\nrules:\n  - tool: echo\n    action: deny\n    hide: true\n";

let dir: { path: string; cleanup: () => void };
let policyPath: string;
let wrapFlags: string[];

beforeEach(() => {
  dir = tempDir();
  policyPath = writePolicy(dir.path, "version: 1\ndefault: allow\n");
  wrapFlags = ["--policy", policyPath, "--audit", join(dir.path, "a.jsonl")];
});
afterEach(() => dir.cleanup());

/** Resolves when `register` calls its callback; fails after `ms` naming what it waited for. */
function within<T>(ms: number, what: string, register: (done: (value: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`waited ${ms} ms for ${what}`)), ms);
    register((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

describe("subscriptions/listen through wrap (2026-07-28)", () => {
  let connected: ModernConnected | undefined;
  afterEach(async () => {
    await connected?.close();
    connected = undefined;
  });

  it("announces a reload that hides a tool on the open listen stream, and the new list hides it", async () => {
    let announced: ((subscriptionId: unknown) => void) | null = null;
    connected = await connectModern(
      wrapCommand(wrapFlags, [process.execPath, modernServer]),
      {},
      {
        beforeConnect: (client) =>
          client.setNotificationHandler("notifications/tools/list_changed", async (notification) =>
            announced?.(notification.params?._meta?.["io.modelcontextprotocol/subscriptionId"]),
          ),
      },
    );
    const { client } = connected;
    expect((await client.listTools()).tools.map((tool) => tool.name)).toContain("echo");
    const subscription = await client.listen({ toolsListChanged: true });
    expect(subscription.honoredFilter).toEqual({ toolsListChanged: true });
    const changed = within<unknown>(
      10_000,
      "notifications/tools/list_changed on the listen stream",
      (done) => {
        announced = done;
      },
    );
    writeFileSync(policyPath, HIDE_ECHO);
    // Carried on the stream (its subscriptionId), not unsolicited.
    expect(await changed).toEqual(expect.any(String));
    const names = (await client.listTools()).tools.map((tool) => tool.name);
    expect(names).not.toContain("echo");
    expect(names).toContain("delete_stack");
    await subscription.close();
  });
});

describe("a listen stream on the wire", () => {
  let session: RawSession;
  afterEach(async () => {
    session.closeInput();
    await session.exited;
  });

  beforeEach(() => {
    session = new RawSession([...wrapFlags, "--", process.execPath, modernServer]);
  });

  it("carries our announcement with the stream's subscriptionId, and no unsolicited one goes out", async () => {
    session.send({
      jsonrpc: "2.0",
      id: "listen:0",
      method: "subscriptions/listen",
      params: { _meta: META, notifications: { toolsListChanged: true } },
    });
    expect(await session.next()).toMatchObject({
      method: "notifications/subscriptions/acknowledged",
      params: { _meta: { "io.modelcontextprotocol/subscriptionId": "listen:0" } },
    });
    writeFileSync(policyPath, HIDE_ECHO);
    expect(await session.next()).toEqual({
      jsonrpc: "2.0",
      method: "notifications/tools/list_changed",
      params: { _meta: { "io.modelcontextprotocol/subscriptionId": "listen:0" } },
    });
  });

  it("drops a cancelled listen from its pending requests: no late error for it", async () => {
    session.send({
      jsonrpc: "2.0",
      id: "listen:0",
      method: "subscriptions/listen",
      params: { _meta: META, notifications: { toolsListChanged: true } },
    });
    await session.next();
    session.send({
      jsonrpc: "2.0",
      method: "notifications/cancelled",
      params: { requestId: "listen:0", _meta: META },
    });
    // A request after the cancellation, answered, shows the cancellation was read first.
    const listed = await session.request(1, "tools/list", { _meta: META });
    expect(listed.result).toBeDefined();
    writeFileSync(policyPath, HIDE_ECHO);
    await session.waitForStderr(/policy reloaded/);
    session.closeInput();
    await session.exited;
    expect(session.unread().filter((message) => JSON.stringify(message).includes("listen:0"))).toEqual([]);
  });
});
