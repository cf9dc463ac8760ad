import { resolve } from "node:path";
import { startWrap, WrapStartError } from "../lifecycle/start.js";
import { builtInDefaultPolicy } from "../policy/default.js";
import { formatPolicyError, loadPolicyFile } from "../policy/load.js";
import type { CompiledPolicy } from "../policy/types.js";
import { watchPolicyFile } from "../policy/watch.js";

export interface WrapFlags {
  policy?: string;
  audit?: string;
  maxLineBytes: number;
  graceMs: number;
  approvalInbox: boolean;
}

function warn(message: string): void {
  process.stderr.write(`policylayer: ${message}\n`);
}

/** `policylayer wrap`: checks its inputs, refuses to start on any problem, then runs the session. */
export async function wrapCommand(serverCommand: string[] | null, flags: WrapFlags): Promise<number> {
  if (serverCommand === null || serverCommand.length === 0) {
    warn(
      "wrap needs the server's command after --, e.g. policylayer wrap --policy policy.yaml -- uvx awslabs.sagemaker-ai-mcp-server",
    );
    return 2;
  }
  const policyFlag = flags.policy ?? process.env.POLICYLAYER_POLICY;
  const policyPath = policyFlag !== undefined && policyFlag.length > 0 ? resolve(policyFlag) : null;
  let policy: CompiledPolicy;
  if (policyPath === null) {
    policy = builtInDefaultPolicy();
  } else {
    const loaded = await loadPolicyFile(policyPath);
    if (!loaded.ok) {
      warn(`the policy does not validate, so the server was not started:`);
      for (const error of loaded.errors) process.stderr.write(`${formatPolicyError(error)}\n`);
      return 1;
    }
    policy = loaded.policy;
  }
  const [command, ...args] = serverCommand as [string, ...string[]];
  let started: Awaited<ReturnType<typeof startWrap>>;
  try {
    started = await startWrap(command, args, policy, flags.audit ? resolve(flags.audit) : null);
  } catch (error) {
    if (error instanceof WrapStartError) {
      warn(`${error.message}; the server was not started`);
      return error.exitCode;
    }
    throw error;
  }
  // The session's modules load while the server starts.
  const { runWrap } = await import("../lifecycle/wrap.js");
  return runWrap(started, {
    policy,
    reloadPolicy:
      policyPath === null
        ? null
        : async () => {
            const loaded = await loadPolicyFile(policyPath);
            return loaded.ok ? loaded.policy : loaded.errors.map(formatPolicyError);
          },
    watchPolicy: policyPath === null ? null : (onChange) => watchPolicyFile(policyPath, onChange),
    maxLineBytes: flags.maxLineBytes,
    graceMs: flags.graceMs,
    approvalInbox: flags.approvalInbox,
    warn,
  });
}
