// The labelled-tools fixture and its list of known misses, parsed and checked on load: a malformed
// line, an unknown category, a duplicate or a server without a named source fails loudly.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { isCategory } from "../../src/classify/index.js";
import type { Category } from "../../src/classify/types.js";

const FIXTURES = fileURLToPath(new URL("../fixtures/classify/", import.meta.url));

/** One labelled tool: what a careful person calls it after reading its name and description. */
export interface LabelledTool {
  server: string;
  name: string;
  category: Category;
  description: string;
}

/** A labelled tool the classifier is known to read otherwise, with what it says instead. */
export interface KnownMiss {
  server: string;
  name: string;
  classified: Category;
}

/** The key naming a tool in both files: server/name. */
export function toolKey(tool: { server: string; name: string }): string {
  return `${tool.server}/${tool.name}`;
}

// The content lines of a fixture, each with its 1-based line number; comments and blanks dropped.
function contentLines(text: string): [number, string][] {
  const lines: [number, string][] = [];
  text.split("\n").forEach((line, index) => {
    if (line.trim() === "" || line.startsWith("#")) return;
    lines.push([index + 1, line]);
  });
  return lines;
}

function fieldsOf(file: string, lineNumber: number, line: string, count: number): string[] {
  const fields = line.split("\t");
  if (fields.length !== count || fields.some((field) => field.trim() === "" || field !== field.trim())) {
    throw new Error(
      `${file}:${lineNumber}: expected ${count} non-empty tab-separated fields without surrounding spaces, got ${JSON.stringify(line)}`,
    );
  }
  return fields;
}

function categoryOf(file: string, lineNumber: number, value: string): Category {
  if (!isCategory(value)) {
    throw new Error(
      `${file}:${lineNumber}: "${value}" is not a category (read, write, execute, destructive, financial)`,
    );
  }
  return value;
}

/** Parses labelled-tools text: `@source` lines and tool lines, each checked; `file` names it in errors. */
export function parseLabelledTools(text: string, file: string): LabelledTool[] {
  const sources = new Map<string, number>();
  const tools: LabelledTool[] = [];
  const seen = new Map<string, number>();
  for (const [lineNumber, line] of contentLines(text)) {
    if (line.startsWith("@source\t")) {
      const [, server = ""] = fieldsOf(file, lineNumber, line, 3);
      if (sources.has(server))
        throw new Error(
          `${file}:${lineNumber}: a second @source for ${server} (first at ${sources.get(server)})`,
        );
      sources.set(server, lineNumber);
      continue;
    }
    const [server = "", name = "", category = "", description = ""] = fieldsOf(file, lineNumber, line, 4);
    if (/\s/.test(name))
      throw new Error(`${file}:${lineNumber}: the tool name ${JSON.stringify(name)} has a space`);
    if (!sources.has(server))
      throw new Error(
        `${file}:${lineNumber}: server ${server} has no @source line above it naming where its tools come from`,
      );
    const key = toolKey({ server, name });
    const first = seen.get(key);
    if (first !== undefined)
      throw new Error(`${file}:${lineNumber}: ${key} is listed twice (first at line ${first})`);
    seen.set(key, lineNumber);
    tools.push({ server, name, category: categoryOf(file, lineNumber, category), description });
  }
  for (const [server, lineNumber] of sources) {
    if (!tools.some((tool) => tool.server === server))
      throw new Error(`${file}:${lineNumber}: @source ${server} has no tools`);
  }
  return tools;
}

/** Parses known-misses text against the labelled tools: each names a labelled tool and a category other than its label. */
export function parseKnownMisses(text: string, file: string, tools: readonly LabelledTool[]): KnownMiss[] {
  const labels = new Map(tools.map((tool) => [toolKey(tool), tool.category]));
  const misses: KnownMiss[] = [];
  const seen = new Set<string>();
  for (const [lineNumber, line] of contentLines(text)) {
    const [server = "", name = "", classified = ""] = fieldsOf(file, lineNumber, line, 4);
    const key = toolKey({ server, name });
    const label = labels.get(key);
    if (label === undefined) throw new Error(`${file}:${lineNumber}: ${key} is not a labelled tool`);
    if (seen.has(key)) throw new Error(`${file}:${lineNumber}: ${key} is listed twice`);
    seen.add(key);
    const category = categoryOf(file, lineNumber, classified);
    if (category === label)
      throw new Error(`${file}:${lineNumber}: ${key} is labelled ${label}, so ${classified} is not a miss`);
    misses.push({ server, name, classified: category });
  }
  return misses;
}

/** The labelled tools of test/fixtures/classify/labelled-tools.tsv. */
export function loadLabelledTools(): LabelledTool[] {
  const file = `${FIXTURES}labelled-tools.tsv`;
  return parseLabelledTools(readFileSync(file, "utf8"), file);
}

/** The known misses of test/fixtures/classify/known-misses.tsv. */
export function loadKnownMisses(tools: readonly LabelledTool[]): KnownMiss[] {
  const file = `${FIXTURES}known-misses.tsv`;
  return parseKnownMisses(readFileSync(file, "utf8"), file, tools);
}
