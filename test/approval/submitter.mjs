#!/usr/bin/env node
// A second "wrap" process for the tests: submits one call to the approval inbox of
// $POLICYLAYER_STATE_DIR from the built code, prints {"id"} then the decision as JSON lines, and exits.
import { ApprovalInbox } from "../../dist/approval/inbox-wait.js";

const input = JSON.parse(process.argv[2] ?? "{}");
const inbox = ApprovalInbox.open();
const submitted = inbox.submit(input);
process.stdout.write(`${JSON.stringify({ id: submitted.id, pid: process.pid })}\n`);
// The inbox's watcher does not keep a process alive (a wrap has its stdio for that): this does.
const keepAlive = setInterval(() => {}, 60_000);
const decision = await submitted.decision;
clearInterval(keepAlive);
process.stdout.write(`${JSON.stringify(decision)}\n`);
inbox.close();
