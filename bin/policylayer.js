#!/usr/bin/env node
// The command line, bundled by npm run build (scripts/bundle.js): one file to load per phase of a
// start instead of a hundred modules.
import { run } from "../dist/bundle/entry.js";
import { exitWhenFlushed } from "../dist/bundle/exit.js";

// Exit explicitly (wrap's stdin would otherwise keep the process alive after the server is gone),
// but only once stdout and stderr have handed everything to the OS: a pipe takes it more slowly
// than a file, and process.exit() alone would cut it off.
await exitWhenFlushed(await run(process.argv));
