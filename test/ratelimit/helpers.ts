import { join } from "node:path";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { execa } from "execa";
import { afterEach } from "vitest";
import { LocalLimitStore } from "../../src/ratelimit/local-store.js";
import { type Connected, connectThroughProxy } from "../helpers/clients.js";
import { npmServer, policylayerBin } from "../helpers/paths.js";
import { tempDir } from "../helpers/tmp.js";

/** The wraps and folders a test opens, closed and removed after each test of the file that calls this. */
export function closedAfterEach(): { opened: Connected[]; dirs: { cleanup: () => void }[] } {
  const opened: Connected[] = [];
  const dirs: { cleanup: () => void }[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((connected) => connected.close()));
    for (const dir of dirs.splice(0)) dir.cleanup();
  });
  return { opened, dirs };
}

/** A wrap of server-everything whose state directory (its "machine") is `stateDir`. */
export function wrapOnMachine(
  policyPath: string,
  stateDir: string,
  env: Record<string, string> = {},
  server: string[] = npmServer("everything", "stdio"),
): Promise<Connected> {
  return connectThroughProxy(["--policy", policyPath, "--audit", join(stateDir, "audit.jsonl")], server, {
    POLICYLAYER_STATE_DIR: stateDir,
    POLICYLAYER_REDIS_URL: "",
    ...env,
  });
}

/** What a call met: "pass" when the server answered, else the denial's text. */
export async function callOutcome(
  client: Client,
  name: string,
  args: Record<string, unknown>,
): Promise<string> {
  const result = await client.callTool({ name, arguments: args });
  const content = Array.isArray(result.content) ? result.content : [];
  const text = content.map((item) => (typeof item?.text === "string" ? item.text : "")).join("");
  return result.isError === true && text.startsWith("policylayer blocked") ? text : "pass";
}

/** How many outcomes passed. */
export function passes(outcomes: readonly string[]): number {
  return outcomes.filter((outcome) => outcome === "pass").length;
}

/** Runs `policylayer ...args` on the machine whose state directory is `stateDir`. */
export async function cliOn(
  stateDir: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const result = await execa(process.execPath, [policylayerBin, ...args], {
    reject: false,
    env: { POLICYLAYER_POLICY: "", POLICYLAYER_STATE_DIR: stateDir, POLICYLAYER_REDIS_URL: "", ...env },
    timeout: 60_000,
  });
  return { exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** `policylayer limits --json` on that machine, parsed. */
export async function limitsJson(stateDir: string, policyPath: string, env: Record<string, string> = {}) {
  const run = await cliOn(stateDir, ["limits", "--policy", policyPath, "--json"], env);
  if (run.exitCode !== 0) throw new Error(`policylayer limits failed (${run.exitCode}): ${run.stderr}`);
  return JSON.parse(run.stdout) as Record<string, unknown>[];
}

/** The item at `index`, failing the test when there is none. */
export function nth<T>(items: readonly T[], index: number): T {
  const item = items[index];
  if (item === undefined) throw new Error(`expected an item at index ${index} of ${items.length}`);
  return item;
}

/** A local store on a fresh file whose clock the test sets; `cleanups` gets what closes and removes it. */
export function localStoreAt(
  clock: { ms: number },
  cleanups: (() => void | Promise<void>)[],
): LocalLimitStore {
  const dir = tempDir();
  cleanups.push(dir.cleanup);
  const store = LocalLimitStore.open(join(dir.path, "limits.db"), () => clock.ms);
  cleanups.push(() => store.close());
  return store;
}
