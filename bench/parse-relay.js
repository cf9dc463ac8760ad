// The floor of a proxy that decides on parsed messages (what the benchmark's relay leaves out): the
// byte relay of relay.js, except that every client line is parsed and its serialization is what
// the server gets. No policy, no audit, no hash; server lines pass on as bytes, as in relay.js.
import { spawn } from "node:child_process";

const [command, ...args] = process.argv.slice(2);
const child = spawn(command, args, { stdio: ["pipe", "pipe", "inherit"] });
let partial = null;
process.stdin.on("data", (chunk) => {
  let bytes = chunk;
  if (partial !== null) {
    bytes = Buffer.concat([partial, chunk]);
    partial = null;
  }
  let out = "";
  let start = 0;
  let newline = bytes.indexOf(10, start);
  while (newline !== -1) {
    out += `${JSON.stringify(JSON.parse(bytes.toString("utf8", start, newline)))}\n`;
    start = newline + 1;
    newline = bytes.indexOf(10, start);
  }
  if (start < bytes.length) partial = bytes.subarray(start);
  if (out.length > 0) child.stdin.write(out);
});
process.stdin.on("end", () => child.stdin.end());
child.stdout.pipe(process.stdout);
child.on("exit", (code) => process.exit(code ?? 1));
