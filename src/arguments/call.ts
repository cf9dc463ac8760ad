// A tools/call's arguments as its tool's server will read them: what is decided, audited, shown for
// approval and forwarded. Without a schema that types them, the arguments stay as sent (conditions then
// match every reading a server could make of a value; see readings.ts).

import type { ToolCall } from "../policy/types.js";
import { type ArgumentProblem, readArguments } from "./read.js";
import type { SchemaNode } from "./schema.js";

/** The call to decide and forward (`changed`: its arguments are not as sent), or why it is refused. */
export type CallReading = { ok: true; call: ToolCall; changed: boolean } | { ok: false; reason: string };

/** Reads a call's arguments against its tool's compiled inputSchema (none: as sent). */
export function readCall(
  schema: SchemaNode | null | undefined,
  call: ToolCall,
  allowUndeclared: boolean,
): CallReading {
  if (schema === null || schema === undefined) return { ok: true, call, changed: false };
  const reading = readArguments(schema, call.arguments, { allowUndeclared });
  if (!reading.ok) return { ok: false, reason: refusalReason(reading.problem) };
  if (!reading.changed) return { ok: true, call, changed: false };
  return { ok: true, call: { name: call.name, arguments: reading.arguments }, changed: true };
}

/** An argument's place as a condition path names it: `instance_groups.1.InstanceCount`. */
export function argumentPath(path: readonly (string | number)[]): string {
  return path
    .map((segment) =>
      typeof segment === "number" || /^[\w-]+$/.test(segment) ? segment : JSON.stringify(segment),
    )
    .join(".");
}

/** What the agent is told: which argument, what the tool's inputSchema wants, and that nothing was sent. */
function refusalReason(problem: ArgumentProblem): string {
  const where = problem.path.length === 0 ? "the arguments" : `argument ${argumentPath(problem.path)}`;
  return `${where} ${problem.problem}; the call was not sent`;
}
