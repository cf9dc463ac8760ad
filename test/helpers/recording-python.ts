import { join } from "node:path";
import { pythonWithMcp } from "./python-sdk.js";
import { RawSession } from "./raw-session.js";
import { readJsonLines, tempDir, writePolicy } from "./tmp.js";

/** A tools/call result as a test reads it. */
export type CallResult = { isError?: boolean; content: Array<{ text: string }> };

/**
 * policylayer wrap, under `policy`, around a recording server of ours on the Python SDK `major`.x
 * (`server`: a script under test/servers that appends a line to $RECORD_FILE for every call it runs).
 * `call` answers with the call's result and its audit line; `records` are the lines the server wrote.
 * The session is closed, and its folder removed, by the functions pushed onto `cleanups`.
 */
export async function recordingPythonSession(
  major: 1 | 2,
  server: string,
  policy: string,
  cleanups: (() => Promise<void> | void)[],
) {
  const python = await pythonWithMcp(major);
  const dir = tempDir();
  cleanups.push(dir.cleanup);
  const recordFile = join(dir.path, "records.jsonl");
  const audit = join(dir.path, "audit.jsonl");
  const session = new RawSession(
    ["--policy", writePolicy(dir.path, policy), "--audit", audit, "--", python, server],
    { RECORD_FILE: recordFile },
  );
  cleanups.push(async () => {
    session.closeInput();
    await session.exited;
  });
  const call = async (id: number, name: string, args: Record<string, unknown> = {}) => {
    const answer = await session.request(id, "tools/call", { name, arguments: args });
    const line = readJsonLines(audit)
      .filter((entry) => entry.id === id)
      .at(-1);
    return { result: answer.result as CallResult, audit: line };
  };
  const records = () => readJsonLines(recordFile);
  await session.initialize();
  return { session, call, records };
}
