import type { ToolCall } from "../policy/types.js";
import type { RoundTrip } from "../wire/era.js";
import { ExactNumber } from "../wire/exact-number.js";
import { isJsonObject, type JsonObject, type ProgressToken } from "../wire/jsonrpc.js";

/** inputResponses and requestState: a 2026-07-28 retry of a call the server answered with input_required. */
const TOOLS_CALL_PARAMS: ReadonlySet<string> = new Set([
  "name",
  "arguments",
  "_meta",
  "task",
  "inputResponses",
  "requestState",
]);

/** The params of a tools/call, checked: the call to decide, the params object it came in, its progress token. */
export interface ToolCallParams {
  call: ToolCall;
  params: JsonObject;
  progressToken: ProgressToken | null;
  roundTrip: RoundTrip;
}

/** Reads tools/call params as a careful server would, or says what is wrong with them. */
export function readToolCallParams(params: unknown): ToolCallParams | string {
  if (!isJsonObject(params)) return "params must be an object with a tool name";
  if (typeof params.name !== "string" || params.name.length === 0)
    return "params.name must be a non-empty string";
  for (const key of Object.keys(params)) {
    if (!TOOLS_CALL_PARAMS.has(key)) return `unexpected member params.${key}`;
  }
  const meta = params._meta;
  if (meta !== undefined && !isJsonObject(meta)) return "params._meta must be an object";
  const { inputResponses, requestState } = params;
  if (inputResponses !== undefined && !isJsonObject(inputResponses))
    return "params.inputResponses must be an object";
  if (requestState !== undefined && typeof requestState !== "string")
    return "params.requestState must be a string";
  const args = params.arguments;
  if (args !== undefined && !isJsonObject(args)) return "params.arguments must be an object";
  const token = meta?.progressToken;
  return {
    call: { name: params.name, arguments: args ?? {} },
    params,
    progressToken:
      typeof token === "string" || typeof token === "number" || token instanceof ExactNumber ? token : null,
    roundTrip: {
      ...(requestState === undefined ? {} : { requestState }),
      ...(inputResponses === undefined ? {} : { inputResponses }),
    },
  };
}
