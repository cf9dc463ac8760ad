// The floor of a proxy that validates its policy before it starts the server, decides on parsed
// messages and audits every call before its answer leaves: the policy file read with js-yaml and
// checked by the build's precompiled schema validator (no semantic checks, no compiling), then
// parse-relay.js (each client line parsed, its serialization what the server gets), and for each
// answer from the server one audit line written to a file (writeSync) before the answer is passed
// on. No decisions, no hash, no bookkeeping beyond the tool name of each pending id.
// node audit-relay.js POLICY_FILE AUDIT_FILE COMMAND [ARGS...]
import { spawn } from "node:child_process";
import { closeSync, openSync, readFileSync, writeSync } from "node:fs";
import { createRequire } from "node:module";
import { CORE_SCHEMA, load } from "js-yaml";
import { forwardParsedLines } from "./client-lines.js";

const [policyPath, auditPath, command, ...args] = process.argv.slice(2);
const validate = createRequire(import.meta.url)("../dist/policy/policy-validator.cjs");
if (!validate(load(readFileSync(policyPath, "utf8"), { schema: CORE_SCHEMA }))) {
  process.stderr.write(`audit-relay: ${policyPath} does not validate\n`);
  process.exit(1);
}
const audit = openSync(auditPath, "a");
const child = spawn(command, args, { stdio: ["pipe", "pipe", "inherit"] });
/** Tool name (or method) of each request still waiting for its answer, by id. */
const pending = new Map();

forwardParsedLines(process.stdin, child.stdin, (message) => {
  if (message.id !== undefined && message.method !== undefined)
    pending.set(message.id, message.params?.name ?? message.method);
});

const ID_KEY = Buffer.from('"id":');
/** The first bytes of the server line being read, where its id is (bench/server.js writes it early). */
let head = null;
// As policylayer does: the audit lines of the answers a chunk ends go out in one write, before it.
child.stdout.on("data", (chunk) => {
  let lines = "";
  let start = 0;
  let newline = chunk.indexOf(10);
  while (newline !== -1) {
    const lineHead = head ?? chunk.subarray(start, Math.min(newline, start + 64));
    head = null;
    const at = lineHead.indexOf(ID_KEY);
    if (at !== -1) {
      const id = Number.parseInt(lineHead.toString("latin1", at + ID_KEY.length, at + 30), 10);
      const tool = pending.get(id);
      if (tool !== undefined) {
        pending.delete(id);
        lines += `${JSON.stringify({ time: new Date().toISOString(), id, tool, outcome: "result" })}\n`;
      }
    }
    start = newline + 1;
    newline = chunk.indexOf(10, start);
  }
  if (start < chunk.length) head ??= chunk.subarray(start, Math.min(chunk.length, start + 64));
  if (lines.length > 0) writeSync(audit, lines);
  process.stdout.write(chunk);
});
child.on("exit", (code) => {
  closeSync(audit);
  process.exit(code ?? 1);
});
