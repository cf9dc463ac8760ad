import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectDirect, connectThroughProxy } from "../helpers/clients.js";
import { connectModern, wrapCommand } from "../helpers/modern-client.js";
import { modernServer, recordingServer } from "../helpers/paths.js";
import { tempDir, writePolicy } from "../helpers/tmp.js";

// A client and a server whose protocol eras do not meet fail directly; through wrap they must fail
// at least as clearly. wrap does not bridge the eras: it passes each side's own refusal through.
let dir: { path: string; cleanup: () => void };
let wrapFlags: string[];

beforeAll(() => {
  dir = tempDir();
  wrapFlags = [
    "--policy",
    writePolicy(dir.path, "version: 1\ndefault: allow\n"),
    "--audit",
    join(dir.path, "a.jsonl"),
  ];
});
afterAll(() => dir.cleanup());

/** The error a connect attempt ends with (it must end with one). */
async function connectError(connect: () => Promise<{ close: () => Promise<void> }>): Promise<Error> {
  try {
    const connected = await connect();
    await connected.close();
  } catch (error) {
    return error as Error;
  }
  throw new Error("the connection was expected to fail, and it succeeded");
}

describe("eras that do not meet", () => {
  it("a 2025-11-25 client and a 2026-07-28-only server fail through wrap with the server's own -32022", async () => {
    const server = [process.execPath, modernServer];
    const env = { MODERN_ONLY: "1" };
    const direct = await connectError(() => connectDirect(server, env));
    const proxied = await connectError(() => connectThroughProxy(wrapFlags, server, env));
    expect(direct.message).toContain("Unsupported protocol version");
    expect(proxied.message).toBe(direct.message);
  });

  it("a client pinned to 2026-07-28 and a legacy-only server fail through wrap as they do directly", async () => {
    const server = [process.execPath, recordingServer];
    const direct = await connectError(() => connectModern(server));
    const proxied = await connectError(() => connectModern(wrapCommand(wrapFlags, server)));
    expect(direct.message).toContain("did not offer pinned protocol version 2026-07-28");
    expect(proxied.message).toBe(direct.message);
  });
});
