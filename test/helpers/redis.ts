import { type ChildProcess, spawn } from "node:child_process";
import { connect, createServer, type Socket } from "node:net";
import { join } from "node:path";
import { Redis } from "ioredis";
import { tempDir } from "./tmp.js";

/** A free TCP port on loopback (the kernel's choice; free when this resolves). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A real redis-server of Debian's package on a loopback port, with its own temporary folder. */
export interface RunningRedis {
  port: number;
  /** redis://[:password@]127.0.0.1:port/0 */
  url: string;
  /** Stops the server (SIGTERM) and waits until it has exited. */
  stop(): Promise<void>;
  /** Starts it again on the same port (its data is not kept: no persistence). */
  start(): Promise<void>;
  /** Freezes it (SIGSTOP): connections stay open, nothing is answered, as from a hung server. */
  pause(): void;
  /** Lets a paused server go on (SIGCONT): it answers what it was sent meanwhile. */
  resume(): void;
  /** Stops it and removes its folder. */
  cleanup(): Promise<void>;
}

/**
 * Starts redis-server on a free loopback port, resolving once it accepts connections. With
 * `cluster`, it is a one-node Redis Cluster that serves every slot: a script whose keys are in
 * different slots fails there with CROSSSLOT, as on any cluster. With `servedSlots` as well, it
 * serves only those (first and last), as one node of a cluster of several does.
 */
export async function startRedis(
  options: { password?: string; cluster?: boolean; servedSlots?: readonly [number, number] } = {},
): Promise<RunningRedis> {
  const dir = tempDir("policylayer-redis-");
  const port = await freePort();
  let child: ChildProcess | null = null;
  const args = [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--dir",
    dir.path,
    "--save",
    "",
    "--appendonly",
    "no",
  ];
  if (options.password) args.push("--requirepass", options.password);
  if (options.cluster)
    args.push("--cluster-enabled", "yes", "--cluster-config-file", join(dir.path, "nodes.conf"));
  const start = async () => {
    const started = spawn("redis-server", args, { stdio: ["ignore", "pipe", "pipe"] });
    child = started;
    let output = "";
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(new Error(`redis-server on port ${port} did not say it was ready within 10 s:\n${output}`)),
        10_000,
      );
      started.on("error", (error) => {
        clearTimeout(timer);
        reject(
          new Error(
            `redis-server could not be started (is Debian's redis-server installed?): ${error.message}`,
          ),
        );
      });
      started.on("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code} before it was ready:\n${output}`));
      });
      started.stdout?.on("data", (chunk: Buffer) => {
        output += chunk.toString("utf8");
        if (output.includes("Ready to accept connections")) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  };
  const stop = async () => {
    const running = child;
    child = null;
    if (running === null || running.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      running.once("exit", () => resolve());
      running.kill("SIGTERM");
      // A paused server acts on SIGTERM only once it runs again.
      running.kill("SIGCONT");
    });
  };
  const signal = (name: "SIGSTOP" | "SIGCONT") => {
    const running: ChildProcess | null = child;
    if (running === null || running.exitCode !== null)
      throw new Error(`redis-server on port ${port} is not running`);
    running.kill(name);
  };
  await start();
  if (options.cluster) await serveSlots(port, options.password, options.servedSlots ?? [0, 16383]);
  const auth = options.password ? `:${options.password}@` : "";
  return {
    port,
    url: `redis://${auth}127.0.0.1:${port}/0`,
    stop,
    start,
    pause: () => signal("SIGSTOP"),
    resume: () => signal("SIGCONT"),
    cleanup: async () => {
      await stop();
      dir.cleanup();
    },
  };
}

/** Gives a cluster node the slots `first` to `last`; with every slot, waits until it says the cluster is ok. */
async function serveSlots(
  port: number,
  password: string | undefined,
  [first, last]: readonly [number, number],
): Promise<void> {
  const client = new Redis({ port, host: "127.0.0.1", password, lazyConnect: true });
  try {
    await client.connect();
    await client.call("CLUSTER", "ADDSLOTSRANGE", String(first), String(last));
    if (first !== 0 || last !== 16383) return;
    const deadline = Date.now() + 10_000;
    while (!String(await client.call("CLUSTER", "INFO")).includes("cluster_state:ok")) {
      if (Date.now() > deadline)
        throw new Error(`the one-node cluster on port ${port} was not ok within 10 s`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    client.disconnect();
  }
}

/** A TCP relay in front of a Redis whose connections can go silent, as across a network that drops them. */
export interface SilenceableRelay {
  port: number;
  /**
   * The connections open now go silent: nothing more passes either way and neither end is closed
   * or reset (as when a network path fails, or a failover moves the address). New connections pass.
   */
  silenceOpenConnections(): void;
  close(): Promise<void>;
}

/**
 * A relay on a free loopback port to the Redis on `targetPort`. A hand-made peer because no real
 * network can be made to drop packets here without root and a firewall: it models the one thing
 * the tests need, a connection that stays open and carries nothing.
 */
export async function startSilenceableRelay(targetPort: number): Promise<SilenceableRelay> {
  const pairs = new Set<{ client: Socket; server: Socket }>();
  const silenced: Socket[] = [];
  const relay = createServer((client) => {
    const server = connect(targetPort, "127.0.0.1");
    const pair = { client, server };
    pairs.add(pair);
    client.pipe(server);
    server.pipe(client);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      server.destroy();
    };
    client.on("error", end).on("close", end);
    server.on("error", end).on("close", end);
  });
  await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", resolve));
  const address = relay.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    port,
    silenceOpenConnections() {
      for (const { client, server } of pairs) {
        client.unpipe(server);
        server.unpipe(client);
        // Read and drop what comes, so that neither side's writes ever fail or block.
        client.removeAllListeners("data");
        server.removeAllListeners("data");
        client.on("data", () => {});
        server.on("data", () => {});
        silenced.push(client, server);
      }
      pairs.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        relay.close(() => resolve());
        for (const { client, server } of pairs) {
          client.destroy();
          server.destroy();
        }
        for (const socket of silenced) socket.destroy();
      }),
  };
}
