import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Connected, connectThroughProxy } from "../helpers/clients.js";
import { pythonWithMcp } from "../helpers/python-sdk.js";
import { readJsonLines, tempDir, writePolicy } from "../helpers/tmp.js";

// Answers of several MB from a server on the official Python SDK, which writes the id first: wrap
// passes them on as they come (past 256 KB), and the SDK client gets every character, escapes and
// two-byte characters cut across pieces included, with the call audited as it ended.
const server = fileURLToPath(new URL("../servers/large_answer_server.py", import.meta.url));
const PATTERN = 'a"b\\c\né';
const SIZE = 3 * 1024 * 1024 + 7;

function expectedText(size: number): string {
  return PATTERN.repeat(Math.ceil(size / PATTERN.length) + 1).slice(0, size);
}

type ToolResult = { isError?: boolean; content: Array<{ type: string; text: string }> };

for (const major of [1, 2] as const) {
  describe(`long answers from a server on the Python mcp SDK ${major}.x, through policylayer`, () => {
    let dir: { path: string; cleanup: () => void };
    let proxied: Connected;

    beforeAll(async () => {
      const python = await pythonWithMcp(major);
      dir = tempDir();
      const policy = writePolicy(dir.path, "version: 1\ndefault: allow\n");
      proxied = await connectThroughProxy(
        ["--policy", policy, "--audit", `${dir.path}/audit.jsonl`],
        [python, server],
      );
      await proxied.client.listTools();
    }, 180_000);

    afterAll(async () => {
      await proxied?.close();
      dir?.cleanup();
    });

    function auditedCalls() {
      return readJsonLines(`${dir.path}/audit.jsonl`).filter((line) => line.event === "tools/call");
    }

    it("hands the client a 3 MB answer whole, every character as the server wrote it", async () => {
      const result = (await proxied.client.callTool({
        name: "blob",
        arguments: { size: SIZE },
      })) as ToolResult;
      expect(result.isError ?? false).toBe(false);
      const text = result.content[0]?.text ?? "";
      expect(text.length).toBe(SIZE);
      expect(text === expectedText(SIZE)).toBe(true);
      expect(auditedCalls().at(-1)).toMatchObject({ tool: "blob", outcome: "result" });
    });

    it("audits a 3 MB answer with isError: true as a tool error, and the client gets its text", async () => {
      const result = (await proxied.client.callTool({
        name: "failing_blob",
        arguments: { size: SIZE },
      })) as ToolResult;
      expect(result.isError).toBe(true);
      expect(result.content[0]?.text).toContain(expectedText(1000));
      expect((result.content[0]?.text ?? "").length).toBeGreaterThan(SIZE);
      expect(auditedCalls().at(-1)).toMatchObject({ tool: "failing_blob", outcome: "tool_error" });
    });

    it("cuts off an answer past --max-line-bytes: the SDK client gets -32001 for it, and the session goes on", async () => {
      const small = await connectThroughProxy(
        [
          "--policy",
          writePolicy(dir.path, "version: 1\ndefault: allow\n", "small.yaml"),
          "--audit",
          `${dir.path}/small.jsonl`,
          "--max-line-bytes",
          "1000000",
        ],
        [await pythonWithMcp(major), server],
      );
      try {
        await expect(
          small.client.callTool({ name: "blob", arguments: { size: 2_000_000 } }),
        ).rejects.toMatchObject({
          code: -32001,
        });
        const next = (await small.client.callTool({ name: "blob", arguments: { size: 5 } })) as ToolResult;
        expect(next.content[0]?.text).toBe(expectedText(5));
      } finally {
        await small.close();
      }
    });

    it("goes on answering after long answers: the next short call passes as before", async () => {
      const result = (await proxied.client.callTool({ name: "blob", arguments: { size: 5 } })) as ToolResult;
      expect(result.content[0]?.text).toBe(expectedText(5));
    });
  });
}
