import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { recordingServer } from "../helpers/paths.js";
import { RawSession } from "../helpers/raw-session.js";
import { readJsonLines, tempDir, writePolicy } from "../helpers/tmp.js";

const POLICY = `version: 1
default: allow
rules:
  - tool: delete_stack
    action: deny
    reason: Stack changes go through the platform team
  - tool: "batch_delete_*"
    action: deny
    hide: true
`;

let dir: { path: string; cleanup: () => void };
let session: RawSession;
let recordFile: string;

/** Every line that reached the recording server, parsed. */
function received(): Record<string, unknown>[] {
  return readJsonLines(recordFile);
}

/** Tool calls that reached the server. */
function callsReceived(): string[] {
  return received()
    .filter((message) => message.method === "tools/call")
    .map((message) => (message.params as { name: string }).name);
}

beforeEach(async () => {
  dir = tempDir();
  recordFile = join(dir.path, "received.jsonl");
  const policy = writePolicy(dir.path, POLICY);
  session = new RawSession(
    ["--policy", policy, "--audit", join(dir.path, "audit.jsonl"), "--", process.execPath, recordingServer],
    { RECORD_FILE: recordFile },
  );
  await session.initialize();
});

afterEach(async () => {
  session.closeInput();
  await session.exited;
  dir.cleanup();
});

/** A request after the probe proves the proxy is still running and everything before it was handled. */
async function probe(): Promise<void> {
  const response = await session.request("probe", "tools/call", { name: "echo", arguments: { probe: true } });
  expect(response.result).toBeDefined();
}

/** A JSON-RPC error for a line whose id could not be read: id null (JSON-RPC 2.0, section 5). */
function expectNullIdError(response: Record<string, unknown>, code: number): void {
  expect(response).toMatchObject({ jsonrpc: "2.0", id: null, error: { code } });
  expect(Object.keys(response).sort()).toEqual(["error", "id", "jsonrpc"]);
}

describe("fail closed", () => {
  it("denies delete_stack with the rule's reason and the server never sees the call", async () => {
    const response = await session.request(1, "tools/call", {
      name: "delete_stack",
      arguments: { stack: "prod" },
    });
    const result = response.result as { isError: boolean; content: Array<{ text: string }> };
    expect(result.isError).toBe(true);
    expect(result.content[0]?.text).toContain('"delete_stack"');
    expect(result.content[0]?.text).toContain("Stack changes go through the platform team");
    await probe();
    expect(callsReceived()).toEqual(["echo"]);
  });

  it("answers invalid JSON with a -32700 error whose id is null, and forwards nothing", async () => {
    session.write('{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"delete_stack"\n');
    await session.waitForStderr(/refused a client message: Parse error/);
    expectNullIdError(await session.responseTo(null), -32700);
    await probe();
    expect(callsReceived()).toEqual(["echo"]);
  });

  it("refuses a batch array with -32600 and forwards none of its elements", async () => {
    session.write(
      `${JSON.stringify([
        { jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: "echo", arguments: {} } },
        { jsonrpc: "2.0", id: 4, method: "tools/call", params: { name: "delete_stack", arguments: {} } },
      ])}\n`,
    );
    await session.waitForStderr(/batches are not supported/);
    expectNullIdError(await session.responseTo(null), -32600);
    await probe();
    expect(callsReceived()).toEqual(["echo"]);
  });

  it("refuses a line with trailing bytes after the message", async () => {
    session.write(
      '{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"echo","arguments":{}}} {"x":1}\n',
    );
    await session.waitForStderr(/Parse error/);
    expectNullIdError(await session.responseTo(null), -32700);
    await probe();
    expect(callsReceived()).toEqual(["echo"]);
  });

  it("refuses a line that starts with a byte-order mark", async () => {
    session.write(
      '\uFEFF{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"echo","arguments":{}}}\n',
    );
    await session.waitForStderr(/Parse error/);
    expectNullIdError(await session.responseTo(null), -32700);
    await probe();
    expect(callsReceived()).toEqual(["echo"]);
  });

  it("refuses invalid UTF-8", async () => {
    session.write(
      Buffer.concat([
        Buffer.from(
          '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","arguments":{"a":"',
        ),
        Buffer.from([0xc3, 0x28]),
        Buffer.from('"}}}\n'),
      ]),
    );
    await session.waitForStderr(/not valid UTF-8/);
    expectNullIdError(await session.responseTo(null), -32700);
    await probe();
    expect(callsReceived()).toEqual(["echo"]);
  });

  it.each([
    ["a non-string name", { name: 42, arguments: {} }],
    ["an empty name", { name: "", arguments: {} }],
    ["array arguments", { name: "echo", arguments: ["a"] }],
    ["null arguments", { name: "echo", arguments: null }],
    ["an unexpected params member", { name: "echo", arguments: {}, toolName: "delete_stack" }],
  ])("answers a tools/call with %s with -32602 and never forwards it", async (_label, params) => {
    const response = await session.request(8, "tools/call", params);
    expect((response.error as { code: number }).code).toBe(-32602);
    await probe();
    expect(callsReceived()).toEqual(["echo"]);
  });

  it("answers a tools/call whose params are an array with -32602 and never forwards it", async () => {
    const response = await session.request(9, "tools/call", ["delete_stack"]);
    expect(response.error).toEqual({
      code: -32602,
      message: "Invalid params for tools/call: params must be an object",
    });
    await probe();
    expect(callsReceived()).toEqual(["echo"]);
  });

  it("answers params that are not an object, for other methods, with -32600", async () => {
    const response = await session.request(9, "resources/list", ["x"]);
    expect((response.error as { code: number }).code).toBe(-32600);
    await probe();
    expect(received().some((message) => message.id === 9)).toBe(false);
  });

  it.each([
    [
      "an id that is an object",
      '{"jsonrpc":"2.0","id":{"a":1},"method":"tools/call","params":{"name":"echo"}}',
    ],
    ["an id that is a boolean", '{"jsonrpc":"2.0","id":true,"method":"tools/call","params":{"name":"echo"}}'],
    ["a JSON value that is not an object", '"tools/call"'],
  ])("answers %s with -32600 and id null, and forwards nothing", async (_label, line) => {
    session.write(`${line}\n`);
    expectNullIdError(await session.responseTo(null), -32600);
    await probe();
    expect(callsReceived()).toEqual(["echo"]);
  });

  it("answers an id that is a fraction with -32600 under that id, so the client can match it, and forwards nothing", async () => {
    session.write('{"jsonrpc":"2.0","id":1.5,"method":"tools/call","params":{"name":"echo"}}\n');
    const response = await session.responseTo(1.5);
    expect((response.error as { code: number }).code).toBe(-32600);
    await probe();
    expect(callsReceived()).toEqual(["echo"]);
  });

  it.each(["Tools/Call", "tools/call ", "TOOLS/CALL"])("refuses the look-alike method %j", async (method) => {
    const response = await session.request(10, method, { name: "delete_stack", arguments: {} });
    expect((response.error as { code: number }).code).toBe(-32601);
    await probe();
    expect(received().some((message) => message.id === 10)).toBe(false);
  });

  it("drops a tools/call sent as a notification (no id to answer)", async () => {
    session.send({ jsonrpc: "2.0", method: "tools/call", params: { name: "delete_stack", arguments: {} } });
    await session.waitForStderr(/a tool call needs an id/);
    await probe();
    expect(callsReceived()).toEqual(["echo"]);
  });

  it("refuses unexpected top-level members with -32600", async () => {
    session.send({
      jsonrpc: "2.0",
      id: 11,
      method: "tools/call",
      params: { name: "echo", arguments: {} },
      extra: 1,
    });
    const response = await session.responseTo(11);
    expect((response.error as { code: number }).code).toBe(-32600);
    await probe();
    expect(callsReceived()).toEqual(["echo"]);
  });

  it("forwards its own serialization: with duplicate keys the server sees the name that was decided on", async () => {
    // JSON.parse keeps the last duplicate; a server that kept the first would run delete_stack.
    session.write(
      '{"jsonrpc":"2.0","id":12,"method":"tools/call","params":{"name":"delete_stack","name":"echo","arguments":{"n":1}}}\n',
    );
    const response = await session.responseTo(12);
    expect((response.result as { isError: boolean }).isError).toBe(false);
    const raw = received().find((message) => message.id === 12);
    expect(raw).toEqual({
      jsonrpc: "2.0",
      id: 12,
      method: "tools/call",
      params: { name: "echo", arguments: { n: 1 } },
    });
  });

  it("answers arguments nested too deeply to handle with an error, forwards nothing, and keeps running", async () => {
    const depth = 200_000;
    session.write(
      `{"jsonrpc":"2.0","id":16,"method":"tools/call","params":{"name":"echo","arguments":{"a":${'{"a":'.repeat(depth)}1${"}".repeat(depth)}}}}\n`,
    );
    const response = await session.responseTo(16);
    const denied = (response.result as { isError?: boolean } | undefined)?.isError === true;
    const internal = (response.error as { code?: number } | undefined)?.code === -32603;
    expect(denied || internal).toBe(true);
    await probe();
    expect(callsReceived()).toEqual(["echo"]);
  });

  it("refuses a second request with an id that is still pending", async () => {
    // The tools defined first: a call that waited for hang's definition could be overtaken by the probe.
    await session.listAllTools("list");
    session.send({ jsonrpc: "2.0", id: 13, method: "tools/call", params: { name: "hang", arguments: {} } });
    const response = await session.request(13, "tools/call", { name: "echo", arguments: {} });
    expect((response.error as { code: number }).code).toBe(-32600);
    await probe();
    expect(callsReceived()).toEqual(["hang", "echo"]);
  });

  it("hides batch_delete_* from every page of tools/list and denies calling it", async () => {
    const { names, pages } = await session.listAllTools("list");
    expect(pages).toBeGreaterThan(2);
    expect(names).toContain("delete_stack");
    expect(names).not.toContain("batch_delete_nodes");
    const response = await session.request(14, "tools/call", { name: "batch_delete_nodes", arguments: {} });
    expect((response.result as { isError: boolean }).isError).toBe(true);
    await probe();
    expect(callsReceived()).toEqual(["echo"]);
  });

  it("hides a tool that appears after notifications/tools/list_changed", async () => {
    await session.request(15, "tools/call", { name: "announce_new_tool", arguments: {} });
    const { names } = await session.listAllTools("relist");
    expect(names).toContain("echo");
    expect(names.filter((name) => name.startsWith("batch_delete"))).toEqual([]);
  });
});

describe("transparent otherwise", () => {
  it("passes a cancellation of a forwarded request to the server unchanged", async () => {
    // Listed first, so that the call is forwarded at once rather than held for the tool's definition.
    await session.listAllTools("known");
    session.send({
      jsonrpc: "2.0",
      id: "slow",
      method: "tools/call",
      params: { name: "hang", arguments: {} },
    });
    const cancel = {
      jsonrpc: "2.0",
      method: "notifications/cancelled",
      params: { requestId: "slow", reason: "user stopped" },
    };
    session.send(cancel);
    await probe();
    expect(received().filter((message) => message.method === "notifications/cancelled")).toEqual([cancel]);
  });
});

describe("a hostile server cannot unhide tools", () => {
  it("filters a tools/list answer that carries a decoy duplicate id", async () => {
    const hostileDir = tempDir();
    const hostile = new RawSession(
      [
        "--policy",
        writePolicy(hostileDir.path, POLICY),
        "--audit",
        join(hostileDir.path, "a.jsonl"),
        "--",
        process.execPath,
        recordingServer,
      ],
      { DECOY_DUPLICATE_ID: "1" },
    );
    try {
      await hostile.initialize();
      const response = await hostile.request("decoy-list", "tools/list", { cursor: "2" });
      const names = (response.result as { tools: Array<{ name: string }> }).tools.map((tool) => tool.name);
      expect(names).toEqual(["crash"]);
    } finally {
      hostile.closeInput();
      await hostile.exited;
      hostileDir.cleanup();
    }
  });

  it("drops a second answer to a tools/list that was already answered, so no hidden tool shows", async () => {
    const hostileDir = tempDir();
    const hostile = new RawSession(
      [
        "--policy",
        writePolicy(hostileDir.path, POLICY),
        "--audit",
        join(hostileDir.path, "a.jsonl"),
        "--",
        process.execPath,
        recordingServer,
      ],
      { SECOND_LIST_ANSWER: "1" },
    );
    try {
      await hostile.initialize();
      const first = await hostile.request("list", "tools/list", {});
      expect((first.result as { tools: Array<{ name: string }> }).tools.map((tool) => tool.name)).toEqual([
        "echo",
        "delete_stack",
      ]);
      await hostile.waitForStderr(/dropped an answer from the server to id "list"/);
      // Once the next request is answered, the second answer (written before it) would have arrived.
      const after = await hostile.request("after", "tools/call", { name: "echo", arguments: {} });
      expect(after.result).toBeDefined();
      expect(hostile.unread().filter((message) => (message as { id?: unknown }).id === "list")).toEqual([]);
      const listed = await hostile.listAllTools("page");
      expect(listed.names).not.toContain("batch_delete_nodes");
    } finally {
      hostile.closeInput();
      await hostile.exited;
      hostileDir.cleanup();
    }
  });
});
