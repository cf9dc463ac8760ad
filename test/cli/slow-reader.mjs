// Reads stdin as a slow consumer does (jq, head on a busy machine): it takes the first chunk, then
// stops reading for a moment, so the writer fills the pipe and must wait; then it reads the rest.
// Prints the number of bytes it got and writes them to the file named by its argument.
import { writeFileSync } from "node:fs";

const chunks = [];
let paused = false;
process.stdin.on("data", (chunk) => {
  chunks.push(chunk);
  if (paused) return;
  paused = true;
  process.stdin.pause();
  setTimeout(() => process.stdin.resume(), 500);
});
process.stdin.on("end", () => {
  const all = Buffer.concat(chunks);
  writeFileSync(process.argv[2], all);
  process.stdout.write(String(all.length));
});
