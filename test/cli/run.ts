// Runs the built command line as users do: node bin/policylayer.js ARGS (build first: npm run build).
import { execa } from "execa";
import { policylayerBin } from "../helpers/paths.js";

/** What one run printed and how it ended. */
export interface CliRun {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs `policylayer ...args` with $POLICYLAYER_POLICY cleared, so that only the flags choose the policy. */
export async function policylayer(...args: string[]): Promise<CliRun> {
  const result = await execa(process.execPath, [policylayerBin, ...args], {
    reject: false,
    env: { POLICYLAYER_POLICY: "" },
    timeout: 150_000,
  });
  return { exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** The real SageMaker AI server, started through uv (the first start downloads it). */
export const SAGEMAKER = ["uvx", "awslabs.sagemaker-ai-mcp-server"];

/** One row of `policylayer tools --json`. */
export interface ToolsJsonRow {
  tool: string;
  argument: string | null;
  value: string | null;
  category: string;
  risk: string;
  signals: string[];
  action: string;
  rule: number | null;
  reason: string;
  hidden: boolean;
  rate_limit: { max: number; window: number } | null;
  depends_on: { rule: number; action: string }[];
}

/** Parses `tools --json` output, checking that it is an array of rows with a tool name each. */
export function parseToolsJson(stdout: string): ToolsJsonRow[] {
  const parsed: unknown = JSON.parse(stdout);
  if (!Array.isArray(parsed)) throw new Error(`tools --json printed ${typeof parsed}, not an array`);
  for (const row of parsed) {
    if (typeof row !== "object" || row === null || typeof Reflect.get(row, "tool") !== "string")
      throw new Error(`tools --json printed a row without a tool name: ${JSON.stringify(row)}`);
  }
  return parsed as ToolsJsonRow[];
}

/** The row for a tool (value null) or one of its selector values. */
export function rowOf(rows: ToolsJsonRow[], tool: string, value: string | null = null): ToolsJsonRow {
  const row = rows.find((candidate) => candidate.tool === tool && candidate.value === value);
  if (row === undefined) throw new Error(`no row for ${tool}${value === null ? "" : `(${value})`}`);
  return row;
}
