// What install and uninstall would do to one config file: the new text, a line per entry, and the
// records to keep. Pure over the text read: nothing here writes. Every new text is parsed again and
// checked to differ from the old one only in the entries meant to change.
import { isDeepStrictEqual } from "node:util";
import { stateDir } from "../state/paths.js";
import type { ClientConfig } from "./clients.js";
import {
  applyTextEdits,
  type ConfigDocument,
  type ConfigEntry,
  ConfigParseError,
  EditRefused,
  type TextEdit,
} from "./document.js";
import {
  type CommandLine,
  classifyEntry,
  type EntryKind,
  entryEnv,
  parseWrapped,
  sameLine,
  sandboxNote,
  type WrappedCommand,
  withPolicy,
  wrappedCommandLine,
  wrappedLine,
} from "./entry.js";
import { parseDocument } from "./formats.js";
import type { MachineChecks } from "./machine-checks.js";
import type { FileState, InstalledEntry } from "./state.js";

/** What happens (or happened) to one entry, in words for the plan. */
export interface EntryReport {
  name: string;
  scope: string | null;
  outcome:
    | "wrap"
    | "update-policy"
    | "already-wrapped"
    | "remote"
    | "unsupported"
    | "restore"
    | "restore-edited"
    | "unwrap"
    | "not-wrapped"
    | "elsewhere";
  detail: string;
  /** A warning the user should see (a command not found on this machine). */
  warning: string | null;
}

/** The plan for one file. */
export interface FilePlan {
  config: ClientConfig;
  oldText: string;
  newText: string;
  reports: EntryReport[];
  /** The file's records after the change. */
  state: FileState;
}

/**
 * The policy of an entry: an absolute path, or null for the built-in default; `given` when the user
 * chose it (--policy, --init), so that it replaces a wrapped entry's policy. A refusal leaves the entry alone.
 */
export type PolicyChoice = { policy: string | null; given: boolean } | { refusal: string };

/** Which entries a command acts on: named ones, or all. */
export type Selection = { names: ReadonlySet<string> } | "all";

function selected(selection: Selection, entry: { name: string }): boolean {
  return selection === "all" || selection.names.has(entry.name);
}

/** The file's text with the edits, checked: it parses, and only the planned entries' command and args differ. */
function checkedText(
  config: ClientConfig,
  document: ConfigDocument,
  edits: TextEdit[],
  expected: Map<string, CommandLine | "restore">,
  records: FileState["entries"],
): { text: string; after: ConfigDocument } {
  const text = applyTextEdits(document.text, edits);
  let after: ConfigDocument;
  try {
    after = parseDocument(config, text);
  } catch (error) {
    const where = error instanceof ConfigParseError ? ` at ${error.line}:${error.column}` : "";
    throw new EditRefused(
      `the edited ${config.file} would not parse${where} (a bug in policylayer install; please report it); nothing was written`,
    );
  }
  const beforeEntries = new Map(document.entries(config.containers).map((entry) => [entry.key, entry]));
  const afterEntries = new Map(after.entries(config.containers).map((entry) => [entry.key, entry]));
  for (const [key, want] of expected) {
    const entry = afterEntries.get(key);
    const value = entry?.value;
    const ok =
      want === "restore"
        ? entry !== undefined && text.slice(entry.start, entry.end) === records[key]?.original
        : (() => {
            const kind = classifyEntry(value, config.client, () => false); // only the line matters here
            return kind.kind === "stdio" && sameLine(kind.line, want);
          })();
    if (!ok)
      throw new EditRefused(
        `the edit of ${key} in ${config.file} did not come out as planned (a bug in policylayer install); nothing was written`,
      );
  }
  // Everything else must be untouched: compare the documents with the planned entries taken out.
  const strip = (doc: ConfigDocument, entries: Map<string, ConfigEntry>): unknown => {
    const data = structuredClone(doc.data);
    for (const key of expected.keys()) {
      const entry = entries.get(key);
      if (entry !== undefined) removeAt(data, JSON.parse(key) as string[]);
    }
    return data;
  };
  if (!isDeepStrictEqual(strip(document, beforeEntries), strip(after, afterEntries)))
    throw new EditRefused(
      `the edit of ${config.file} would change more than the planned entries (a bug in policylayer install); nothing was written`,
    );
  return { text, after };
}

/** The value at a path of object keys, or undefined. */
function valueAt(data: unknown, path: readonly string[]): unknown {
  let node: unknown = data;
  for (const segment of path) {
    if (typeof node !== "object" || node === null || !Object.hasOwn(node, segment)) return undefined;
    node = (node as Record<string, unknown>)[segment];
  }
  return node;
}

function removeAt(data: unknown, path: readonly string[]): void {
  let node: unknown = data;
  for (const segment of path.slice(0, -1)) {
    if (typeof node !== "object" || node === null) return;
    node = (node as Record<string, unknown>)[segment];
  }
  const last = path[path.length - 1];
  if (typeof node === "object" && node !== null && last !== undefined)
    delete (node as Record<string, unknown>)[last];
}

/** A JSON copy of a parsed value (TOML dates and the like become their JSON form) for comparisons. */
function jsonValue(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value ?? null));
}

/** An entry as its client reads it, a line that says `wrap` counting as wrapped only when it runs a real policylayer. */
export function classifyOnMachine(
  entry: ConfigEntry,
  config: ClientConfig,
  checks: MachineChecks,
): EntryKind {
  return classifyEntry(entry.value, config.client, (launcher) => checks.isPolicylayer(entry, launcher));
}

/** The warning for an entry with a command and a url where the client's documentation does not say which it uses. */
function ambiguityNote(client: string, alsoRemote: string | null): string | null {
  if (alsoRemote === null) return null;
  return `it has a command and also ${alsoRemote}, and ${client}'s documentation does not say which one it uses: its command is wrapped, so that it cannot run unguarded; remove the one it should not use`;
}

/**
 * What uninstall restores a wrapped entry to after a policy change: the older record while the entry
 * is still as install wrote it; after a hand edit since (of the server's words or anything else), the
 * entry as it is now with the server's current words as command and args, so that no edit is lost.
 * Null when that text cannot be made.
 */
function rebasedOriginal(
  document: ConfigDocument,
  entry: ConfigEntry,
  wrapped: WrappedCommand | null,
  previous: InstalledEntry | undefined,
): Pick<InstalledEntry, "original" | "originalLine"> | null {
  if (previous === undefined || wrapped === null) return null;
  const current = document.text.slice(entry.start, entry.end);
  if (current === previous.installed && sameLine(wrapped.server, previous.originalLine)) return previous;
  try {
    const edits = document.setCommandLine(entry, wrapped.server.command, wrapped.server.args);
    const grown = edits.reduce((sum, edit) => sum + edit.content.length - edit.length, 0);
    const original = applyTextEdits(document.text, edits).slice(entry.start, entry.end + grown);
    return { original, originalLine: wrapped.server };
  } catch (error) {
    if (!(error instanceof EditRefused)) throw error;
    return null;
  }
}

/**
 * The parts of an entry's line when install wrote it exactly so (its record says) and its launcher
 * is no policylayer install any more (the node it named was removed by an upgrade); else null.
 */
function ownStaleWrap(
  document: ConfigDocument,
  entry: ConfigEntry,
  kind: EntryKind,
  record: InstalledEntry | undefined,
): WrappedCommand | null {
  if (kind.kind !== "stdio" || kind.unknownLauncher === null || record === undefined) return null;
  if (document.text.slice(entry.start, entry.end) !== record.installed) return null;
  return parseWrapped(kind.line);
}

/** Plans `install` for one parsed file: wraps the chosen stdio entries, updates policies of wrapped ones. */
export function planInstall(
  config: ClientConfig,
  document: ConfigDocument,
  state: FileState,
  selection: Selection,
  launcher: readonly string[],
  policyFor: (entry: ConfigEntry) => PolicyChoice,
  checks: MachineChecks,
  now: Date,
): FilePlan {
  const reports: EntryReport[] = [];
  const edits: TextEdit[] = [];
  const expected = new Map<string, CommandLine | "restore">();
  const entries = { ...state.entries };
  /**
   * The entries to record, whether the text before install is theirs now (a fresh wrap) or in an
   * older record, and the wrapped line that older record is checked against.
   */
  const toRecord = new Map<string, { entry: ConfigEntry; fresh: boolean; wrapped: WrappedCommand | null }>();
  for (const entry of document.entries(config.containers)) {
    if (!selected(selection, entry)) continue;
    const base = { name: entry.name, scope: entry.scope, warning: null };
    const kind = classifyOnMachine(entry, config, checks);
    if (kind.kind === "remote") {
      reports.push({ ...base, outcome: "remote", detail: `remote (${kind.transport}): not wrapped` });
      continue;
    }
    if (kind.kind === "unsupported") {
      reports.push({ ...base, outcome: "unsupported", detail: `not wrapped: ${kind.reason}` });
      continue;
    }
    const choice = policyFor(entry);
    if ("refusal" in choice) {
      reports.push({ ...base, outcome: "unsupported", detail: `not wrapped: ${choice.refusal}` });
      continue;
    }
    const policy = choice.policy;
    let line: CommandLine;
    let outcome: EntryReport["outcome"];
    let server: CommandLine;
    const stale = ownStaleWrap(document, entry, kind, entries[entry.key]);
    if (stale !== null) {
      // Install wrote this line, and its launcher is gone since (node upgraded): the same line, run by this policylayer.
      const relaunched = { ...stale, launcher: [...launcher, "wrap"] };
      server = stale.server;
      line =
        choice.given && policy !== null ? withPolicy(relaunched, policy) : wrappedCommandLine(relaunched);
      outcome = "wrap";
    } else if (kind.wrapped === null) {
      server = kind.line;
      line = wrappedLine(launcher, policy, server);
      outcome = "wrap";
    } else {
      server = kind.wrapped.server;
      if (!choice.given || policy === null || kind.wrapped.policy === policy) {
        const uses = kind.wrapped.policy === null ? "the built-in default policy" : kind.wrapped.policy;
        reports.push({ ...base, outcome: "already-wrapped", detail: `already wrapped (policy: ${uses})` });
        continue;
      }
      line = withPolicy(kind.wrapped, policy);
      outcome = "update-policy";
    }
    let entryEdits: TextEdit[];
    try {
      entryEdits = document.setCommandLine(entry, line.command, line.args);
    } catch (error) {
      if (!(error instanceof EditRefused)) throw error;
      reports.push({ ...base, outcome: "unsupported", detail: `not wrapped: ${error.message}` });
      continue;
    }
    edits.push(...entryEdits);
    expected.set(entry.key, line);
    // A policy change of an entry wrapped by hand keeps no record: uninstall takes the words after --.
    // A record left from before (the entry was unwrapped by hand since) is not the original of a fresh wrap.
    if (outcome === "wrap" || entries[entry.key] !== undefined)
      toRecord.set(entry.key, {
        entry,
        fresh: outcome === "wrap" && stale === null,
        wrapped: stale ?? kind.wrapped,
      });
    const uses = policy === null ? "the built-in default policy" : policy;
    const warnings = [
      checks.commandFound(entry, server)
        ? null
        : `its command ${JSON.stringify(server.command)} is not found on this machine; wrapped all the same`,
      ambiguityNote(config.client, kind.alsoRemote),
      sandboxNote(entry.value, stateDir(entryEnv(entry.value))),
    ].filter((warning) => warning !== null);
    reports.push({
      ...base,
      outcome,
      detail:
        outcome === "update-policy"
          ? `policy changes to ${policy}`
          : stale !== null
            ? `run by this policylayer again (it ran ${stale.launcher.join(" ")}, which is no policylayer install any more)`
            : kind.unknownLauncher === null
              ? `wrap with ${uses}`
              : `wrap with ${uses} (it runs ${kind.unknownLauncher.join(" ")} wrap, which is not a policylayer install: not protected until now)`,
      warning: warnings.length === 0 ? null : warnings.join("; "),
    });
  }
  const { text, after } = checkedText(config, document, edits, expected, entries);
  const afterEntries = new Map(after.entries(config.containers).map((entry) => [entry.key, entry]));
  for (const [key, { entry, fresh, wrapped }] of toRecord) {
    const written = afterEntries.get(key);
    const kind = classifyOnMachine(entry, config, checks);
    if (written === undefined || kind.kind !== "stdio") continue;
    const original = fresh
      ? { original: document.text.slice(entry.start, entry.end), originalLine: kind.line }
      : rebasedOriginal(document, entry, wrapped, entries[key]);
    if (original === null) {
      delete entries[key]; // uninstall then takes the words after `--`, as for an entry wrapped by hand
      continue;
    }
    entries[key] = {
      name: entry.name,
      original: original.original,
      originalLine: original.originalLine,
      installed: text.slice(written.start, written.end),
      installedValue: jsonValue(written.value),
      installedAt: now.toISOString(),
    };
  }
  reports.push(...unwrappedElsewhere(config, document, selection));
  return { config, oldText: document.text, newText: text, reports, state: { ...state, entries } };
}

/** Plans `uninstall` for one parsed file: restores the chosen wrapped entries. */
export function planUninstall(
  config: ClientConfig,
  document: ConfigDocument,
  state: FileState,
  selection: Selection,
): FilePlan {
  const reports: EntryReport[] = [];
  const edits: TextEdit[] = [];
  const expected = new Map<string, CommandLine | "restore">();
  const entries: Record<string, InstalledEntry> = { ...state.entries };
  for (const entry of document.entries(config.containers)) {
    if (!selected(selection, entry)) continue;
    const base = { name: entry.name, scope: entry.scope, warning: null };
    const record = entries[entry.key];
    const text = document.text.slice(entry.start, entry.end);
    if (record !== undefined && text === record.installed) {
      edits.push({ offset: entry.start, length: entry.end - entry.start, content: record.original });
      expected.set(entry.key, "restore");
      delete entries[entry.key];
      reports.push({ ...base, outcome: "restore", detail: "restored exactly as it was before install" });
      continue;
    }
    // Any `policylayer wrap` line is taken apart, its launcher found or not: one may uninstall after
    // removing the package, and the words after `--` are what the look-alike ran anyway.
    const kind = classifyEntry(entry.value, config.client, () => true);
    const wrapped = kind.kind === "stdio" ? kind.wrapped : null;
    if (wrapped === null) {
      if (kind.kind === "remote") {
        reports.push({ ...base, outcome: "remote", detail: `remote (${kind.transport}): untouched` });
      } else if (record !== undefined) {
        delete entries[entry.key];
        reports.push({
          ...base,
          outcome: "not-wrapped",
          detail: "no longer wrapped (changed by hand since install); left as it is",
        });
      } else {
        reports.push({ ...base, outcome: "not-wrapped", detail: "not wrapped; nothing to do" });
      }
      continue;
    }
    // The server's words as they stand now: a hand edit of them since install is kept, never undone.
    const line = wrapped.server;
    try {
      edits.push(...document.setCommandLine(entry, line.command, line.args));
    } catch (error) {
      if (!(error instanceof EditRefused)) throw error;
      reports.push({ ...base, outcome: "unsupported", detail: `cannot restore: ${error.message}` });
      continue;
    }
    expected.set(entry.key, line);
    delete entries[entry.key];
    if (record === undefined) {
      reports.push({
        ...base,
        outcome: "unwrap",
        detail: "unwrapped (policylayer kept no record of it): the command after -- is its command again",
      });
    } else if (!sameLine(line, record.originalLine)) {
      reports.push({
        ...base,
        outcome: "restore-edited",
        detail:
          "its server's command or args were edited by hand after install: the words after -- are its command and args now, as you left them",
      });
    } else if (isDeepStrictEqual(jsonValue(entry.value), record.installedValue)) {
      reports.push({
        ...base,
        outcome: "restore",
        detail: "command and args restored (the file was reformatted since install)",
      });
    } else {
      reports.push({
        ...base,
        outcome: "restore-edited",
        detail:
          "edited by hand after install: its original command and args are back, your other edits are kept",
      });
    }
  }
  reports.push(...wrappedElsewhere(config, document, state, selection));
  const { text } = checkedText(config, document, edits, expected, state.entries);
  return { config, oldText: document.text, newText: text, reports, state: { ...state, entries } };
}

/**
 * The stdio entries install does not wrap because this run does not look there (the local scope of
 * another project in Claude Code's ~/.claude.json, which Claude Code runs in that project), so that
 * install never leaves a server unwrapped unsaid.
 */
function unwrappedElsewhere(
  config: ClientConfig,
  document: ConfigDocument,
  selection: Selection,
): EntryReport[] {
  const reports: EntryReport[] = [];
  for (const { project, entry } of otherProjectEntries(config, document)) {
    if (!selected(selection, entry)) continue;
    const kind = classifyEntry(entry.value, config.client, () => true);
    if (kind.kind !== "stdio" || kind.wrapped !== null) continue;
    reports.push({
      name: entry.name,
      scope: entry.scope,
      outcome: "elsewhere",
      detail: `not wrapped: it is in the local scope of the project ${project}; run install in that folder to wrap it`,
      warning: null,
    });
  }
  return reports;
}

/**
 * The entries of a config that this run does not consider because they belong to another project:
 * in Claude Code's ~/.claude.json, the local scope of every project but the one install runs in.
 */
export function otherProjectEntries(
  config: ClientConfig,
  document: ConfigDocument,
): Array<{ project: string; entry: ConfigEntry }> {
  const projects = valueAt(document.data, ["projects"]);
  if (config.client !== "claude-code" || typeof projects !== "object" || projects === null) return [];
  const considered = new Set(document.entries(config.containers).map((entry) => entry.key));
  const found: Array<{ project: string; entry: ConfigEntry }> = [];
  for (const project of Object.keys(projects)) {
    for (const entry of document.entries([["projects", project, "mcpServers"]])) {
      if (!considered.has(entry.key)) found.push({ project, entry });
    }
  }
  return found;
}

/**
 * The entries install wrapped that are still wrapped where this run does not look (the local scope
 * of another project in Claude Code's ~/.claude.json), so that uninstall never leaves one wrapped unsaid.
 */
function wrappedElsewhere(
  config: ClientConfig,
  document: ConfigDocument,
  state: FileState,
  selection: Selection,
): EntryReport[] {
  const considered = new Set(document.entries(config.containers).map((entry) => entry.key));
  const reports: EntryReport[] = [];
  for (const [key, record] of Object.entries(state.entries)) {
    const path = JSON.parse(key) as string[];
    const [top, project] = path;
    if (considered.has(key) || !selected(selection, record) || top !== "projects" || project === undefined)
      continue;
    const kind = classifyEntry(valueAt(document.data, path), config.client, () => true);
    if (kind.kind !== "stdio" || kind.wrapped === null) continue;
    reports.push({
      name: record.name,
      scope: path.slice(0, -2).join(" "),
      outcome: "elsewhere",
      detail: `still wrapped: it is in the local scope of the project ${project}; run uninstall in that folder to restore it`,
      warning: null,
    });
  }
  return reports;
}

/** Whether a plan changes the file. */
export function changesFile(plan: FilePlan): boolean {
  return plan.newText !== plan.oldText;
}
