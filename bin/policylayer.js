#!/usr/bin/env node
import { setFlagsFromString } from "node:v8";

// V8 optimizes a function once it has run a budget of bytecode. A proxy's session is seldom long,
// so the budget is a quarter of V8's default and the call path runs optimized sooner (measured by
// bench/run.js, "after 300 calls"). Set before any of our code loads, so all of it runs under it.
setFlagsFromString("--interrupt-budget=16384");
const { exitWhenFlushed } = await import("../dist/cli/exit.js");
const { main } = await import("../dist/cli/main.js");

// Exit explicitly (wrap's stdin would otherwise keep the process alive after the server is gone),
// but only once stdout and stderr have handed everything to the OS: a pipe takes it more slowly
// than a file, and process.exit() alone would cut it off.
await exitWhenFlushed(await main(process.argv));
