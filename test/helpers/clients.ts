import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { policylayerBin } from "./paths.js";

export interface Connected {
  client: Client;
  transport: StdioClientTransport;
  stderr: () => string;
  close: () => Promise<void>;
}

/** What a test may set on the client before it connects: capabilities and request handlers. */
export interface ClientSetup {
  capabilities?: Record<string, unknown>;
  beforeConnect?: (client: Client) => void;
}

async function connect(
  command: string,
  args: string[],
  env: Record<string, string>,
  setup: ClientSetup,
): Promise<Connected> {
  const transport = new StdioClientTransport({
    command,
    args,
    env: { ...(process.env as Record<string, string>), ...env },
    stderr: "pipe",
  });
  let stderrText = "";
  transport.stderr?.on("data", (chunk: Buffer) => {
    stderrText += chunk.toString("utf8");
  });
  const client = new Client(
    { name: "policylayer-tests", version: "1.0.0" },
    { capabilities: setup.capabilities ?? {} },
  );
  setup.beforeConnect?.(client);
  await client.connect(transport);
  return { client, transport, stderr: () => stderrText, close: () => client.close() };
}

/** A real SDK client connected straight to the server. */
export function connectDirect(
  server: string[],
  env: Record<string, string> = {},
  setup: ClientSetup = {},
): Promise<Connected> {
  const [command, ...args] = server as [string, ...string[]];
  return connect(command, args, env, setup);
}

/** A real SDK client connected to the server through `policylayer wrap`. */
export function connectThroughProxy(
  wrapFlags: string[],
  server: string[],
  env: Record<string, string> = {},
  setup: ClientSetup = {},
): Promise<Connected> {
  return connect(process.execPath, [policylayerBin, "wrap", ...wrapFlags, "--", ...server], env, setup);
}
