// The floor of a proxy that decides on parsed messages (what the benchmark's relay leaves out): the
// byte relay of relay.js, except that every client line is parsed and its serialization is what
// the server gets. No policy, no audit, no hash; server lines pass on as bytes, as in relay.js.
import { spawn } from "node:child_process";
import { forwardParsedLines } from "./client-lines.js";

const [command, ...args] = process.argv.slice(2);
const child = spawn(command, args, { stdio: ["pipe", "pipe", "inherit"] });
forwardParsedLines(process.stdin, child.stdin);
child.stdout.pipe(process.stdout);
child.on("exit", (code) => process.exit(code ?? 1));
