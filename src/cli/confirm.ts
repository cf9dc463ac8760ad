import { createInterface } from "node:readline";

/**
 * Asks a yes-or-no question on the terminal and reads one line: true for `y` or `yes` (any case,
 * blanks around), false for anything else, the end of the input (Ctrl-D) included.
 */
export function confirmOnTerminal(
  question: string,
  output: NodeJS.WritableStream = process.stderr,
): Promise<boolean> {
  return new Promise((resolve) => {
    const lines = createInterface({ input: process.stdin, output, terminal: false });
    output.write(question);
    let answered = false;
    lines.once("line", (line) => {
      answered = true;
      lines.close();
      resolve(/^y(es)?$/i.test(line.trim()));
    });
    lines.once("close", () => {
      if (!answered) resolve(false);
    });
  });
}
