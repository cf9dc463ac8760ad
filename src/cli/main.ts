import { Command, InvalidArgumentError } from "commander";

/** Parses a positive integer flag value, naming the flag and the bad value when it is not one. */
function positiveInteger(flag: string) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isSafeInteger(parsed) || parsed <= 0) {
      throw new InvalidArgumentError(`${flag} must be a positive whole number, got ${JSON.stringify(value)}`);
    }
    return parsed;
  };
}

interface WrapCommandFlags {
  policy?: string;
  audit?: string;
  maxLineBytes: number;
  graceMs: number;
  listTimeoutMs: number;
  approvalInbox: boolean;
}

/** The words after `--`, or null when the command line has no `--`. */
export function commandAfterSeparator(argv: readonly string[]): string[] | null {
  const separator = argv.indexOf("--");
  return separator === -1 ? null : argv.slice(separator + 1);
}

/**
 * Runs the policylayer command line and resolves with the exit code. Each command's module is
 * imported only when that command runs, so `wrap` loads nothing the others need.
 */
export async function main(argv: readonly string[]): Promise<number> {
  let exitCode = 0;
  const serverCommand = commandAfterSeparator(argv);
  const program = new Command()
    .name("policylayer")
    .description(
      "A local policy firewall for MCP servers: decides every tools/call before it reaches the server.",
    )
    .showHelpAfterError()
    .enablePositionalOptions();

  program
    .command("wrap")
    .description("Run an MCP server behind the policy: policylayer wrap [--policy FILE] -- COMMAND [ARGS...]")
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
      256 * 1024 * 1024,
    )
    .option(
      "--grace-ms <n>",
      "how long each shutdown step waits before the next",
      positiveInteger("--grace-ms"),
      2000,
    )
    .option(
      "--list-timeout-ms <n>",
      "how long a call of a tool not yet listed waits while policylayer reads the server's tools/list",
      positiveInteger("--list-timeout-ms"),
      30_000,
    )
    .option(
      "--no-approval-inbox",
      "never wait in the local approval inbox; ask only in the client (elicitation)",
    )
    .argument("[command...]", "the MCP server's command, after --")
    .passThroughOptions()
    .action(async (_words: string[], flags: WrapCommandFlags) => {
      const { wrapCommand } = await import("./wrap.js");
      exitCode = await wrapCommand(serverCommand, flags);
    });

  program
    .command("validate")
    .description("Check a policy file; print each error as FILE:LINE:COL")
    .argument("<file>", "the policy file")
    .action(async (file: string) => {
      const { validateCommand } = await import("./validate.js");
      exitCode = await validateCommand(file);
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
    .action(async (_words: string[], flags: { policy?: string; json?: boolean }) => {
      const { toolsCommand } = await import("./tools.js");
      exitCode = await toolsCommand(serverCommand, flags);
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
    .action(async (_words: string[], flags: { output?: string; force?: boolean }) => {
      const { initCommand } = await import("./init.js");
      exitCode = await initCommand(serverCommand, flags);
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
      async (_words: string[], flags: { policy?: string; tool: string; args: string; json?: boolean }) => {
        const { checkCommand } = await import("./check.js");
        exitCode = await checkCommand(serverCommand, flags);
      },
    );

  program
    .command("approvals")
    .description("List calls waiting for approval; with --web, serve the approval page on loopback")
    .option("--web", "serve the approval page on 127.0.0.1 and print its address")
    .option("--port <n>", "port for --web (default: any free port)", positiveInteger("--port"))
    .option("--no-open", "with --web: do not open a browser")
    .option("--json", "print JSON for scripts")
    .action(async (flags: { web?: boolean; port?: number; open: boolean; json?: boolean }) => {
      const { approvalsCommand } = await import("./approvals.js");
      exitCode = await approvalsCommand(flags);
    });

  program
    .command("approve")
    .description("Approve a call waiting in the approval inbox")
    .argument("<id>", "the approval id shown by policylayer approvals")
    .action(async (id: string) => {
      const { approveCommand } = await import("./approvals.js");
      exitCode = await approveCommand(id);
    });

  program
    .command("deny")
    .description("Deny a call waiting in the approval inbox")
    .argument("<id>", "the approval id shown by policylayer approvals")
    .option("--reason <text>", "why; the agent is told")
    .action(async (id: string, flags: { reason?: string }) => {
      const { denyCommand } = await import("./approvals.js");
      exitCode = await denyCommand(id, flags);
    });

  program.exitOverride();
  try {
    await program.parseAsync(argv.slice(), { from: "node" });
  } catch (error) {
    const code = (error as { exitCode?: unknown }).exitCode;
    return typeof code === "number" ? code : 1;
  }
  return exitCode;
}
