#!/usr/bin/env node
import { exitWhenFlushed } from "../dist/cli/exit.js";
import { main } from "../dist/cli/main.js";

// Exit explicitly (wrap's stdin would otherwise keep the process alive after the server is gone),
// but only once stdout and stderr have handed everything to the OS: a pipe takes it more slowly
// than a file, and process.exit() alone would cut it off.
await exitWhenFlushed(await main(process.argv));
