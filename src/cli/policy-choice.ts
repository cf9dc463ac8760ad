// What every command that decides shares: which policy, and how its problems reach the user.
import { resolve } from "node:path";
import { cutMarker, cutText, terminalLine } from "../display/visible.js";
import { builtInDefaultReading } from "../policy/default.js";
import { formatPolicyError, formatPolicyWarning, readPolicyFile } from "../policy/load.js";
import type { PolicyHeader } from "../policy/settings.js";
import type { CompiledPolicy, PolicyDocument } from "../policy/types.js";

/** Longest diagnostic line, in characters, before warn cuts it (a stack trace of an internal error fits). */
const WARNING_CHARS = 4000;

/**
 * Writes one diagnostic line to stderr, prefixed so it stands apart from the server's own stderr.
 * A name or text from the agent or the server in it was made visible on its own (visibleField,
 * visibleToolName); the line pass still shows any line break, control or invisible character as a
 * mark, so nothing can forge another line or rewrite the screen, and right-to-left text as marks.
 * A line past WARNING_CHARS is cut with a marker: some messages quote the agent or the server whole
 * (an unknown id the server answered, a tool name in an internal error), and one such line could
 * scroll everything before it off the screen.
 */
export function warn(message: string): void {
  const cut = cutText(message, WARNING_CHARS);
  const end = cut.omittedChars === 0 ? "" : cutMarker(cut.omittedChars);
  process.stderr.write(`policylayer: ${terminalLine(cut.text)}${end}\n`);
}

/** The policy file from --policy, else $POLICYLAYER_POLICY, as an absolute path; null means the built-in default. */
export function chosenPolicyPath(flag: string | undefined): string | null {
  const chosen = flag ?? process.env.POLICYLAYER_POLICY;
  return chosen === undefined || chosen.length === 0 ? null : resolve(chosen);
}

/**
 * The policy at `path` (the built-in default for null). Null when the file does not validate: its
 * errors have been printed as FILE:LINE:COL, after a line that ends with `consequence`.
 */
export async function loadChosenPolicy(
  path: string | null,
  consequence = "",
): Promise<CompiledPolicy | null> {
  const chosen = await readChosenPolicy(path, consequence);
  if (chosen === null) return null;
  const policy = chosen.compile();
  chosen.printWarnings();
  return policy;
}

/** A chosen policy that validated: what it says about itself, compiled and its warnings printed on request. */
export interface ChosenPolicy {
  document: PolicyDocument;
  header: PolicyHeader;
  /** The compiled policy (compiled on the first call). */
  compile: () => CompiledPolicy;
  /** Places and prints the policy's warnings. */
  printWarnings: () => void;
}

/**
 * loadChosenPolicy, but compiled only by `compile()` and its warnings placed and printed only by
 * `printWarnings()`: wrap starts the server first.
 */
export async function readChosenPolicy(path: string | null, consequence = ""): Promise<ChosenPolicy | null> {
  const read = path === null ? builtInDefaultReading() : await readPolicyFile(path);
  if (read.ok) {
    const printWarnings = () => {
      for (const warning of read.warnings())
        process.stderr.write(`${terminalLine(formatPolicyWarning(warning))}\n`);
    };
    return { document: read.document, header: read.header, compile: read.compile, printWarnings };
  }
  warn(`the policy ${path} does not validate${consequence}:`);
  for (const error of read.errors) process.stderr.write(`${terminalLine(formatPolicyError(error))}\n`);
  return null;
}
