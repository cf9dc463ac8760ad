// How a client's config runs this very policylayer: node's absolute path and the CLI's absolute
// path. A client starts servers with its own PATH (Claude Desktop on macOS: a short one without
// nvm's node), so neither `policylayer` nor the `#!/usr/bin/env node` line can be relied on, and
// Windows does not run a .js file at all.
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The words that start this policylayer from anywhere: [node, CLI]. */
export function selfLauncher(): string[] {
  const cli = fileURLToPath(new URL("../../bin/policylayer.js", import.meta.url));
  return [realpathSync(process.execPath), realpathSync(cli)];
}
