import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { CATEGORIES, riskOf } from "../classify/categories.js";
import type { Category, ToolProfile } from "../classify/types.js";
import {
  terminalLine,
  terminalSafeJson,
  visibleField,
  visibleText,
  visibleToolName,
} from "../display/visible.js";
import { formatPolicyError, parsePolicy } from "../policy/load.js";
import {
  listToolsOf,
  requireServerCommand,
  type ServerTools,
  serverLabel,
  shellWord,
  warn,
} from "./common.js";

export interface InitFlags {
  output?: string;
  force?: boolean;
}

/** Writes' rate limit in the starter policy: the built-in default's. */
const WRITE_LIMIT = { max: 30, window: 60 };

/** What the starter policy does with each category, and the words its section header says. */
const SECTIONS: Readonly<Record<Category, { what: string; allowed: boolean }>> = {
  read: { what: "reads: allowed, they change nothing", allowed: true },
  write: {
    what: `creates and changes things: allowed, at most ${WRITE_LIMIT.max} calls in ${WRITE_LIMIT.window} s per rule`,
    allowed: true,
  },
  execute: { what: "runs code, queries or jobs: denied until you decide", allowed: false },
  destructive: { what: "deletes, terminates or overwrites: denied until you decide", allowed: false },
  financial: { what: "moves money, charges or invoices: denied until you decide", allowed: false },
};

/** One rule of the starter policy: a whole tool, or some values of its selector argument. */
interface Entry {
  profile: ToolProfile;
  /** The description as comment lines (descriptionLines); empty when the tool has none. */
  description: string[];
  category: Category;
  /** For a multiplexed tool: its selector argument and the values of this entry's category. */
  selector: { argument: string; values: string[] } | null;
  signals: string[];
}

/** Lines of a description a comment shows; more are counted, with where to read them. */
const DESCRIPTION_LINES = 12;
/** Longest description line in a comment before it is shortened with a marker. */
const DESCRIPTION_LINE_CHARS = 100;

/**
 * A tool's description as comment lines: every non-empty line (the agent reads all of it, and
 * instructions hidden after a harmless first line are the commonest tool poisoning), each visible
 * and shortened with a marker, the lines past the twelfth counted.
 */
function descriptionLines(description: unknown): string[] {
  if (typeof description !== "string") return [];
  const lines = description
    .split(/\r\n|\r|\n/)
    .map((text) => text.trim())
    .filter((text) => text !== "");
  const shown = lines.slice(0, DESCRIPTION_LINES).map((text) => visibleField(text, DESCRIPTION_LINE_CHARS));
  const rest = lines.length - shown.length;
  if (rest > 0)
    shown.push(
      `…⟨${rest} more line${rest === 1 ? "" : "s"}: policylayer tools --json shows the whole description⟩`,
    );
  return shown;
}

const YAML_WORDS = /^(true|false|null|yes|no|on|off|y|n)$/i;

/** A string as a YAML scalar: plain where that reads back as the same string, else JSON-quoted. */
function scalar(text: string): string {
  // Hidden characters as \u escapes (which YAML reads the same), so the file shows them and loads.
  return /^[A-Za-z_][A-Za-z0-9_-]*$/.test(text) && !YAML_WORDS.test(text)
    ? text
    : terminalSafeJson(JSON.stringify(text));
}

/** A condition path can name an argument only if the name has no dot (the path separator). */
function selectorUsable(argument: string): boolean {
  return argument.length > 0 && !argument.includes(".");
}

/** The entries for a server's tools, per tool in the server's order; selector values grouped by category. */
function entriesOf(server: ServerTools): Entry[] {
  const descriptions = new Map<string, unknown>();
  for (const tool of server.tools) {
    if (typeof tool.name === "string" && !descriptions.has(tool.name))
      descriptions.set(tool.name, tool.description);
  }
  const entries: Entry[] = [];
  for (const profile of server.profiles.values()) {
    const description = descriptionLines(descriptions.get(profile.name));
    const selector = profile.selector;
    if (selector === undefined || !selectorUsable(selector.argument)) {
      const { category, signals } = profile.classification;
      entries.push({ profile, description, category, selector: null, signals });
      continue;
    }
    const byCategory = new Map<Category, { values: string[]; signals: string[][] }>();
    for (const [value, classification] of selector.values) {
      const group = byCategory.get(classification.category) ?? { values: [], signals: [] };
      group.values.push(value);
      group.signals.push(classification.signals);
      byCategory.set(classification.category, group);
    }
    for (const [category, group] of byCategory) {
      entries.push({
        profile,
        description,
        category,
        selector: { argument: selector.argument, values: group.values },
        signals: mergeSignals(group.signals),
      });
    }
  }
  return entries;
}

/** The signals of several values in one list: each value's own first, those they share once at the end. */
function mergeSignals(perValue: string[][]): string[] {
  const shared = (perValue[0] ?? []).filter((signal) => perValue.every((list) => list.includes(signal)));
  const own = perValue.flatMap((list) => list.filter((signal) => !shared.includes(signal)));
  return [...new Set(own), ...shared];
}

/** The `tool:` line and any extra condition: a name with glob characters is pinned with `when: tool eq`. */
function toolMatch(name: string): { pattern: string; pin: string | null } {
  if (!/[*?[\]{}]/.test(name)) return { pattern: scalar(name), pin: null };
  return {
    pattern: scalar(name.replace(/[*?[\]{}]/g, "?")),
    pin: `      - { path: tool, op: eq, value: ${scalar(name)} }`,
  };
}

function entryLabel(entry: Entry): string {
  const name = visibleToolName(entry.profile.name);
  if (entry.selector === null) return name;
  const values = entry.selector.values.map((value) => visibleField(value)).join("|");
  return `${name}(${visibleField(entry.selector.argument)}=${values})`;
}

/** One rule, with the comment that says what the tool is and why it is in this section. */
function ruleText(entry: Entry, policyFile: string): string[] {
  const lines: string[] = [];
  const [first = "(no description)", ...more] = entry.description;
  // Names and signals come from the server, each made visible: a comment stays one line, whatever they hold.
  lines.push(`  # ${entryLabel(entry)}: ${first}`);
  for (const line of more) lines.push(`  #   | ${line}`);
  lines.push(
    `  #   ${entry.category} because ${visibleText(entry.signals.join("; ")) || "nothing else classified it"}`,
  );
  const { pattern, pin } = toolMatch(entry.profile.name);
  lines.push(`  - tool: ${pattern}`);
  const conditions: string[] = pin === null ? [] : [pin];
  if (entry.selector !== null) {
    const { argument, values } = entry.selector;
    const [only] = values;
    const test =
      values.length === 1 && only !== undefined
        ? `op: eq, value: ${scalar(only)}`
        : `op: in, value: [${values.map(scalar).join(", ")}]`;
    conditions.push(`      - { path: args.${argument}, ${test} }`);
  }
  if (conditions.length > 0) lines.push("    when:", ...conditions);
  if (SECTIONS[entry.category].allowed) {
    lines.push("    action: allow");
    if (entry.category === "write")
      lines.push(`    rate_limit: { max: ${WRITE_LIMIT.max}, window: ${WRITE_LIMIT.window} }`);
  } else {
    lines.push("    action: deny");
    const reason =
      `${entryLabel(entry)} is ${entry.category}: the starter policy ${policyFile} denies it until ` +
      "someone decides to allow it or to require approval.";
    // Made of visible fields: terminalLine leaves their marks as written and shows anything else that would hide.
    lines.push(`    reason: ${JSON.stringify(terminalLine(reason))}`);
  }
  return lines;
}

/** The starter policy's text for a server: a header, then one commented section per category. */
export function starterPolicy(server: ServerTools, policyFile: string): string {
  const entries = entriesOf(server);
  const name = serverLabel(server.serverInfo);
  // The command as typed, one visible comment line whatever its words hold (a line break would end the comment).
  const run = visibleText(server.commandLine);
  const file = shellWord(policyFile);
  const multiplexed = entries.some((entry) => entry.selector !== null);
  const out: string[] = [
    `# policylayer starter policy for: ${run}`,
    `#   server ${name === null ? "(it sent no serverInfo)" : visibleText(name)}, ${server.profiles.size} tools; written by policylayer init.`,
    "#",
    "# Use it:",
    `#   check it after every edit:          policylayer validate ${file}`,
    `#   see what it does with each tool:    policylayer tools --policy ${file} -- ${run}`,
    `#   run the server behind it:           policylayer wrap --policy ${file} -- ${run}`,
    "#",
    "# Every tool was classified automatically (read, write, execute, destructive, financial) from its",
    "# annotations, name, description and arguments. Check each category below; where one is wrong, say so",
    "# in the classify: block, and move the tool's rule to the right section.",
    "# Reads are allowed, writes allowed at a limited rate, and execute, destructive and financial calls",
    "# are denied until you decide: allow them, or have a person approve each call (action: require_approval).",
    "# That is policylayer's built-in default policy (used by wrap when no policy is given; `policylayer",
    "# schema` shows it under examples), spelled out here tool by tool so that you can change it.",
    "# Rules are tried in order; the first that matches decides.",
    "version: 1",
    "mode: enforce   # monitor: log what would be denied, deny nothing",
    "# Anything no rule names (a tool the server adds later, an unknown argument value) is refused.",
    "default: deny",
    "",
    "# classify:          # your category for a tool, overriding automatic classification",
    "#   some_tool: read",
    "",
  ];
  if (multiplexed) {
    out.push(
      "# Some tools choose what they do with one argument (operation, action, ...): their rules match",
      "# the argument's values. A call without one of those values falls to default: deny.",
    );
  }
  if (entries.length === 0) {
    out.push("# The server listed no tools.", "rules: []", "");
    return out.join("\n");
  }
  out.push("rules:");
  for (const category of CATEGORIES) {
    const section = SECTIONS[category];
    const inSection = entries.filter((entry) => entry.category === category);
    out.push("");
    if (inSection.length === 0) {
      out.push(`  # ── ${category} (${riskOf(category)} risk): none of this server's tools ──`);
      continue;
    }
    out.push(`  # ── ${category} (${riskOf(category)} risk), ${section.what} ──`);
    if (!section.allowed) {
      out.push(
        "  # To have a person approve each call instead of denying it, change a rule's action:",
        "  #   action: require_approval",
        "  #   approval: { timeout: 50 }    # seconds to wait for an answer (under clients' 60 s)",
        "  # (and drop its reason, or reword it). To allow it outright: action: allow.",
      );
    }
    // Rules for selector values come before whole-tool rules, so that a value is decided by its own rule.
    const ordered = [
      ...inSection.filter((entry) => entry.selector !== null),
      ...inSection.filter((entry) => entry.selector === null),
    ];
    for (const entry of ordered) out.push(...ruleText(entry, policyFile));
  }
  out.push("");
  return out.join("\n");
}

/** `policylayer init`: lists a server's tools and writes a starter policy for them (stdout without -o). */
export async function initCommand(serverCommand: string[] | null, flags: InitFlags): Promise<number> {
  const command = requireServerCommand(
    serverCommand,
    "policylayer init -o policy.yaml -- uvx awslabs.sagemaker-ai-mcp-server",
  );
  if (command === null) return 2;
  const output = flags.output;
  if (output !== undefined && flags.force !== true && existsSync(output)) {
    warn(`${output} already exists; pass --force to overwrite it, or choose another file with -o`);
    return 1;
  }
  const server = await listToolsOf(command);
  if (server === null) return 1;
  const text = starterPolicy(server, output ?? "policy.yaml");
  const check = parsePolicy(text, output ?? "the starter policy");
  if (!check.ok) {
    // The generator's own output must validate: anything else is a bug in policylayer.
    warn("the starter policy does not validate; this is a bug in policylayer init, please report it:");
    for (const error of check.errors) process.stderr.write(`${terminalLine(formatPolicyError(error))}\n`);
    return 1;
  }
  if (output === undefined) {
    process.stdout.write(text);
    return 0;
  }
  try {
    await writeFile(output, text, { flag: flags.force === true ? "w" : "wx" });
  } catch (error) {
    const code = error instanceof Error && "code" in error ? String(error.code) : "";
    warn(
      code === "EEXIST"
        ? `${output} already exists; pass --force to overwrite it, or choose another file with -o`
        : `cannot write ${output}: ${error instanceof Error ? error.message : String(error)}`,
    );
    return 1;
  }
  process.stdout.write(
    `wrote ${output}: ${check.policy.rules.length} rules for ${server.profiles.size} tools of ${server.commandLine}\n` +
      `next: policylayer tools --policy ${shellWord(output)} -- ${server.commandLine}\n`,
  );
  return 0;
}
