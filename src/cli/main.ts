import { Command, CommanderError, InvalidArgumentError } from "commander";
import { packageVersion } from "./version.js";
import type { WrapFlags } from "./wrap.js";
import { positiveIntegerOf, serverCommandOf, WRAP_DEFAULTS } from "./wrap-arguments.js";

/** Parses a positive integer flag value, naming the flag and the bad value when it is not one. */
function positiveInteger(flag: string) {
  return (value: string): number => {
    const parsed = positiveIntegerOf(value);
    if (parsed === null) {
      throw new InvalidArgumentError(`${flag} must be a positive whole number, got ${JSON.stringify(value)}`);
    }
    return parsed;
  };
}

/** What `wrap` does with the words and flags commander read. */
export type WrapAction = (words: string[], flags: WrapFlags) => Promise<number>;

/** The command words of `tools`, `init` and `check`: only after `--` (a word without it is refused by the command). */
function commandAfterSeparator(argv: readonly string[], words: readonly string[]): string[] | null {
  const { command, afterSeparator } = serverCommandOf(argv, words);
  return afterSeparator ? command : null;
}

/**
 * validate's words split at the first `--` of the command line: the files before it, the server's
 * command after it (null without `--`). Commander passes the words after `--` on as they are, last.
 */
export function filesAndCommand(
  argv: readonly string[],
  words: readonly string[],
): { files: string[]; command: string[] | null } {
  const separator = argv.indexOf("--");
  if (separator === -1) return { files: [...words], command: null };
  const command = argv.slice(separator + 1);
  return { files: words.slice(0, words.length - command.length), command };
}

/**
 * Runs the policylayer command line and resolves with the exit code. Each command's module is
 * imported only when that command runs, so `wrap` loads nothing the others need; `wrap` runs the
 * action it is given (entry.ts's, or a test's recorder).
 */
export async function main(argv: readonly string[], wrap: WrapAction): Promise<number> {
  let exitCode = 0;
  const program = new Command()
    .name("policylayer")
    .description(
      "A local policy firewall for MCP servers: decides every tools/call before it reaches the server.",
    )
    .version(packageVersion(), "-V, --version", "print policylayer's version")
    .showHelpAfterError()
    .enablePositionalOptions();

  program
    .command("wrap")
    .description(
      "Run an MCP server behind the policy: policylayer wrap [--policy FILE] -- COMMAND [ARGS...] (the -- may be left out)",
    )
    .option(
      "--policy <file>",
      "policy file (YAML or JSON); default: $POLICYLAYER_POLICY, else the built-in default",
    )
    .option(
      "--audit <file>",
      "audit log (JSON lines); default: the policy's audit.path, else audit.jsonl in $POLICYLAYER_STATE_DIR (else $XDG_STATE_HOME/policylayer)",
    )
    .option(
      "--max-line-bytes <n>",
      "largest message accepted in either direction",
      positiveInteger("--max-line-bytes"),
      WRAP_DEFAULTS.maxLineBytes,
    )
    .option(
      "--grace-ms <n>",
      "how long each shutdown step waits before the next",
      positiveInteger("--grace-ms"),
      WRAP_DEFAULTS.graceMs,
    )
    .option(
      "--list-timeout-ms <n>",
      "how long a call of a tool not yet listed waits while policylayer reads the server's tools/list",
      positiveInteger("--list-timeout-ms"),
      WRAP_DEFAULTS.listTimeoutMs,
    )
    .option(
      "--no-approval-inbox",
      "never wait in the local approval inbox; ask only in the client (elicitation)",
    )
    .option(
      "--no-busy-poll",
      "never read the client and the server ahead of sleeping between messages (saves up to 200 µs of CPU per message; costs latency where waking up is slow)",
    )
    .argument(
      "[command...]",
      "the MCP server's command, after -- (or from the first word that is not an option of wrap)",
    )
    .passThroughOptions()
    .action(async (words: string[], flags: WrapFlags) => {
      exitCode = await wrap(words, flags);
    });

  program
    .command("validate")
    .description(
      "Check policy files; print each error as FILE:LINE:COL: policylayer validate FILE... [-- COMMAND [ARGS...]]",
    )
    .argument(
      "<files...>",
      "the policy files; after --, optionally an MCP server's command, to check conditions against its tools' inputSchemas",
    )
    .action(async (words: string[]) => {
      const { validateCommand } = await import("./validate.js");
      const { files, command } = filesAndCommand(argv, words);
      if (files.length === 0) {
        const { warn } = await import("./policy-choice.js");
        warn("validate needs a policy file before --, e.g. policylayer validate policy.yaml -- COMMAND");
        exitCode = 2;
        return;
      }
      const [first, ...rest] = command ?? [];
      exitCode = await validateCommand(files, first === undefined ? null : [first, ...rest]);
    });

  program
    .command("schema")
    .description("Print the policy file's JSON Schema")
    .action(async () => {
      const { schemaCommand } = await import("./schema.js");
      exitCode = schemaCommand();
    });

  program
    .command("tools")
    .description(
      "List a server's tools with their category, risk and what the policy would do: policylayer tools -- COMMAND [ARGS...]",
    )
    .option("--policy <file>", "policy file; default: $POLICYLAYER_POLICY, else the built-in default")
    .option("--json", "print JSON for scripts")
    .argument("[command...]", "the MCP server's command, after --")
    .passThroughOptions()
    .action(async (words: string[], flags: { policy?: string; json?: boolean }) => {
      const { toolsCommand } = await import("./tools.js");
      exitCode = await toolsCommand(commandAfterSeparator(argv, words), flags);
    });

  program
    .command("init")
    .description(
      "Write a starter policy for a server, grouped by category: policylayer init [-o FILE] -- COMMAND [ARGS...]",
    )
    .option("-o, --output <file>", "where to write the policy (default: stdout)")
    .option("--force", "overwrite an existing file")
    .argument("[command...]", "the MCP server's command, after --")
    .passThroughOptions()
    .action(async (words: string[], flags: { output?: string; force?: boolean }) => {
      const { initCommand } = await import("./init.js");
      exitCode = await initCommand(commandAfterSeparator(argv, words), flags);
    });

  program
    .command("check")
    .description(
      "Explain one decision: policylayer check --policy FILE --tool NAME [--args JSON] [-- COMMAND ...]",
    )
    .option("--policy <file>", "policy file; default: $POLICYLAYER_POLICY, else the built-in default")
    .requiredOption("--tool <name>", "the tool to call")
    .option("--args <json>", "the call's arguments as a JSON object", "{}")
    .option("--json", "print JSON for scripts")
    .argument("[command...]", "optional: the MCP server's command after --, to classify with its tools/list")
    .passThroughOptions()
    .action(
      async (words: string[], flags: { policy?: string; tool: string; args: string; json?: boolean }) => {
        const { checkCommand } = await import("./check.js");
        const { command, afterSeparator } = serverCommandOf(argv, words);
        if (command !== null && !afterSeparator) {
          const { warn } = await import("./policy-choice.js");
          warn(
            `check takes the server's command after --, e.g. policylayer check --tool ${flags.tool} -- ${command.join(" ")}; ` +
              `without it, "${command.join(" ")}" is not a command check would run`,
          );
          exitCode = 2;
          return;
        }
        exitCode = await checkCommand(command, flags);
      },
    );

  program
    .command("approvals")
    .description("List calls waiting for approval; with --web, serve the approval page on loopback")
    .option("--web", "serve the approval page on 127.0.0.1 and print its address")
    .option("--port <n>", "port for --web (default: any free port)", positiveInteger("--port"))
    .option("--no-open", "with --web: do not open a browser")
    .option("--full", "show every argument value whole (the list shortens long values, with a marker)")
    .option("--json", "print JSON for scripts (every value whole)")
    .action(
      async (flags: { web?: boolean; port?: number; open: boolean; json?: boolean; full?: boolean }) => {
        const { approvalsCommand } = await import("./approvals.js");
        exitCode = await approvalsCommand(flags);
      },
    );

  program
    .command("approve")
    .description("Approve a call waiting in the approval inbox")
    .argument("<id>", "the approval id shown by policylayer approvals")
    .option("--yes", "answer even without a terminal (from a script)")
    .action(async (id: string, flags: { yes?: boolean }) => {
      const { approveCommand } = await import("./approvals.js");
      exitCode = await approveCommand(id, flags);
    });

  program
    .command("deny")
    .description("Deny a call waiting in the approval inbox")
    .argument("<id>", "the approval id shown by policylayer approvals")
    .option("--reason <text>", "why; the agent is told")
    .option("--yes", "answer even without a terminal (from a script)")
    .action(async (id: string, flags: { reason?: string; yes?: boolean }) => {
      const { denyCommand } = await import("./approvals.js");
      exitCode = await denyCommand(id, flags);
    });

  const limits = program
    .command("limits")
    .description(
      "List the counts of every server- and global-scope rate_limit and budget in the shared store",
    )
    .option("--policy <file>", "policy file; default: $POLICYLAYER_POLICY, else the built-in default")
    .option("--json", "print JSON for scripts")
    .action(async (flags: { policy?: string; json?: boolean }) => {
      const { limitsCommand } = await import("./limits.js");
      exitCode = await limitsCommand(flags);
    });
  limits
    .command("reset")
    .description("Clear one rule's shared counts (by its id), or all of them under the policy's key_prefix")
    .argument("[id]", "the rule's id, as policylayer limits shows it")
    .option("--policy <file>", "policy file; default: $POLICYLAYER_POLICY, else the built-in default")
    .option("--yes", "do not ask (needed without a terminal)")
    .action(async (id: string | undefined, flags: { policy?: string; yes?: boolean }) => {
      const { limitsResetCommand } = await import("./limits.js");
      // `limits --policy F reset` gives the policy to the parent command: it is the same policy.
      const policy = flags.policy ?? limits.opts<{ policy?: string }>().policy;
      exitCode = await limitsResetCommand(id, policy === undefined ? flags : { ...flags, policy });
    });

  /** Usage errors of install, uninstall and status exit 2, as their help says. */
  const usageExit = (error: CommanderError): never => {
    throw error.exitCode === 0 ? error : new CommanderError(2, error.code, error.message);
  };
  const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];
  const clientOption =
    "the client: claude-desktop, claude-code, cursor, vscode, windsurf, codex, gemini (default: every client whose config exists)";

  program
    .command("install")
    .description("Put a client's stdio MCP servers behind policylayer by editing its config file")
    .option("--client <name>", clientOption)
    .option("--config <file>", "the config file to edit (with --client for its format)")
    .option("--server <name>", "a server to wrap (repeat for more; default: all)", collect)
    .option("--all", "wrap every stdio server")
    .option("--policy <file>", "the policy for the chosen servers (default: the built-in default)")
    .option("--init", "write a starter policy per server from its tool list, and use it")
    .option("--dry-run", "print a unified diff of each file that would change; write nothing")
    .option("--yes", "write without asking (needed when there is no terminal)")
    .exitOverride(usageExit)
    .action(async (flags: import("./install.js").InstallFlags) => {
      const { installCommand } = await import("./install.js");
      exitCode = await installCommand(flags);
    });

  program
    .command("uninstall")
    .description("Restore the servers install wrapped exactly as they were")
    .option("--client <name>", clientOption)
    .option("--config <file>", "the config file to edit (with --client for its format)")
    .option("--server <name>", "a server to restore (repeat for more; default: all)", collect)
    .option("--all", "restore every wrapped server")
    .option("--dry-run", "print a unified diff of each file that would change; write nothing")
    .option("--yes", "write without asking (needed when there is no terminal)")
    .exitOverride(usageExit)
    .action(async (flags: import("./install.js").InstallFlags) => {
      const { uninstallCommand } = await import("./install.js");
      exitCode = await uninstallCommand(flags);
    });

  program
    .command("status")
    .description(
      "For each client config: which servers are wrapped, with which policy, and whether it validates",
    )
    .option("--client <name>", clientOption)
    .option("--config <file>", "a config file to show (with --client for its format)")
    .option("--json", "print JSON for scripts")
    .exitOverride(usageExit)
    .action(async (flags: { client?: string; config?: string; json?: boolean }) => {
      const { statusCommand } = await import("./status.js");
      exitCode = await statusCommand(flags);
    });

  program.exitOverride();
  try {
    await program.parseAsync(argv.slice(), { from: "node" });
  } catch (error) {
    const code = (error as { exitCode?: unknown }).exitCode;
    if (error instanceof CommanderError && typeof code === "number") return code; // commander has said why
    // An error nothing above expected: say what it was (made safe for a terminal), never end silently.
    const { warn } = await import("./policy-choice.js");
    warn(error instanceof Error ? error.message : String(error));
    return typeof code === "number" ? code : 1;
  }
  return exitCode;
}
