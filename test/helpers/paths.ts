import { fileURLToPath } from "node:url";

/** The repository's root folder. */
export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
/** The built command line, as users run it. */
export const policylayerBin = fileURLToPath(new URL("../../bin/policylayer.js", import.meta.url));
/** Our recording test server. */
export const recordingServer = fileURLToPath(new URL("../servers/recording-server.mjs", import.meta.url));
/** Captured data from real servers, kept in the repository (see test/fixtures/README.md). */
export const fixturesDir = fileURLToPath(new URL("../fixtures/", import.meta.url));
/** The SageMaker AI server's `tools/list` result, captured from the real server. */
export const sagemakerToolsListFixture = fileURLToPath(
  new URL("../fixtures/sagemaker-ai-mcp-server.tools-list.json", import.meta.url),
);

/** The command that starts an installed npm MCP server (`everything`, `filesystem`, `memory`). */
export function npmServer(name: "everything" | "filesystem" | "memory", ...args: string[]): string[] {
  const entry = fileURLToPath(
    new URL(`../../node_modules/@modelcontextprotocol/server-${name}/dist/index.js`, import.meta.url),
  );
  return [process.execPath, entry, ...args];
}
/** A server that writes numbers JavaScript cannot hold (as raw text), and records what reaches it. */
export const exactNumbersServer = fileURLToPath(
  new URL("../servers/exact-numbers-server.mjs", import.meta.url),
);
/** Our recording test server on the real SDK 2.x, serving both eras (MODERN_ONLY=1: 2026-07-28 only). */
export const modernServer = fileURLToPath(new URL("../servers/modern-server.mjs", import.meta.url));
