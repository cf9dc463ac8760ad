// rediss:// against a real redis-server listening with TLS only (a certificate of its own, made
// here with openssl): wraps count there when Node trusts the certificate, and one that does not
// trust it starts, saying the store cannot be reached.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../helpers/redis.js";
import { tempDir, writePolicy } from "../helpers/tmp.js";
import { callOutcome, closedAfterEach, limitsJson, wrapOnMachine } from "./helpers.js";

const PASSWORD = "tls-pass";
const { opened, dirs } = closedAfterEach();
let folder: { path: string; cleanup: () => void };
let server: ChildProcess | null = null;
let port = 0;

beforeAll(async () => {
  folder = tempDir("policylayer-redis-tls-");
  const cert = join(folder.path, "cert.pem");
  const key = join(folder.path, "key.pem");
  execFileSync("openssl", [
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    key,
    "-out",
    cert,
    "-days",
    "1",
    "-subj",
    "/CN=localhost",
    "-addext",
    "subjectAltName=IP:127.0.0.1",
  ]);
  port = await freePort();
  const started = spawn(
    "redis-server",
    [
      ...["--port", "0", "--tls-port", String(port), "--bind", "127.0.0.1", "--dir", folder.path],
      ...["--tls-cert-file", cert, "--tls-key-file", key, "--tls-auth-clients", "no"],
      ...["--requirepass", PASSWORD, "--save", "", "--appendonly", "no"],
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  server = started;
  let output = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`redis-server with TLS did not say it was ready within 10 s:\n${output}`)),
      10_000,
    );
    started.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server with TLS exited with ${code} before it was ready:\n${output}`));
    });
    started.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
      if (output.includes("Ready to accept connections")) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
});

afterAll(async () => {
  const running = server;
  if (running !== null && running.exitCode === null)
    await new Promise<void>((resolve) => {
      running.once("exit", () => resolve());
      running.kill("SIGTERM");
    });
  folder?.cleanup();
});

/** A machine whose policy counts one global limit in the TLS Redis. */
function machine(): { dir: string; policy: string } {
  const dir = tempDir();
  dirs.push(dir);
  const policy = writePolicy(
    dir.path,
    `version: 1
default: deny
state: { store: redis, url: "rediss://:${PASSWORD}@127.0.0.1:${port}/0", key_prefix: "tls:" }
rules:
  - { id: echoes, tool: echo, action: allow, rate_limit: { max: 1, window: 600, scope: global } }
`,
  );
  return { dir: dir.path, policy };
}

describe("a Redis reached over TLS (rediss://)", () => {
  it("counts the calls of a wrap that trusts its certificate, and limits --json reads them", async () => {
    const { dir, policy } = machine();
    const trust = { NODE_EXTRA_CA_CERTS: join(folder.path, "cert.pem") };
    const connected = await wrapOnMachine(policy, dir, trust);
    opened.push(connected);
    expect(await callOutcome(connected.client, "echo", { message: "one" })).toBe("pass");
    expect(await callOutcome(connected.client, "echo", { message: "two" })).toContain(
      "rate limit of rule 1 (global scope): at most 1 calls in 600 s",
    );
    expect(await limitsJson(dir, policy, trust)).toEqual([
      expect.objectContaining({ id: "echoes", scope: "global", used: 1 }),
    ]);
  });

  it("starts a wrap that does not trust its certificate, says why the store cannot be reached, and denies the limited call", async () => {
    const { dir, policy } = machine();
    const connected = await wrapOnMachine(policy, dir);
    opened.push(connected);
    expect(connected.stderr()).toContain("the limit store cannot be reached");
    expect(connected.stderr()).toContain("self-signed certificate");
    expect(connected.stderr()).not.toContain(PASSWORD);
    expect(await callOutcome(connected.client, "echo", { message: "one" })).toContain(
      "the redis limit store cannot be reached",
    );
  });
});
