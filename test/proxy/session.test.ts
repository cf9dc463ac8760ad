// The proxy session and its gate in this process, over streams, with a clock the test moves.
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { within } from "../helpers/deadline.js";
import { object, withOneCharacterChanged } from "../helpers/generated-json.js";
import { type InProcessOptions, InProcessProxy, MODERN_META } from "../helpers/in-process.js";
import { type Random, seededRandom } from "../helpers/random.js";
import { tempDir } from "../helpers/tmp.js";
import { policyFrom } from "../policy/helpers.js";

const dir = tempDir();
afterAll(() => dir.cleanup());
let proxy: InProcessProxy | null = null;
afterEach(() => proxy?.close());

/** A session whose server listed no tools: every call is of a tool the server does not list, decided at once. */
function proxyWith(policyYaml: string): InProcessProxy {
  const session = proxyBeforeAnyList(policyYaml);
  session.serverLists([]);
  return session;
}

/** A session that has seen no tools/list yet: a call's tool is looked up in the server's list first. */
function proxyBeforeAnyList(
  policyYaml: string,
  options: Pick<InProcessOptions, "definitionTimeoutMs"> = {},
): InProcessProxy {
  proxy = new InProcessProxy({
    policy: policyFrom(policyYaml),
    auditPath: join(dir.path, `audit-${Date.now()}-${Math.random()}.jsonl`),
    ...options,
  });
  return proxy;
}

let nextId = 1;
/** Sends one tools/call; answers it as the server when it is forwarded; returns whether it was and the client's answer. */
function call(session: InProcessProxy, name: string, args: Record<string, unknown> = {}) {
  const id = nextId++;
  session.fromClient({ jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: args } });
  const forwarded = session.serverReceived();
  if (forwarded.length > 0)
    session.fromServer({ jsonrpc: "2.0", id, result: { content: [{ type: "text", text: "ok" }] } });
  const [answer] = session.clientReceived();
  return { forwarded, result: answer?.result as Record<string, unknown> | undefined };
}

/** The audit log's tools/call lines so far. */
function callLines(session: InProcessProxy) {
  return session.auditLines().filter((line) => line.event === "tools/call");
}

/** Sends a tools/call of echo under `id`, which the policy lets through to the server. */
function callSent(session: InProcessProxy, id: string | number): void {
  session.fromClient({ jsonrpc: "2.0", id, method: "tools/call", params: { name: "echo" } });
  session.serverReceived();
}

/** A tool list with the one tool the policy of listingWithSecretHidden hides. */
const SECRET_TOOLS = [{ name: "secret", inputSchema: { type: "object" } }];

/** A session whose policy hides the tool `secret`, with the client's tools/list `id` at the server. */
function listingWithSecretHidden(id: string): InProcessProxy {
  const session = proxyWith(
    "version: 1\ndefault: deny\nrules:\n  - { tool: secret, action: deny, hide: true }\n",
  );
  session.fromClient({ jsonrpc: "2.0", id, method: "tools/list" });
  session.serverReceived();
  return session;
}

describe("ProxySession with the gate, in process", () => {
  it("a rate-limited tool passes max times, is denied with a retry time, and passes again once that time has passed", () => {
    const session = proxyWith(
      "version: 1\ndefault: deny\nrules:\n  - { tool: list, action: allow, rate_limit: { max: 3, window: 2 } }\n",
    );
    for (let index = 0; index < 3; index++) expect(call(session, "list").forwarded).toHaveLength(1);
    session.nowMs += 500;
    const denied = call(session, "list");
    expect(denied.forwarded).toEqual([]);
    expect(denied.result?.isError).toBe(true);
    const meta = denied.result?._meta as Record<string, { retryAfterSeconds: number }> | undefined;
    const decision = meta?.["policylayer/decision"];
    expect(decision?.retryAfterSeconds).toBe(2);
    // The window counts from the first three calls: 1999 ms after them it is still full, at 2000 ms it is free.
    session.nowMs += 1499;
    expect(call(session, "list").forwarded).toEqual([]);
    session.nowMs += 1;
    expect(call(session, "list").forwarded).toHaveLength(1);
  });

  it("denies a call no rule allows, tells the agent why, and the server never sees it", () => {
    const session = proxyWith("version: 1\ndefault: deny\n");
    const denied = call(session, "delete_stack", { stack: "prod" });
    expect(denied.forwarded).toEqual([]);
    expect(denied.result?.isError).toBe(true);
    expect(JSON.stringify(denied.result?.content)).toContain(
      'policylayer blocked the call to tool \\"delete_stack\\": no rule matched',
    );
    const audited = callLines(session);
    expect(audited).toMatchObject([{ tool: "delete_stack", decision: "deny", policy_action: "deny" }]);
  });

  it("forwards an allowed call as our serialization of what was decided, and audits how it ended", () => {
    const session = proxyWith("version: 1\ndefault: allow\n");
    session.nowMs = 1_700_000_000_000;
    const id = nextId++;
    session.fromClient({
      jsonrpc: "2.0",
      id,
      method: "tools/call",
      params: { name: "echo", arguments: { n: 1, n2: 2 } },
    });
    expect(session.serverReceived()).toEqual([
      { jsonrpc: "2.0", id, method: "tools/call", params: { name: "echo", arguments: { n: 1, n2: 2 } } },
    ]);
    session.nowMs += 25;
    session.fromServer({ jsonrpc: "2.0", id, result: { content: [], isError: true } });
    expect(session.clientReceived()).toEqual([
      { jsonrpc: "2.0", id, result: { content: [], isError: true } },
    ]);
    const [audited] = callLines(session);
    expect(audited).toMatchObject({
      tool: "echo",
      decision: "allow",
      outcome: "tool_error",
      duration_ms: 25,
    });
  });

  it("sends a call of a tool it has no definition of only once the server's own list defined it", async () => {
    const session = new InProcessProxy({
      policy: policyFrom("version: 1\ndefault: allow\nrules:\n  - { category: destructive, action: deny }\n"),
      auditPath: join(dir.path, `audit-${Date.now()}-${Math.random()}.jsonl`),
    });
    proxy = session;
    session.fromClient({
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: { name: "wipe", arguments: {} },
    });
    const [list] = session.serverReceived();
    expect(list).toMatchObject({ method: "tools/list", params: {} });
    expect(String(list?.id)).toMatch(/^policylayer-/);
    session.fromServer({
      jsonrpc: "2.0",
      id: list?.id as string,
      result: {
        tools: [{ name: "wipe", inputSchema: { type: "object" }, annotations: { destructiveHint: true } }],
      },
    });
    // The verdict settles on the next turn of the event loop.
    await new Promise((resolve) => setImmediate(resolve));
    expect(session.serverReceived()).toEqual([]);
    const [denied] = session.clientReceived();
    expect(denied).toMatchObject({ id: 1, result: { isError: true } });
  });

  it("reads a list's ttlMs by its value however it is written: 0.0 and 0E3 run out at once, as 0 does", () => {
    for (const ttl of ["0", "0.0", "0E3"]) {
      const session = proxyBeforeAnyList("version: 1\ndefault: allow\n");
      session.fromClient({ jsonrpc: "2.0", id: "list", method: "tools/list" });
      session.serverReceived();
      session.fromServerBytes(`{"jsonrpc":"2.0","id":"list","result":{"tools":[],"ttlMs":${ttl}}}\n`);
      session.clientReceived();
      session.fromClient({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "fresh" } });
      // The whole list it read has run out: the unlisted tool is looked up again, not decided at once.
      expect(session.serverReceived(), `ttlMs ${ttl}`).toMatchObject([{ method: "tools/list" }]);
      session.close();
    }
  });

  it("reads the server's list_changed by its value however its method is escaped, as the client does", () => {
    for (const method of ["notifications/tools/list_changed", "notifications\\/tools\\/list_chang\\u0065d"]) {
      const session = proxyWith("version: 1\ndefault: allow\n");
      session.fromServerBytes(`{"jsonrpc":"2.0","method":"${method}"}\n`);
      expect(session.clientReceived()).toEqual([
        { jsonrpc: "2.0", method: "notifications/tools/list_changed" },
      ]);
      session.fromClient({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "fresh" } });
      // The list the proxy had read may be out of date: the unlisted tool is looked up again.
      expect(session.serverReceived(), method).toMatchObject([{ method: "tools/list" }]);
      session.close();
    }
  });

  it("reads a result's resultType by its value however it is escaped: an escaped input_required is the call going on", () => {
    const session = proxyWith("version: 1\ndefault: allow\n");
    session.fromClient({
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: { name: "greet", arguments: {} },
    });
    session.serverReceived();
    session.fromServerBytes(
      '{"jsonrpc":"2.0","id":1,"result":{"resultType":"input\\u005frequired","inputRequests":{},"requestState":"state-1"}}\n',
    );
    session.clientReceived();
    const retry = { name: "greet", arguments: {}, requestState: "state-1", inputResponses: {} };
    session.fromClient({ jsonrpc: "2.0", id: 2, method: "tools/call", params: retry });
    session.serverReceived();
    session.fromServer({ jsonrpc: "2.0", id: 2, result: { content: [], resultType: "complete" } });
    expect(callLines(session)).toMatchObject([
      { id: 1, outcome: "input_required" },
      { id: 2, continues: 1, outcome: "result" },
    ]);
  });

  it("answers the server's request with an error when the client's answer to it cannot be forwarded (nested too deeply), so it does not wait for ever", () => {
    const session = proxyWith("version: 1\ndefault: allow\n");
    session.fromServer({ jsonrpc: "2.0", id: 5, method: "sampling/createMessage", params: { messages: [] } });
    session.clientReceived();
    const depth = 20_000;
    session.fromClientBytes(
      `{"jsonrpc":"2.0","id":5,"result":{"a":${"[".repeat(depth)}${"]".repeat(depth)}}}\n`,
    );
    expect(session.serverReceived()).toMatchObject([{ jsonrpc: "2.0", id: 5, error: { code: -32603 } }]);
    expect(session.clientReceived()).toEqual([]);
  });

  it("answers a message over the ceiling under its id when the id came in a later chunk than the line's start", () => {
    const session = new InProcessProxy({
      policy: policyFrom("version: 1\ndefault: allow\n"),
      auditPath: join(dir.path, `audit-${Date.now()}-${Math.random()}.jsonl`),
      maxLineBytes: 1024,
    });
    proxy = session;
    // The chunk that ends one line holds the first bytes of the next, as stdin's chunks fall.
    session.fromClientBytes('{"jsonrpc":"2.0","id":1,"method":"ping"}\n{"jsonrpc":"2.0",');
    session.fromClientBytes(
      `"id":9,"method":"tools/call","params":{"name":"x","arguments":{"a":"${"v".repeat(2000)}"}}}\n`,
    );
    expect(session.serverReceived()).toMatchObject([{ id: 1, method: "ping" }]);
    expect(session.clientReceived()).toMatchObject([{ id: 9, error: { code: -32001 } }]);
  });

  it("audits a call still waiting for its definition when the server exits, at once, as a denial", () => {
    const session = proxyBeforeAnyList("version: 1\ndefault: allow\n");
    session.fromClient({
      jsonrpc: "2.0",
      id: 7,
      method: "tools/call",
      params: { name: "wipe", arguments: {} },
    });
    expect(session.serverReceived()).toMatchObject([{ method: "tools/list" }]);
    session.session.serverExited("exited with code 0");
    // Synchronously: wrap closes the log right after the session hears of the exit.
    expect(callLines(session)).toMatchObject([
      { id: 7, tool: "wipe", decision: "deny", reason: expect.stringContaining("exited with code 0") },
    ]);
    expect(session.clientReceived()).toMatchObject([{ id: 7, error: { code: -32000 } }]);
  });

  it("audits a call still waiting for its definition that the client cancels, as a denial", async () => {
    const session = proxyBeforeAnyList("version: 1\ndefault: allow\n");
    session.fromClient({
      jsonrpc: "2.0",
      id: 8,
      method: "tools/call",
      params: { name: "wipe", arguments: {} },
    });
    session.fromClient({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 8 } });
    expect(callLines(session)).toMatchObject([{ id: 8, tool: "wipe", decision: "deny" }]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(callLines(session)).toHaveLength(1);
  });

  it("cancels its own tools/list of a 2026-07-28 call under that call's envelope when the list does not come in time", async () => {
    const session = proxyBeforeAnyList("version: 1\ndefault: allow\n", { definitionTimeoutMs: 20 });
    session.fromClient({
      jsonrpc: "2.0",
      id: 9,
      method: "tools/call",
      params: { name: "wipe", arguments: {}, _meta: MODERN_META },
    });
    const [list] = session.serverReceived();
    expect(list).toMatchObject({ method: "tools/list", params: { _meta: MODERN_META } });
    const written = new Promise<void>((resolve) => session.observeServer(() => resolve()));
    await within(written, 5000, "policylayer's cancellation of its tools/list");
    expect(session.serverReceived()).toEqual([
      {
        jsonrpc: "2.0",
        method: "notifications/cancelled",
        params: { requestId: list?.id, reason: expect.any(String), _meta: MODERN_META },
      },
    ]);
  });

  it("answers every pending request with an error when the server exits", () => {
    const session = proxyWith("version: 1\ndefault: allow\n");
    session.fromClient({ jsonrpc: "2.0", id: "a", method: "tools/call", params: { name: "echo" } });
    session.fromClient({ jsonrpc: "2.0", id: "b", method: "resources/list" });
    expect(session.serverReceived()).toHaveLength(2);
    session.session.serverExited("exited with code 1");
    expect(session.clientReceived()).toMatchObject([
      {
        id: "a",
        error: { code: -32000, message: "MCP server exited with code 1 before answering tools/call" },
      },
      {
        id: "b",
        error: { code: -32000, message: "MCP server exited with code 1 before answering resources/list" },
      },
    ]);
    const [audited] = callLines(session);
    expect(audited).toMatchObject({ id: "a", outcome: "server_exited" });
  });

  it("refuses a request at once once the server closed its output, and answers the pending ones at its exit", () => {
    const session = proxyWith("version: 1\ndefault: allow\n");
    session.fromClient({ jsonrpc: "2.0", id: "a", method: "resources/list" });
    session.serverReceived();
    session.serverClosesOutput();
    session.fromClient({ jsonrpc: "2.0", id: "b", method: "tools/call", params: { name: "echo" } });
    expect(session.serverReceived()).toEqual([]);
    expect(session.clientReceived()).toMatchObject([
      {
        id: "b",
        error: { code: -32000, message: "MCP server closed its output; tools/call cannot be answered" },
      },
    ]);
    session.session.serverExited("was ended by SIGTERM");
    expect(session.clientReceived()).toMatchObject([
      {
        id: "a",
        error: { code: -32000, message: "MCP server was ended by SIGTERM before answering resources/list" },
      },
    ]);
  });
});

describe("server lines that are not JSON, in process", () => {
  it("drops a line with a key JSON cannot read, says so, and the call it names still waits", () => {
    const session = proxyWith("version: 1\ndefault: allow\n");
    callSent(session, 41);
    session.fromServerBytes('{"jsonrpc":"2.0","\\x":1,"id":41,"result":{}}\n');
    expect(session.clientReceivedText()).toEqual([]);
    expect(session.warnings.join("\n")).toContain(
      "dropped a server line of 44 bytes that is not a JSON-RPC message",
    );
    session.fromServer({ jsonrpc: "2.0", id: 41, result: { content: [] } });
    expect(session.clientReceived()).toEqual([{ jsonrpc: "2.0", id: 41, result: { content: [] } }]);
  });

  it("answers the call an unreadable answer names with -32603 and audits it, instead of leaving it waiting", () => {
    const session = proxyWith("version: 1\ndefault: allow\n");
    callSent(session, 42);
    session.fromServerBytes('{"jsonrpc":"2.0","id":42,"result":{"content":[]}\n');
    expect(session.clientReceived()).toMatchObject([{ id: 42, error: { code: -32603 } }]);
    expect(callLines(session)).toMatchObject([{ id: 42, outcome: "protocol_error" }]);
  });

  it("drops a line with a second message after the first, so that a client reading JSON values never gets the second", () => {
    const session = listingWithSecretHidden("L4");
    const tools = SECRET_TOOLS;
    const notice = JSON.stringify({
      jsonrpc: "2.0",
      method: "notifications/message",
      params: { level: "info", data: "x" },
    });
    session.fromServerBytes(`${notice}${JSON.stringify({ jsonrpc: "2.0", id: "L4", result: { tools } })}\n`);
    const lines = session.clientReceivedText();
    expect(lines.some((line) => line.includes("secret"))).toBe(false);
    // The answer on the dropped line is answered with an error instead, not left waiting.
    expect(lines.map((line) => JSON.parse(line))).toMatchObject([{ id: "L4", error: { code: -32603 } }]);
  });

  it("leaves a call waiting when the dropped line is a request of the server's with the same id", () => {
    const session = proxyWith("version: 1\ndefault: allow\n");
    callSent(session, 1);
    // The two sides number their requests apart: a server's request 1 is not an answer to the client's 1.
    session.fromServerBytes('{"jsonrpc":"2.0","id":1,"method":"sampling/createMessage","params":{}} x\n');
    expect(session.clientReceivedText()).toEqual([]);
    session.fromServer({ jsonrpc: "2.0", id: 1, result: { content: [] } });
    expect(session.clientReceived()).toEqual([{ jsonrpc: "2.0", id: 1, result: { content: [] } }]);
    expect(callLines(session)).toMatchObject([{ id: 1, outcome: "result" }]);
  });

  it("drops a batch from the server, so that a tools/list answer inside it is never shown unfiltered", () => {
    const session = listingWithSecretHidden("L2");
    const tools = SECRET_TOOLS;
    session.fromServerBytes(`${JSON.stringify([{ jsonrpc: "2.0", id: "L2", result: { tools } }])}\n`);
    const lines = session.clientReceivedText();
    expect(lines.some((line) => line.includes("secret"))).toBe(false);
    // The request the answer in it names is answered with an error instead of waiting.
    expect(lines.map((line) => JSON.parse(line))).toMatchObject([{ id: "L2", error: { code: -32603 } }]);
  });

  it("drops an answer with a method that is not a string, which a lenient client would read as the answer", () => {
    const session = listingWithSecretHidden("L5");
    const tools = SECRET_TOOLS;
    session.fromServerBytes(
      `${JSON.stringify({ jsonrpc: "2.0", id: "L5", method: null, result: { tools } })}\n`,
    );
    const lines = session.clientReceivedText();
    expect(lines.some((line) => line.includes("secret"))).toBe(false);
    expect(lines.map((line) => JSON.parse(line))).toMatchObject([{ id: "L5", error: { code: -32603 } }]);

    const calls = proxyWith("version: 1\ndefault: allow\n");
    callSent(calls, 61);
    calls.fromServerBytes('{"jsonrpc":"2.0","id":61,"method":5,"result":{"content":[]}}\n');
    expect(calls.clientReceived()).toMatchObject([{ id: 61, error: { code: -32603 } }]);
    expect(callLines(calls)).toMatchObject([{ id: 61, outcome: "protocol_error" }]);
  });

  it("drops a request of the server's that carries a result too, and the call with its id still waits", () => {
    const session = proxyWith("version: 1\ndefault: allow\n");
    callSent(session, 62);
    session.fromServerBytes('{"jsonrpc":"2.0","id":62,"method":"ping","result":{"content":[]}}\n');
    expect(session.clientReceivedText()).toEqual([]);
    session.fromServer({ jsonrpc: "2.0", id: 62, result: { content: [] } });
    expect(session.clientReceived()).toEqual([{ jsonrpc: "2.0", id: 62, result: { content: [] } }]);
  });

  it("answers each call a batch of answers names with -32603, audited, and leaves the server's own requests alone", () => {
    const session = proxyWith("version: 1\ndefault: allow\n");
    callSent(session, 51);
    callSent(session, 52);
    callSent(session, 53);
    const batch = [
      { jsonrpc: "2.0", id: 51, result: { content: [] } },
      { jsonrpc: "2.0", id: 53, method: "sampling/createMessage", params: {} },
      { jsonrpc: "2.0", id: 52, error: { code: 1, message: "x" } },
    ];
    session.fromServerBytes(`${JSON.stringify(batch)}\n`);
    expect(session.clientReceived()).toMatchObject([
      { id: 51, error: { code: -32603 } },
      { id: 52, error: { code: -32603 } },
    ]);
    expect(callLines(session)).toMatchObject([
      { id: 51, outcome: "protocol_error" },
      { id: 52, outcome: "protocol_error" },
    ]);
    // Call 53 still waits for its answer.
    session.fromServer({ jsonrpc: "2.0", id: 53, result: { content: [] } });
    expect(session.clientReceived().at(-1)).toEqual({ jsonrpc: "2.0", id: 53, result: { content: [] } });
  });

  it("answers a tools/list whose answer it cannot parse with an error, never with the answer unfiltered", () => {
    const session = listingWithSecretHidden("L3");
    const tools = SECRET_TOOLS;
    // Bytes after the object: the structural scan reads an answer to L3, JSON.parse refuses the line.
    session.fromServerBytes(`${JSON.stringify({ jsonrpc: "2.0", id: "L3", result: { tools } })} x\n`);
    const lines = session.clientReceivedText();
    expect(lines.some((line) => line.includes("secret"))).toBe(false);
    expect(lines.map((line) => JSON.parse(line))).toMatchObject([{ id: "L3", error: { code: -32603 } }]);
  });
});

describe("a long answer from the server, in process", () => {
  const PIECE_BYTES = 64 * 1024;

  /** A session with one allowed call in flight to the server; returns its id. */
  function callInFlight(maxLineBytes?: number): { session: InProcessProxy; id: number } {
    proxy = new InProcessProxy({
      policy: policyFrom("version: 1\ndefault: allow\n"),
      auditPath: join(dir.path, `audit-${Date.now()}-${Math.random()}.jsonl`),
      ...(maxLineBytes === undefined ? {} : { maxLineBytes }),
    });
    proxy.serverLists([]);
    const id = nextId++;
    proxy.fromClient({ jsonrpc: "2.0", id, method: "tools/call", params: { name: "read", arguments: {} } });
    expect(proxy.serverReceived()).toHaveLength(1);
    return { session: proxy, id };
  }

  /** The line's bytes in pieces of PIECE_BYTES, the last with the newline. */
  function pieces(line: string): Buffer[] {
    const bytes = Buffer.from(`${line}\n`);
    const out: Buffer[] = [];
    for (let at = 0; at < bytes.length; at += PIECE_BYTES) out.push(bytes.subarray(at, at + PIECE_BYTES));
    return out;
  }

  it("reads the resultType of an answer passed on as it comes by its value however it is escaped", () => {
    const { session, id } = callInFlight();
    const line = `{"jsonrpc":"2.0","id":${id},"result":{"content":[{"type":"text","text":"${"x".repeat(300 * 1024)}"}],"resultType":"input\\u005frequired","requestState":"s"}}`;
    for (const piece of pieces(line)) session.fromServerBytes(piece);
    expect(session.clientReceivedText()).toEqual([line]);
    expect(callLines(session)).toMatchObject([{ id, outcome: "input_required" }]);
  });

  it("passes an answer whose id comes first on as it comes, byte for byte, with its audit line in the log before its end", () => {
    const { session, id } = callInFlight();
    const line = `{"jsonrpc":"2.0","id":${id},"result":{"content":[{"type":"text","text":"${"x".repeat(900 * 1024)}"}],"isError":true}}`;
    const all = pieces(line);
    let auditedAtNewline: unknown[] | null = null;
    session.observeClient((chunk) => {
      if (chunk.includes(0x0a)) auditedAtNewline = callLines(session);
    });
    const before = session.clientReceivedBytes;
    for (const piece of all.slice(0, 5)) session.fromServerBytes(piece);
    // 320 KB have come: past 256 KB the line is passed on, before its end.
    expect(session.clientReceivedBytes - before).toBe(5 * PIECE_BYTES);
    expect(callLines(session)).toEqual([]);
    for (const piece of all.slice(5)) session.fromServerBytes(piece);
    const received = session.clientReceivedText();
    expect(received.map((text) => text.length)).toEqual([line.length]);
    expect(received[0] === line).toBe(true);
    expect(auditedAtNewline).toMatchObject([{ id, outcome: "tool_error" }]);
  });

  it("gathers an answer whose id comes after its result, as the TypeScript SDK writes them, and passes it whole", () => {
    const { session, id } = callInFlight();
    const line = `{"result":{"content":[{"type":"text","text":"${"y".repeat(600 * 1024)}"}]},"jsonrpc":"2.0","id":${id}}`;
    const all = pieces(line);
    const before = session.clientReceivedBytes;
    for (const piece of all.slice(0, -1)) session.fromServerBytes(piece);
    expect(session.clientReceivedBytes - before).toBe(0);
    session.fromServerBytes(all.at(-1) as Buffer);
    const received = session.clientReceivedText();
    expect(received.map((text) => text.length)).toEqual([line.length]);
    expect(received[0] === line).toBe(true);
    expect(callLines(session)).toMatchObject([{ id, outcome: "result" }]);
  });

  it("gathers a long request of the server's whose id is that of a pending call, and leaves the call waiting", () => {
    const { session, id } = callInFlight();
    const line = `{"jsonrpc":"2.0","id":${id},"params":{"messages":[{"content":{"type":"text","text":"${"q".repeat(400 * 1024)}"}}]},"method":"sampling/createMessage"}`;
    const before = session.clientReceivedBytes;
    const all = pieces(line);
    for (const piece of all.slice(0, -1)) session.fromServerBytes(piece);
    expect(session.clientReceivedBytes - before).toBe(0);
    session.fromServerBytes(all.at(-1) as Buffer);
    const received = session.clientReceivedText();
    expect(received.length === 1 && received[0] === line).toBe(true);
    session.fromServer({ jsonrpc: "2.0", id, result: { content: [] } });
    expect(session.clientReceived()).toEqual([{ jsonrpc: "2.0", id, result: { content: [] } }]);
  });

  it("holds back a denial while an answer is passed on, and sends it whole after the answer's end", () => {
    const { session, id } = callInFlight();
    const line = `{"jsonrpc":"2.0","id":${id},"result":{"content":[{"type":"text","text":"${"z".repeat(400 * 1024)}"}]}}`;
    const all = pieces(line);
    for (const piece of all.slice(0, 5)) session.fromServerBytes(piece);
    session.fromClient({ jsonrpc: "2.0", id: "denied", method: "tools/call", params: { name: 7 } });
    session.fromClient({ jsonrpc: "2.0", id: "ping", method: "ping" });
    expect(session.serverReceived()).toMatchObject([{ id: "ping", method: "ping" }]);
    for (const piece of all.slice(5)) session.fromServerBytes(piece);
    const [answer, denial] = session.clientReceivedText();
    expect(answer === line).toBe(true);
    expect(JSON.parse(denial as string)).toMatchObject({ id: "denied", error: { code: -32602 } });
  });

  it("cuts off an answer that names a second id at its end, and answers the first with an error", () => {
    const { session, id } = callInFlight();
    const line = `{"jsonrpc":"2.0","id":${id},"result":{"content":[{"type":"text","text":"${"w".repeat(400 * 1024)}"}]},"id":"in-process-list"}`;
    for (const piece of pieces(line)) session.fromServerBytes(piece);
    const [cut, error] = session.clientReceivedText();
    expect(cut?.endsWith("\u0001")).toBe(true);
    expect(() => JSON.parse(cut as string)).toThrow();
    expect(JSON.parse(error as string)).toMatchObject({ id, error: { code: -32603 } });
    expect(callLines(session)).toMatchObject([{ id, outcome: "protocol_error" }]);
    expect(session.warnings.join("\n")).toContain("cut off a server message passed on as it came");
  });

  it("answers a call with message too large when the server's answer over the ceiling names its id only in a later chunk", () => {
    const { session, id } = callInFlight(1024);
    session.fromServerBytes(
      '{"jsonrpc":"2.0","method":"notifications/message","params":{}}\n{"jsonrpc":"2.0",',
    );
    session.fromServerBytes(
      `"id":${id},"result":{"content":[{"type":"text","text":"${"v".repeat(2000)}"}]}}\n`,
    );
    expect(session.clientReceived()).toMatchObject([
      { method: "notifications/message" },
      { id, error: { code: -32001 } },
    ]);
  });

  it("cuts off an answer that grows past the ceiling while it is passed on, and answers with message too large", () => {
    const { session, id } = callInFlight(512 * 1024);
    const line = `{"jsonrpc":"2.0","id":${id},"result":{"content":[{"type":"text","text":"${"v".repeat(700 * 1024)}"}]}}`;
    for (const piece of pieces(line)) session.fromServerBytes(piece);
    const [cut, error] = session.clientReceivedText();
    expect(cut?.length).toBeLessThanOrEqual(512 * 1024 + 1);
    expect(cut?.endsWith("\u0001")).toBe(true);
    expect(JSON.parse(error as string)).toMatchObject({ id, error: { code: -32001 } });
    // The rest of the line was dropped: the next answer reads as it came.
    session.fromClient({ jsonrpc: "2.0", id: "after", method: "ping" });
    session.fromServer({ jsonrpc: "2.0", id: "after", result: {} });
    expect(session.clientReceived()).toEqual([{ jsonrpc: "2.0", id: "after", result: {} }]);
  });

  it("cuts off an answer that keeps a line of ours waiting for 5 s while the client reads, then sends that line", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date", "performance"] });
    try {
      const { session, id } = callInFlight();
      const line = `{"jsonrpc":"2.0","id":${id},"result":{"content":[{"type":"text","text":"${"s".repeat(400 * 1024)}"}]}}`;
      const all = pieces(line);
      for (const piece of all.slice(0, 5)) session.fromServerBytes(piece);
      session.fromClient({ jsonrpc: "2.0", id: "denied", method: "tools/call", params: { name: 7 } });
      // The client has read what it was sent (its stream drained): it is the server that stopped.
      await new Promise((resolve) => setImmediate(resolve));
      vi.advanceTimersByTime(4999);
      expect(session.clientReceivedText()).toEqual([]);
      vi.advanceTimersByTime(1);
      const lines = session.clientReceivedText();
      expect(lines[0]?.endsWith("\u0001")).toBe(true);
      expect(lines.slice(1).map((text) => JSON.parse(text))).toMatchObject([
        { id: "denied", error: { code: -32602 } },
        { id, error: { code: -32603, message: expect.stringContaining("waiting for 5 s") } },
      ]);
      // The rest of the line, when it comes, is dropped; what follows it reads as it came.
      for (const piece of all.slice(5)) session.fromServerBytes(piece);
      expect(session.clientReceivedText()).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
  });

  it("cuts off an answer the server trickles out while a line of ours waits, after 5 s however it goes on", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date", "performance"] });
    try {
      const { session, id } = callInFlight();
      const line = `{"jsonrpc":"2.0","id":${id},"result":{"content":[{"type":"text","text":"${"t".repeat(400 * 1024)}"}]}}`;
      const all = pieces(line);
      for (const piece of all.slice(0, 5)) session.fromServerBytes(piece);
      session.fromClient({ jsonrpc: "2.0", id: "denied", method: "tools/call", params: { name: 7 } });
      await new Promise((resolve) => setImmediate(resolve));
      for (let second = 0; second < 4; second++) {
        vi.advanceTimersByTime(1000);
        session.fromServerBytes("t");
      }
      expect(session.clientReceivedText()).toEqual([]);
      vi.advanceTimersByTime(1000);
      const lines = session.clientReceivedText();
      expect(lines[0]?.endsWith("\u0001")).toBe(true);
      expect(lines.slice(1).map((text) => JSON.parse(text))).toMatchObject([
        { id: "denied", error: { code: -32602 } },
        { id, error: { code: -32603 } },
      ]);
    } finally {
      vi.useRealTimers();
    }
  });

  it("holds back an answer's closing brace, not only its newline, until its audit line is written", () => {
    const { session, id } = callInFlight();
    const line = `{"jsonrpc":"2.0","id":${id},"result":{"content":[{"type":"text","text":"${"b".repeat(400 * 1024)}"}]}}`;
    const before = session.clientReceivedBytes;
    // A client that reads JSON values rather than lines has the answer at its last brace.
    for (const piece of pieces(line))
      session.fromServerBytes(piece.at(-1) === 0x0a ? piece.subarray(0, -1) : piece);
    expect(session.clientReceivedBytes - before).toBe(line.length - 1);
    expect(callLines(session)).toEqual([]);
    session.fromServerBytes("\n");
    expect(session.clientReceivedText().map((text) => text === line)).toEqual([true]);
    expect(callLines(session)).toMatchObject([{ id, outcome: "result" }]);
  });

  it("cuts off an answer another message follows before the newline, and never passes that message", () => {
    const { session, id } = callInFlight();
    session.fromClient({ jsonrpc: "2.0", id: "list-again", method: "tools/list" });
    session.serverReceived();
    const answer = `{"jsonrpc":"2.0","id":${id},"result":{"content":[{"type":"text","text":"${"c".repeat(400 * 1024)}"}]}}`;
    const other =
      '{"jsonrpc":"2.0","id":"list-again","result":{"tools":[{"name":"hidden","inputSchema":{"type":"object"}}]}}';
    const all = pieces(answer);
    for (const piece of all.slice(0, -1)) session.fromServerBytes(piece);
    session.fromServerBytes((all.at(-1) as Buffer).subarray(0, -1));
    session.fromServerBytes(other);
    session.fromServerBytes("\n");
    const lines = session.clientReceivedText();
    // Its closing brace never left: the client has an object that never closes, then the cut.
    expect(lines[0] === `${answer.slice(0, -1)}\u0001`).toBe(true);
    expect(lines.some((text) => text.includes("hidden"))).toBe(false);
    expect(JSON.parse(lines[1] as string)).toMatchObject({ id, error: { code: -32603 } });
  });

  it("lets an answer that stops in its middle go on when nothing waits behind it", () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date", "performance"] });
    try {
      const { session, id } = callInFlight();
      const line = `{"jsonrpc":"2.0","id":${id},"result":{"content":[{"type":"text","text":"${"r".repeat(400 * 1024)}"}]}}`;
      const all = pieces(line);
      for (const piece of all.slice(0, 5)) session.fromServerBytes(piece);
      vi.advanceTimersByTime(60_000);
      for (const piece of all.slice(5)) session.fromServerBytes(piece);
      const received = session.clientReceivedText();
      expect(received.length).toBe(1);
      expect(received[0] === line).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it("denies a call whose decision throws, tells the agent so, and audits the denial", () => {
    const session = proxyWith("version: 1\ndefault: allow\n");
    const gate = session.gate as unknown as { decideCallUnguarded(request: unknown): unknown };
    vi.spyOn(gate, "decideCallUnguarded").mockImplementationOnce(() => {
      throw new Error("a bug in deciding");
    });
    const { forwarded, result } = call(session, "delete_everything", { all: true });
    expect(forwarded).toEqual([]);
    expect(result).toMatchObject({ isError: true });
    expect(JSON.stringify(result)).toContain("policylayer hit an internal error while deciding this call");
    const [line, ...more] = callLines(session);
    expect(more).toEqual([]);
    expect(line).toMatchObject({
      tool: "delete_everything",
      decision: "deny",
      policy_action: "deny",
      rule: null,
      reason: "policylayer hit an internal error while deciding this call, so it was denied (fail closed)",
      category: "destructive",
    });
    expect(line?.args_sha256).toMatch(/^[0-9a-f]{64}$/);
    // The next call is decided as usual (the policy allows everything).
    expect(call(session, "delete_everything").forwarded).toHaveLength(1);
  });

  it("answers a call whose pending decision fails with a denial, instead of leaving the client waiting", async () => {
    const session = proxyWith("version: 1\ndefault: allow\n");
    let fail: (error: Error) => void = () => {};
    const failing = new Promise<never>((_, reject) => {
      fail = reject;
    });
    vi.spyOn(session.gate, "decideCall").mockReturnValueOnce({ verdict: failing, withdraw: () => {} });
    session.fromClient({
      jsonrpc: "2.0",
      id: 77,
      method: "tools/call",
      params: { name: "echo", arguments: {} },
    });
    expect(session.clientReceived()).toEqual([]);
    fail(new Error("a bug in deciding"));
    await failing.catch(() => undefined);
    await new Promise((resolve) => setImmediate(resolve));
    expect(session.serverReceived()).toEqual([]);
    const [answer, ...more] = session.clientReceived();
    expect(more).toEqual([]);
    expect(answer).toMatchObject({ id: 77, result: { isError: true } });
    expect(JSON.stringify(answer)).toContain(
      "policylayer hit an internal error while deciding this call, so it was denied (fail closed)",
    );
    expect(session.warnings.join("\n")).toContain("a bug in deciding");
  });

  it("cuts off an answer the server exits in the middle of, then answers its request with the exit", () => {
    const { session, id } = callInFlight();
    const line = `{"jsonrpc":"2.0","id":${id},"result":{"content":[{"type":"text","text":"${"u".repeat(400 * 1024)}"}]}}`;
    for (const piece of pieces(line).slice(0, 5)) session.fromServerBytes(piece);
    session.session.serverExited("was killed by SIGKILL");
    const [cut, error] = session.clientReceivedText();
    expect(cut?.endsWith("\u0001")).toBe(true);
    expect(JSON.parse(error as string)).toMatchObject({ id, error: { code: -32000 } });
    expect(callLines(session)).toMatchObject([{ id, outcome: "server_exited" }]);
  });
});

describe("whatever the server writes, in process", () => {
  /** One line the server might write: an answer to one of `ids` (its id anywhere, or first), or any object, maybe long, maybe with a byte changed. */
  function serverLine(random: Random, ids: readonly (string | number)[]): string {
    const id = JSON.stringify(random.pick(ids));
    const body = object(random, 1);
    const long = random.chance(0.15) ? `,"content":[{"type":"text","text":"${"x".repeat(300 * 1024)}"}]` : "";
    const result = `{"isError":${random.pick(["true", "false", '"true"'])}${long}}`;
    const line = random.pick([
      `{"jsonrpc":"2.0","id":${id},"result":${result}}`,
      `{"result":${result},"jsonrpc":"2.0","id":${id}}`,
      `{"jsonrpc":"2.0","id":${id},"error":{"code":-1,"message":"no"}}`,
      `{"jsonrpc":"2.0","id":${id},"result":${result},"id":${JSON.stringify(random.pick(ids))}}`,
      `{"jsonrpc":"2.0","id":${id},"result":${result},"method":"x"}`,
      body,
    ]);
    return random.chance(0.3) ? withOneCharacterChanged(random, line) : line;
  }

  it("never throws, and every line the client gets is a server line as it came, one cut off, or a message of ours", () => {
    for (let seed = 1; seed <= 150; seed++) {
      const random = seededRandom(seed);
      const session = proxyWith("version: 1\ndefault: allow\n");
      const ids = [1, 2, "three", "list"];
      for (const id of ids.slice(0, 3))
        session.fromClient({
          jsonrpc: "2.0",
          id,
          method: "tools/call",
          params: { name: "t", arguments: {} },
        });
      session.fromClient({ jsonrpc: "2.0", id: "list", method: "tools/list" });
      session.serverReceived();
      const output = Buffer.from(
        `${Array.from({ length: 1 + Math.floor(random.next() * 6) }, () => serverLine(random, ids)).join("\n")}\n`,
      );
      const sent = new Set(output.toString("latin1").split("\n"));
      let at = 0;
      while (at < output.length) {
        const size = random.chance(0.5) ? 64 * 1024 : 1 + Math.floor(random.next() * 2000);
        session.fromServerBytes(output.subarray(at, at + size));
        at += size;
        if (random.chance(0.2))
          session.fromClient({ jsonrpc: "2.0", id: `late-${at}`, method: "tools/call", params: { name: 5 } });
      }
      session.session.serverExited("exited with code 0");
      for (const line of session.clientReceivedText()) {
        if (sent.has(line)) continue;
        if (line.endsWith("\u0001") && [...sent].some((whole) => whole.startsWith(line.slice(0, -1))))
          continue;
        expect(() => JSON.parse(Buffer.from(line, "latin1").toString("utf8")), `seed ${seed}`).not.toThrow();
      }
      session.close();
    }
  });
});

describe("whatever the client writes, in process", () => {
  function clientLine(random: Random, seed: number): string {
    const id = random.pick(["1", '"a"', "null", "1.5", "12345678901234567890", "{}", `${seed}`]);
    const args = object(random, 1);
    const line = random.pick([
      `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"t","arguments":${args}}}`,
      `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"t","arguments":${args},"name":"u"}}`,
      `{"jsonrpc":"2.0","id":${id},"method":"ping"}`,
      `{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":${id}}}`,
      object(random, 0),
    ]);
    return random.chance(0.4) ? withOneCharacterChanged(random, line) : line;
  }

  it("never throws, and every line the server gets is one JSON-RPC 2.0 message", () => {
    for (let seed = 1; seed <= 300; seed++) {
      const random = seededRandom(seed);
      const session = proxyWith("version: 1\ndefault: allow\n");
      const input = Buffer.from(
        `${Array.from({ length: 1 + Math.floor(random.next() * 8) }, () => clientLine(random, seed)).join("\n")}\n`,
      );
      let at = 0;
      while (at < input.length) {
        const size = 1 + Math.floor(random.next() * 200);
        session.fromClientBytes(input.subarray(at, at + size));
        at += size;
      }
      for (const message of session.serverReceived()) expect(message.jsonrpc, `seed ${seed}`).toBe("2.0");
      for (const answer of session.clientReceived()) expect(answer.jsonrpc, `seed ${seed}`).toBe("2.0");
      session.close();
    }
  });
});

describe("our own tools/list for 2026-07-28 calls with different envelopes, in process", () => {
  const envelope = (protocolVersion: string) => ({
    "io.modelcontextprotocol/protocolVersion": protocolVersion,
    "io.modelcontextprotocol/clientCapabilities": {},
  });

  it("reads the list under each call's own envelope: one the server refuses does not decide the other", async () => {
    const session = proxyBeforeAnyList("version: 1\ndefault: allow\n");
    const call = (id: number, protocolVersion: string) =>
      session.fromClient({
        jsonrpc: "2.0",
        id,
        method: "tools/call",
        params: { name: "echo", arguments: {}, _meta: envelope(protocolVersion) },
      });
    call(1, "2099-01-01");
    call(2, "2026-07-28");
    const lists = session.serverReceived();
    expect(lists.map((list) => (list.params as { _meta: unknown })._meta)).toEqual([
      envelope("2099-01-01"),
      envelope("2026-07-28"),
    ]);
    const [refused, accepted] = lists;
    const unsupported = {
      code: -32022,
      message: "Unsupported protocol version: 2099-01-01",
      data: { supported: ["2026-07-28"], requested: "2099-01-01" },
    };
    session.fromServer({ jsonrpc: "2.0", id: refused?.id as string, error: unsupported });
    session.fromServer({
      jsonrpc: "2.0",
      id: accepted?.id as string,
      result: { tools: [{ name: "echo", inputSchema: { type: "object" } }], resultType: "complete" },
    });
    // The verdicts settle on promises: one turn of the event loop lets them.
    await new Promise((resolve) => setImmediate(resolve));
    expect(session.clientReceived()).toEqual([{ jsonrpc: "2.0", id: 1, error: unsupported }]);
    expect(session.serverReceived()).toMatchObject([{ id: 2, method: "tools/call" }]);
  });
});
