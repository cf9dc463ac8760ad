import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import type { WrapFlags } from "../../src/cli/wrap.js";
import { quickWrapArguments } from "../../src/cli/wrap-arguments.js";
import { seededRandom } from "../helpers/random.js";

// wrap's quick argument path (no commander) must read a command line exactly as commander does,
// or leave it to commander.

/** What commander hands wrap's action for `argv`, or null when it never calls it (help, errors). */
async function commanderReading(argv: string[]): Promise<{ words: string[]; flags: WrapFlags } | null> {
  let reading: { words: string[]; flags: WrapFlags } | null = null;
  const stderr = process.stderr.write;
  const stdout = process.stdout.write;
  // commander's help and errors are not what is compared here; keep them off the test's output.
  process.stderr.write = () => true;
  process.stdout.write = () => true;
  try {
    await main(argv, async (words, flags) => {
      reading = { words, flags: { ...flags } };
      return 0;
    });
  } finally {
    process.stderr.write = stderr;
    process.stdout.write = stdout;
  }
  return reading;
}

const argvOf = (...words: string[]) => ["/usr/bin/node", "/usr/bin/policylayer", ...words];

describe("wrap's quick argument path", () => {
  it.each([
    [["wrap", "--policy", "p.yaml", "--", "uvx", "server"]],
    [["wrap", "--policy", "p.yaml", "--audit", "a.jsonl", "--", "node", "s.js", "--policy", "x"]],
    [["wrap", "--policy", "p.yaml", "node", "s.js", "--", "--grace-ms", "5"]],
    [["wrap", "--max-line-bytes", "1024", "--grace-ms", "50", "--list-timeout-ms", "9", "--", "node"]],
    [["wrap", "--no-approval-inbox", "--policy", "a", "--policy", "b", "node"]],
    [["wrap", "--no-busy-poll", "--", "node", "--no-busy-poll"]],
    [["wrap", "node", "server.js"]],
    [["wrap", "--"]],
    [["wrap"]],
  ])("reads %j as commander does", async (words) => {
    const quick = quickWrapArguments(argvOf(...words));
    expect(quick).not.toBeNull();
    expect(quick).toEqual(await commanderReading(argvOf(...words)));
  });

  it.each([
    [["wrap", "--help"]],
    [["wrap", "--policy=p.yaml", "--", "node"]],
    [["wrap", "--grace-ms", "0", "--", "node"]],
    [["wrap", "--grace-ms", "2.5", "--", "node"]],
    [["wrap", "--max-line-bytes", "-1", "--", "node"]],
    [["wrap", "--policy"]],
    [["wrap", "--unknown", "--", "node"]],
    [["wrap", "-h"]],
    [["--version"]],
    [["tools", "--", "node"]],
  ])("leaves %j to commander", (words) => {
    expect(quickWrapArguments(argvOf(...words))).toBeNull();
  });

  it("agrees with commander on 3,000 random command lines wherever it reads one (seed 10)", async () => {
    const random = seededRandom(10);
    const pool = [
      "--policy",
      "--audit",
      "--max-line-bytes",
      "--grace-ms",
      "--list-timeout-ms",
      "--no-approval-inbox",
      "--no-busy-poll",
      "--",
      "-",
      "-h",
      "--help",
      "--policy=p.yaml",
      "--unknown",
      "p.yaml",
      "wrap",
      "node",
      "5",
      "0",
      "-3",
      "1e3",
      "0x10",
      " 7",
      "",
      "9007199254740993",
    ];
    let read = 0;
    for (let i = 0; i < 3000; i++) {
      const words = Array.from({ length: Math.floor(random.next() * 7) }, () => random.pick(pool));
      const argv = argvOf("wrap", ...words);
      const quick = quickWrapArguments(argv);
      if (quick === null) continue;
      read++;
      expect(quick, JSON.stringify(argv)).toEqual(await commanderReading(argv));
    }
    // The comparison means something only if the quick path read a good share of them.
    expect(read).toBeGreaterThan(600);
  });
});
