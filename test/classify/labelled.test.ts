import { describe, expect, it } from "vitest";
import { profileTool } from "../../src/classify/index.js";
import {
  loadKnownMisses,
  loadLabelledTools,
  parseKnownMisses,
  parseLabelledTools,
  toolKey,
} from "./labelled-tools.js";

const TOOLS = loadLabelledTools();
const KNOWN_MISSES = loadKnownMisses(TOOLS);

function classified(tool: { name: string; description: string }): string {
  return profileTool({ name: tool.name, description: tool.description }).classification.category;
}

describe("labelled tools from public MCP servers (name and description only)", () => {
  it("misses exactly the tools listed in known-misses.tsv, each the way it is listed", () => {
    const known = new Map(KNOWN_MISSES.map((miss) => [toolKey(miss), miss.classified]));
    const problems: string[] = [];
    for (const tool of TOOLS) {
      const got = classified(tool);
      const listed = known.get(toolKey(tool));
      if (got === tool.category && listed !== undefined) {
        problems.push(`  ${toolKey(tool)} is now read right (${got}): remove it from known-misses.tsv`);
      } else if (got !== tool.category && listed === undefined) {
        problems.push(`  ${toolKey(tool)}: labelled ${tool.category}, classified ${got}: a new miss`);
      } else if (got !== tool.category && listed !== got) {
        problems.push(`  ${toolKey(tool)}: known-misses.tsv says ${listed}, the classifier now says ${got}`);
      }
    }
    const correct = TOOLS.filter((tool) => classified(tool) === tool.category).length;
    console.log(
      `classification agreement: ${correct}/${TOOLS.length} = ${((100 * correct) / TOOLS.length).toFixed(1)}%`,
    );
    expect(problems.join("\n")).toBe("");
  });

  it("agrees with the labels on at least 95% of at least 500 tools", () => {
    expect(TOOLS.length).toBeGreaterThanOrEqual(500);
    expect((TOOLS.length - KNOWN_MISSES.length) / TOOLS.length).toBeGreaterThanOrEqual(0.95);
  });

  it("classifies no labelled financial tool as a read or write", () => {
    const missed = TOOLS.filter(
      (tool) => tool.category === "financial" && ["read", "write"].includes(classified(tool)),
    ).map(toolKey);
    expect(missed).toEqual([]);
  });
});

describe("the labelled-tools fixture is checked on load", () => {
  const source = "@source\tdemo\tsomewhere/demo\n";

  it("reads a tool line with its source", () => {
    expect(parseLabelledTools(`${source}# a comment\n\ndemo\tget_x\tread\tGet x.\n`, "t.tsv")).toEqual([
      { server: "demo", name: "get_x", category: "read", description: "Get x." },
    ]);
  });

  it("refuses a line with a missing field, naming the file and line", () => {
    expect(() => parseLabelledTools(`${source}demo\tget_x\tread\n`, "t.tsv")).toThrow(
      /^t\.tsv:2: expected 4/,
    );
  });

  it("refuses an unknown category", () => {
    expect(() => parseLabelledTools(`${source}demo\tget_x\treads\tGet x.\n`, "t.tsv")).toThrow(
      /t\.tsv:2: "reads" is not a category/,
    );
  });

  it("refuses a tool listed twice", () => {
    expect(() =>
      parseLabelledTools(`${source}demo\tget_x\tread\tGet x.\ndemo\tget_x\tread\tGet x.\n`, "t.tsv"),
    ).toThrow(/t\.tsv:3: demo\/get_x is listed twice \(first at line 2\)/);
  });

  it("refuses a server without a named source", () => {
    expect(() => parseLabelledTools("other\tget_x\tread\tGet x.\n", "t.tsv")).toThrow(
      /server other has no @source line/,
    );
  });

  it("refuses a known miss that names no labelled tool or agrees with the label", () => {
    const tools = parseLabelledTools(`${source}demo\tget_x\tread\tGet x.\n`, "t.tsv");
    expect(() => parseKnownMisses("demo\tget_y\twrite\twhy\n", "m.tsv", tools)).toThrow(
      /m\.tsv:1: demo\/get_y is not a labelled tool/,
    );
    expect(() => parseKnownMisses("demo\tget_x\tread\twhy\n", "m.tsv", tools)).toThrow(/is not a miss/);
  });
});
