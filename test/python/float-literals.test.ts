import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordingPythonSession } from "../helpers/recording-python.js";

// A number literal that no double holds (5000.0000000000001, 1e-400) is a float to the server's JSON
// parser, which rounds it (to 5000.0, to 0.0); pydantic then reads that float for an int or a bool
// field. The literals are written by hand: a JavaScript number would round them before they left.
const typedServer = fileURLToPath(new URL("../servers/typed_server.py", import.meta.url));
const POLICY = [
  "version: 1",
  "default: allow",
  "rules:",
  "  - tool: transfer",
  "    when: [{ path: args.amount, op: gt, value: 1000 }]",
  "    action: deny",
  "  - tool: set_flag",
  "    when: [{ path: args.enabled, op: eq, value: true }]",
  "    action: deny",
  "",
].join("\n");

type Session = Awaited<ReturnType<typeof recordingPythonSession>>;

for (const major of [1, 2] as const) {
  describe(`number literals no double holds, on the Python SDK ${major}.x`, () => {
    const cleanups: (() => Promise<void> | void)[] = [];
    let server: Session;
    let seen = 0;

    beforeAll(async () => {
      server = await recordingPythonSession(major, typedServer, POLICY, cleanups);
      await server.session.listAllTools("list");
    }, 180_000);

    afterAll(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    /** Sends a tools/call whose arguments are `argumentsJson` as written, and answers with its result. */
    async function callRaw(id: number, name: string, argumentsJson: string) {
      server.session.write(
        `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":${JSON.stringify(name)},"arguments":${argumentsJson}}}\n`,
      );
      const answer = await server.session.responseTo(id);
      return answer.result as { isError?: boolean; content: { text: string }[] };
    }

    function executed() {
      const lines = server.records();
      const fresh = lines.slice(seen);
      seen = lines.length;
      return fresh;
    }

    it("passes 500.00000000000001 for an integer on as the 500 the server reads it as", async () => {
      const result = await callRaw(1, "transfer", '{"amount": 500.00000000000001}');
      expect(result.isError, result.content[0]?.text).toBe(false);
      expect(executed()).toEqual([
        { tool: "transfer", arguments: expect.objectContaining({ amount: { type: "int", value: 500 } }) },
      ]);
    });

    it("denies 5000.0000000000001 for an integer above 1000, and the server never sees it", async () => {
      const result = await callRaw(2, "transfer", '{"amount": 5000.0000000000001}');
      expect(result.isError).toBe(true);
      expect(result.content[0]?.text).toContain("denied");
      expect(executed()).toEqual([]);
    });

    it("reads 1e-400 for a boolean as the False the server reads it as, and 1.0000000000000001 as True", async () => {
      const off = await callRaw(3, "set_flag", '{"enabled": 1e-400}');
      expect(off.isError, off.content[0]?.text).toBe(false);
      expect(executed()).toEqual([
        { tool: "set_flag", arguments: { enabled: { type: "bool", value: false } } },
      ]);
      const on = await callRaw(4, "set_flag", '{"enabled": 1.0000000000000001}');
      expect(on.isError).toBe(true);
      expect(on.content[0]?.text).toContain("denied");
      expect(executed()).toEqual([]);
    });
  });
}
