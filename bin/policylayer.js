#!/usr/bin/env node
import { setFlagsFromString } from "node:v8";

// V8 optimizes a function once it has run a budget of bytecode. A proxy's session is seldom long,
// so the budget is a quarter of V8's default and the call path runs optimized sooner (measured by
// bench/run.js, "after 300 calls"). Set before any of our code loads, so all of it runs under it.
setFlagsFromString("--interrupt-budget=16384");
// The command line, bundled by npm run build (scripts/bundle.js): one file to load per phase of a
// start instead of a hundred modules.
const { run } = await import("../dist/bundle/entry.js");
const { exitWhenFlushed } = await import("../dist/bundle/exit.js");

// Exit explicitly (wrap's stdin would otherwise keep the process alive after the server is gone),
// but only once stdout and stderr have handed everything to the OS: a pipe takes it more slowly
// than a file, and process.exit() alone would cut it off.
await exitWhenFlushed(await run(process.argv));
