import { Client } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { policylayerBin } from "./paths.js";

/** The real SDK 2.x client, pinned to 2026-07-28, connected to a command over stdio. */
export interface ModernConnected {
  client: Client;
  stderr: () => string;
  close: () => Promise<void>;
}

/** What a test sets on the client before it connects. */
export interface ModernSetup {
  capabilities?: Record<string, unknown>;
  /** Manual multi-round-trip: input_required results reach the test (with allowInputRequired). */
  manualInput?: boolean;
  beforeConnect?: (client: Client) => void;
}

/** Connects an SDK 2.x client pinned to 2026-07-28 to `command` (the probe runs on a sibling process). */
export async function connectModern(
  command: string[],
  env: Record<string, string> = {},
  setup: ModernSetup = {},
): Promise<ModernConnected> {
  const [file, ...args] = command as [string, ...string[]];
  const transport = new StdioClientTransport({
    command: file,
    args,
    env: { ...(process.env as Record<string, string>), ...env },
    stderr: "pipe",
  });
  let stderrText = "";
  transport.stderr?.on("data", (chunk: Buffer) => {
    stderrText += chunk.toString("utf8");
  });
  const client = new Client(
    { name: "policylayer-tests-v2", version: "1.0.0" },
    {
      capabilities: setup.capabilities ?? {},
      versionNegotiation: { mode: { pin: "2026-07-28" } },
      ...(setup.manualInput ? { inputRequired: { autoFulfill: false } } : {}),
    },
  );
  setup.beforeConnect?.(client);
  await client.connect(transport);
  return { client, stderr: () => stderrText, close: () => client.close() };
}

/** The `policylayer wrap` command line around `server`. */
export function wrapCommand(wrapFlags: string[], server: string[]): string[] {
  return [process.execPath, policylayerBin, "wrap", ...wrapFlags, "--", ...server];
}
