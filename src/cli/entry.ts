import type { WrapFlags } from "./wrap.js";
import { quickWrapArguments, serverCommandOf } from "./wrap-arguments.js";

/**
 * The command line as bin/policylayer.js runs it; resolves with the exit code. A plain `wrap`
 * command line, the one an MCP client starts every session with, is read without loading
 * commander; every other one (and help, and every usage error) goes to main.ts's commander.
 */
export async function run(argv: readonly string[]): Promise<number> {
  const wrap = (words: string[], flags: WrapFlags) => wrapAction(argv, words, flags);
  const quick = quickWrapArguments(argv);
  if (quick !== null) return wrap(quick.words, quick.flags);
  const { main } = await import("./main.js");
  return main(argv, wrap);
}

/** `wrap` with the words and flags read from `argv`. */
async function wrapAction(argv: readonly string[], words: string[], flags: WrapFlags): Promise<number> {
  const { wrapCommand } = await import("./wrap.js");
  return wrapCommand(serverCommandOf(argv, words).command, flags);
}
