// Part of npm run build: bundles the command line (dist/cli/entry.js and dist/cli/exit.js, what
// bin/policylayer.js imports) into dist/bundle/ with esbuild. Every start of wrap otherwise
// resolves and loads some hundred small ES modules before the server can be spawned; one file per
// phase starts measurably sooner. Each command's and each phase's lazy import() stays lazy: it
// becomes a chunk of its own. The tsc output in dist/ stays as it is (tests and tools import it).
// Packages (commander, js-yaml, and what createRequire loads lazily) are left to node.
import { rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
const outdir = `${root}dist/bundle`;
rmSync(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: { entry: "dist/cli/entry.js", exit: "dist/cli/exit.js" },
  outdir,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  // Only our own modules are bundled; packages load from node_modules, as without the bundle.
  packages: "external",
  logLevel: "warning",
  legalComments: "none",
});
