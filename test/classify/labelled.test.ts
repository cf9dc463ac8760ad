import { describe, expect, it } from "vitest";
import { profileTool } from "../../src/classify/index.js";
import { LABELLED_TOOLS } from "./labelled-tools.js";

describe("labelled tools from public MCP servers (name and description only)", () => {
  it("classifies at least 95% as a careful human would", () => {
    const misses = LABELLED_TOOLS.flatMap((row) => {
      const { classification } = profileTool({ name: row.name, description: row.description });
      return classification.category === row.category
        ? []
        : [
            `  ${row.server}/${row.name}: expected ${row.category}, got ${classification.category} (${classification.signals.join("; ")})`,
          ];
    });
    const correct = LABELLED_TOOLS.length - misses.length;
    const percent = ((100 * correct) / LABELLED_TOOLS.length).toFixed(1);
    console.log(
      `classification accuracy: ${correct}/${LABELLED_TOOLS.length} = ${percent}%\n${misses.join("\n")}`,
    );
    expect(LABELLED_TOOLS.length).toBeGreaterThanOrEqual(150);
    expect(correct / LABELLED_TOOLS.length).toBeGreaterThanOrEqual(0.95);
  });

  it("has no duplicate rows", () => {
    const keys = LABELLED_TOOLS.map((row) => `${row.server}/${row.name}`);
    expect(new Set(keys).size).toBe(keys.length);
  });
});
