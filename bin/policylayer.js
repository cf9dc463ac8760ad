#!/usr/bin/env node
import { main } from "../dist/cli/main.js";

// Exit explicitly: wrap's stdin would otherwise keep the process alive after the server is gone.
// Writes to pipes and files are synchronous on Linux and macOS, so nothing is cut off.
process.exit(await main(process.argv));
