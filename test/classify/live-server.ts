// Lists a real MCP server's tools through the SDK client, as a client would see them.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

// The SDK passes only HOME, PATH and a few more to the child; uvx is often a pyenv or asdf shim
// that needs its own variables, so the test's whole environment is passed on.
function fullEnvironment(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter((entry): entry is [string, string] => typeof entry[1] === "string"),
  );
}

/** Starts `command args`, lists every page of its tools (as unknown JSON objects), and stops it. */
export async function listLiveTools(command: string, args: string[]): Promise<unknown[]> {
  const transport = new StdioClientTransport({ command, args, env: fullEnvironment(), stderr: "ignore" });
  const client = new Client({ name: "policylayer-classify-test", version: "0.0.0" });
  await client.connect(transport);
  try {
    const tools: unknown[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor === undefined ? {} : { cursor });
      tools.push(...page.tools);
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    return tools;
  } finally {
    await client.close();
  }
}
