import { resolve } from "node:path";
import { startWrap, WrapStartError } from "../lifecycle/start.js";
import { formatPolicyError, formatPolicyWarning, loadPolicyFile } from "../policy/load.js";
import { countsInSharedStore } from "../policy/settings.js";
import { policyFileFingerprint, watchPolicyFile } from "../policy/watch.js";
import type { SharedStoreHandle } from "../ratelimit/limiter.js";
import { flushedWithin } from "./exit.js";
import { chosenPolicyPath, readChosenPolicy, warn } from "./policy-choice.js";
import { summarizePolicy } from "./policy-summary.js";

export interface WrapFlags {
  policy?: string;
  audit?: string;
  maxLineBytes: number;
  graceMs: number;
  listTimeoutMs: number;
  approvalInbox: boolean;
  busyPoll: boolean;
}

/** `policylayer wrap`: checks its inputs, refuses to start on any problem, then runs the session. */
export async function wrapCommand(serverCommand: string[] | null, flags: WrapFlags): Promise<number> {
  if (serverCommand === null || serverCommand.length === 0) {
    warn(
      "wrap needs the server's command, e.g. policylayer wrap --policy policy.yaml -- uvx awslabs.sagemaker-ai-mcp-server",
    );
    return 2;
  }
  const policyPath = chosenPolicyPath(flags.policy);
  // Taken before the file is read, so that an edit while wrap starts is reloaded, not lost.
  const readFingerprint = policyPath === null ? "" : policyFileFingerprint(policyPath);
  const chosen = await readChosenPolicy(policyPath, ", so the server was not started");
  if (chosen === null) return 1;
  // The policy is compiled and its warnings placed once the server is starting (or has failed to
  // start), unless the shared limit store must be opened first, from the compiled policy.
  const { printWarnings } = chosen;
  let sharedStore: SharedStoreHandle | null = null;
  if (countsInSharedStore(chosen.document)) {
    const policy = chosen.compile();
    const { LimitStoreConfigError, openSharedStoreAtStart } = await import("../ratelimit/open-store.js");
    try {
      sharedStore = await openSharedStoreAtStart(policy, warn);
    } catch (error) {
      if (!(error instanceof LimitStoreConfigError)) throw error;
      printWarnings();
      warn(`${error.message}; the server was not started`);
      return 1;
    }
  }
  const [command, ...args] = serverCommand as [string, ...string[]];
  let started: Awaited<ReturnType<typeof startWrap>>;
  try {
    started = await startWrap(command, args, chosen.header, flags.audit ? resolve(flags.audit) : null);
  } catch (error) {
    if (error instanceof WrapStartError) {
      printWarnings();
      warn(`${error.message}; the server was not started`);
      return error.exitCode;
    }
    throw error;
  }
  // The session's modules load while the server starts, and while the policy compiles.
  const session = import("../lifecycle/wrap.js");
  const policy = chosen.compile();
  printWarnings();
  // Started by hand, wrap would look frozen: say what runs and what it waits for.
  warn(
    `${policy.source === "built-in default" ? "the built-in default policy" : `policy ${policy.source}`} in force ` +
      `(${summarizePolicy(policy)}); audit log ${started.audit.path}; ${started.serverLabel} started; ` +
      "waiting for an MCP client on stdin (an MCP client such as Claude Desktop starts wrap; Ctrl-C stops it)",
  );
  const { runWrap } = await session;
  const exitCode = await runWrap(started, {
    policy,
    reloadPolicy:
      policyPath === null
        ? null
        : async () => {
            const loaded = await loadPolicyFile(policyPath);
            if (!loaded.ok) return loaded.errors.map(formatPolicyError);
            return { policy: loaded.policy, warnings: loaded.warnings.map(formatPolicyWarning) };
          },
    watchPolicy:
      policyPath === null ? null : (onChange) => watchPolicyFile(policyPath, onChange, readFingerprint),
    maxLineBytes: flags.maxLineBytes,
    graceMs: flags.graceMs,
    listTimeoutMs: flags.listTimeoutMs,
    approvalInbox: flags.approvalInbox,
    busyPoll: flags.busyPoll,
    sharedStore,
    warn,
  });
  // The client's last answers leave before we exit, unless it has stopped reading.
  await flushedWithin(process.stdout, flags.graceMs);
  return exitCode;
}
