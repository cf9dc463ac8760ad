import { resolve } from "node:path";
import { startWrap, WrapStartError } from "../lifecycle/start.js";
import { formatPolicyError, loadPolicyFile } from "../policy/load.js";
import { watchPolicyFile } from "../policy/watch.js";
import { chosenPolicyPath, loadChosenPolicy, warn } from "./policy-choice.js";

export interface WrapFlags {
  policy?: string;
  audit?: string;
  maxLineBytes: number;
  graceMs: number;
  listTimeoutMs: number;
  approvalInbox: boolean;
}

/** `policylayer wrap`: checks its inputs, refuses to start on any problem, then runs the session. */
export async function wrapCommand(serverCommand: string[] | null, flags: WrapFlags): Promise<number> {
  if (serverCommand === null || serverCommand.length === 0) {
    warn(
      "wrap needs the server's command after --, e.g. policylayer wrap --policy policy.yaml -- uvx awslabs.sagemaker-ai-mcp-server",
    );
    return 2;
  }
  const policyPath = chosenPolicyPath(flags.policy);
  const policy = await loadChosenPolicy(policyPath, ", so the server was not started");
  if (policy === null) return 1;
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
    listTimeoutMs: flags.listTimeoutMs,
    approvalInbox: flags.approvalInbox,
    warn,
  });
}
