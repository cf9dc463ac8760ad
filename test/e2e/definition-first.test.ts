import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { policylayer, SAGEMAKER } from "../cli/run.js";
import { recordingServer } from "../helpers/paths.js";
import { pythonWithMcp } from "../helpers/python-sdk.js";
import { seededRandom } from "../helpers/random.js";
import { RawSession } from "../helpers/raw-session.js";
import { NO_AWS } from "../helpers/sagemaker.js";
import { readJsonLines, tempDir, writePolicy } from "../helpers/tmp.js";

// A tools/call that names a tool policylayer has no definition of is decided only after policylayer
// has read the server's list itself: the decision never depends on whether the client listed first.

const META = {
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientCapabilities": {},
};
const DENY_DELETE =
  "version: 1\ndefault: allow\nrules:\n  - tool: delete_stack\n    action: deny\n    reason: no\n";

/** What the recording server lists before announce_new_tool. */
const BASE_TOOLS = [
  "echo",
  "delete_stack",
  "batch_delete_nodes",
  "crash",
  "hang",
  "huge",
  "spawn_grandchild",
  "tool_error",
];

type Result = { isError?: boolean; content: Array<{ text: string }> };
type Message = Record<string, unknown>;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** policylayer wrap around the recording server; `received()` is every line that reached the server. */
function recorded(
  env: Record<string, string> = {},
  flags: string[] = [],
): { session: RawSession; received: () => Message[] } {
  const dir = tempDir();
  const recordFile = join(dir.path, "received.jsonl");
  const policy = writePolicy(dir.path, DENY_DELETE);
  const session = new RawSession(
    [
      "--policy",
      policy,
      "--audit",
      join(dir.path, "a.jsonl"),
      ...flags,
      "--",
      process.execPath,
      recordingServer,
    ],
    { RECORD_FILE: recordFile, ...env },
  );
  cleanups.push(dir.cleanup, async () => {
    session.closeInput();
    await session.exited;
  });
  return { session, received: () => readJsonLines(recordFile) };
}

/**
 * Every message policylayer wrote to the client until the answer to a probe sent now (the recording
 * server answers ping with its own method-not-found error, at once).
 */
async function messagesUntil(session: RawSession, probeId: string): Promise<Message[]> {
  session.send({ jsonrpc: "2.0", id: probeId, method: "ping" });
  const seen: Message[] = [];
  for (;;) {
    const message = (await session.next()) as Message;
    if (message.id === probeId) return seen;
    seen.push(message);
  }
}

describe("a call of a tool policylayer has no definition of", () => {
  it("waits while policylayer reads every page of the server's list in the call's era, then is decided", async () => {
    const { session, received } = recorded();
    // delete_stack is on page 1 of 4; a tool on the last page makes every page necessary.
    const denied = await session.request(1, "tools/call", { name: "tool_error", arguments: {}, _meta: META });
    expect((denied.result as Result).isError).toBe(true);
    const lists = received().filter((message) => message.method === "tools/list");
    expect(lists.map((list) => (list.params as { cursor?: string }).cursor)).toEqual([
      undefined,
      "2",
      "4",
      "6",
    ]);
    for (const list of lists) {
      expect(String(list.id)).toMatch(/^policylayer-/);
      expect((list.params as { _meta: unknown })._meta).toEqual(META);
    }
    expect(received().filter((message) => message.method === "tools/call")).toHaveLength(1);
  });

  it("denies a call by the server's definition even though the client never listed", async () => {
    const { session, received } = recorded();
    await session.initialize();
    const denied = await session.request(1, "tools/call", { name: "delete_stack", arguments: {} });
    expect((denied.result as Result).isError).toBe(true);
    expect((denied.result as Result).content[0]?.text).toContain("delete_stack");
    expect(received().filter((message) => message.method === "tools/call")).toEqual([]);
  });

  it("never passes our own tools/list answers to the client, and answers each client id once", async () => {
    const { session, received } = recorded();
    await session.initialize();
    // Client ids of both kinds, in flight while policylayer's own tools/list pages are.
    session.send({
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: { name: "echo", arguments: { a: 1 } },
    });
    session.send({ jsonrpc: "2.0", id: "1", method: "ping" });
    session.send({ jsonrpc: "2.0", id: 2, method: "tools/list" });
    // The call is answered once the list is read; everything else written meanwhile is kept for below.
    const echo = await session.responseTo(1);
    expect((echo.result as Result).content[0]?.text).toBe('{"a":1}');
    const messages = [echo, ...(await messagesUntil(session, "probe"))];
    const ids = messages.map((message) => JSON.stringify(message.id)).sort();
    expect(ids).toEqual(['"1"', "1", "2"]);
    expect(messages.every((message) => !("method" in message))).toBe(true);
    // The server saw our ids beside the client's, and none of ours equals one of the client's.
    const atServer = received()
      .map((message) => message.id)
      .filter((id) => id !== undefined);
    const ours = atServer.filter((id) => typeof id === "string" && id.startsWith("policylayer-"));
    expect(ours.length).toBeGreaterThan(0);
    expect(new Set(atServer).size).toBe(atServer.length);
  });

  it("awaits the client's own tools/list when it is in flight rather than fetching the list twice", async () => {
    const { session, received } = recorded();
    await session.initialize();
    session.send({ jsonrpc: "2.0", id: "page-1", method: "tools/list" });
    session.send({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "echo", arguments: {} } });
    await session.responseTo("page-1");
    const echo = await session.responseTo(1);
    expect((echo.result as Result).isError).toBe(false);
    expect(
      received()
        .filter((message) => message.method === "tools/list")
        .map((message) => message.id),
    ).toEqual(["page-1"]);
  });

  it("answers a client id that merely looks like one of policylayer's own as the client's", async () => {
    const { session } = recorded();
    await session.initialize();
    // A client cannot know our random prefix; an id that merely looks like ours is the client's own.
    const response = await session.request("policylayer-guess-1", "tools/list");
    expect((response.result as { tools: unknown[] }).tools).toHaveLength(2);
  });

  it("denies with a clear reason when the list never comes, without stalling other traffic, and drops a cancelled call", async () => {
    const { session, received } = recorded({ HANG_TOOLS_LIST: "1" }, ["--list-timeout-ms", "3000"]);
    await session.initialize();
    session.send({ jsonrpc: "2.0", id: "a", method: "tools/call", params: { name: "echo", arguments: {} } });
    session.send({ jsonrpc: "2.0", id: "b", method: "tools/call", params: { name: "echo", arguments: {} } });
    session.send({
      jsonrpc: "2.0",
      method: "notifications/cancelled",
      params: { requestId: "b", reason: "x" },
    });
    // Other traffic goes on while the calls wait.
    expect((await session.request("ping-1", "ping")).error).toMatchObject({
      message: "Method not found: ping",
    });
    const denied = await session.responseTo("a");
    const text = (denied.result as Result).content[0]?.text ?? "";
    expect((denied.result as Result).isError).toBe(true);
    expect(text).toContain('policylayer could not read the definition of "echo"');
    expect(text).toContain("did not answer tools/list within 3 s");
    const messages = await messagesUntil(session, "ping-2");
    expect(messages.filter((message) => message.id === "b")).toEqual([]);
    const atServer = received();
    expect(atServer.filter((message) => message.method === "tools/call")).toEqual([]);
    const cancelled = atServer.filter((message) => message.method === "notifications/cancelled");
    expect(cancelled.map((message) => (message.params as { requestId: unknown }).requestId)).not.toContain(
      "b",
    );
  }, 40_000);
});

/** The cursors of the tools/list requests policylayer itself sent the server, in order ("" for the first page). */
function ourListings(received: Message[]): string[] {
  return received
    .filter((message) => message.method === "tools/list" && String(message.id).startsWith("policylayer-"))
    .map((message) => (message.params as { cursor?: string }).cursor ?? "");
}

const EVERY_PAGE = ["", "2", "4", "6"];
/** Every page once more announce_new_tool has added a ninth tool. */
const EVERY_PAGE_AFTER_CHANGE = ["", "2", "4", "6", "8"];

describe("several calls waiting for one listing", () => {
  it("decides every call that arrives together on one reading of every page", async () => {
    const { session, received } = recorded();
    await session.initialize();
    const calls: [number, string][] = [
      [1, "echo"],
      [2, "tool_error"],
      [3, "delete_stack"],
      [4, "not_listed_anywhere"],
      [5, "echo"],
    ];
    // One write: all five reach policylayer in one chunk, before any page is answered.
    session.write(
      calls
        .map(([id, name]) =>
          JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: { id } } }),
        )
        .map((line) => `${line}\n`)
        .join(""),
    );
    const answers = new Map<number, Result>();
    for (const [id] of calls) answers.set(id, (await session.responseTo(id)).result as Result);
    expect(answers.get(1)?.content[0]?.text).toBe('{"id":1}');
    expect(answers.get(2)?.content[0]?.text).toBe("it failed");
    expect(answers.get(3)?.isError).toBe(true);
    expect(answers.get(3)?.content[0]?.text).toContain("delete_stack");
    expect(answers.get(4)?.content[0]?.text).toBe("called not_listed_anywhere");
    expect(answers.get(5)?.content[0]?.text).toBe('{"id":5}');
    expect(ourListings(received())).toEqual(EVERY_PAGE);
    const names = received()
      .filter((message) => message.method === "tools/call")
      .map((message) => (message.params as { name: string }).name);
    expect(names.sort()).toEqual(["echo", "echo", "not_listed_anywhere", "tool_error"]);
  });

  it("joins calls that arrive while page 2 is being read to that listing", async () => {
    const { session, received } = recorded({ HOLD_LIST_CURSOR: "2" });
    await session.initialize();
    session.send({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "echo", arguments: {} } });
    await session.waitForStderr(/holding tools\/list cursor 2/);
    for (const [id, name] of [
      [2, "tool_error"],
      [3, "delete_stack"],
      [4, "not_listed_anywhere"],
    ] as const) {
      session.send({ jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: {} } });
    }
    // The probe passes while the calls wait: nothing else stalls. delete_stack is on page 1, read
    // already, so its call is decided at once; the others wait for the rest of the list.
    const meanwhile = await messagesUntil(session, "probe-1");
    expect(meanwhile.map((message) => message.id)).toEqual([3]);
    expect(meanwhile[0]).toMatchObject({ result: { isError: true } });
    session.send({ jsonrpc: "2.0", method: "notifications/test/release" });
    expect(((await session.responseTo(1)).result as Result).isError).toBe(false);
    expect(((await session.responseTo(2)).result as Result).content[0]?.text).toBe("it failed");
    expect(((await session.responseTo(4)).result as Result).content[0]?.text).toBe(
      "called not_listed_anywhere",
    );
    expect(ourListings(received())).toEqual(EVERY_PAGE);
    expect(received().filter((message) => message.method === "tools/call")).toHaveLength(3);
  });

  it("denies at once, naming the ceiling, when the server's answer to our tools/list is over --max-line-bytes", async () => {
    const { session, received } = recorded({ HUGE_TOOLS_LIST: "20000" }, ["--max-line-bytes", "8192"]);
    await session.initialize();
    const denied = await session.request(1, "tools/call", { name: "echo", arguments: {} });
    const text = (denied.result as Result).content[0]?.text ?? "";
    expect(text).toContain("over policylayer's ceiling of 8192 bytes");
    expect(text).not.toContain("did not answer");
    expect(received().filter((message) => message.method === "tools/call")).toEqual([]);
  });

  it("does not wait for a client tools/list that policylayer could not send on", async () => {
    const { session, received } = recorded();
    await session.initialize();
    const depth = 200_000;
    session.write(
      `{"jsonrpc":"2.0","id":"deep","method":"tools/list","params":{"a":${'{"a":'.repeat(depth)}1${"}".repeat(depth)}}}\n`,
    );
    expect((await session.responseTo("deep")).error).toMatchObject({ code: -32603 });
    const echo = await session.request(1, "tools/call", { name: "echo", arguments: { n: 1 } });
    expect((echo.result as Result).content[0]?.text).toBe('{"n":1}');
    expect(ourListings(received())).toEqual(EVERY_PAGE);
  });

  it("reads the list afresh for the next call after a listing timed out", async () => {
    const { session, received } = recorded({ HANG_FIRST_TOOLS_LIST: "1" }, ["--list-timeout-ms", "1500"]);
    await session.initialize();
    const first = await session.request(1, "tools/call", { name: "echo", arguments: {} });
    expect((first.result as Result).content[0]?.text).toContain("did not answer tools/list within 1.5 s");
    // The listing that timed out was cancelled at the server (which records the cancellation when it
    // reads it, maybe after the denial reached us); the next call does not wait on it.
    const cancelledIds = () =>
      received()
        .filter((message) => message.method === "notifications/cancelled")
        .map((message) => (message.params as { requestId: string }).requestId);
    await expect
      .poll(cancelledIds, {
        timeout: 10_000,
        message: "the server to record the cancellation of our tools/list",
      })
      .toEqual([received().find((message) => message.method === "tools/list")?.id]);
    const second = await session.request(2, "tools/call", { name: "echo", arguments: { n: 2 } });
    expect((second.result as Result).content[0]?.text).toBe('{"n":2}');
    expect(ourListings(received())).toEqual(["", ...EVERY_PAGE]);
  });

  it("keeps the listing going for a call that still waits when an earlier one gives up", async () => {
    const { session, received } = recorded({ HOLD_LIST_CURSOR: "2" }, ["--list-timeout-ms", "3000"]);
    await session.initialize();
    session.send({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "echo", arguments: {} } });
    await session.waitForStderr(/holding tools\/list cursor 2/);
    // Time itself is the subject here: call 2 comes half a timeout later, so its deadline is 1.5 s after call 1's.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    session.send({
      jsonrpc: "2.0",
      id: 2,
      method: "tools/call",
      params: { name: "tool_error", arguments: {} },
    });
    const first = await session.responseTo(1);
    expect((first.result as Result).content[0]?.text).toContain("did not answer tools/list within 3 s");
    // Call 2 still waits: the page comes, and it is decided by its definition.
    session.send({ jsonrpc: "2.0", method: "notifications/test/release" });
    expect(((await session.responseTo(2)).result as Result).content[0]?.text).toBe("it failed");
    expect(ourListings(received())).toEqual(EVERY_PAGE);
    expect(received().filter((message) => message.method === "notifications/cancelled")).toEqual([]);
  });
});

describe("a tool the server does not list", () => {
  it("is decided at once after the client read the whole list, with no listing of ours", async () => {
    const { session, received } = recorded();
    await session.initialize();
    await session.listAllTools("client-list");
    const answer = await session.request(1, "tools/call", { name: "not_listed_anywhere", arguments: {} });
    expect((answer.result as Result).content[0]?.text).toBe("called not_listed_anywhere");
    expect(ourListings(received())).toEqual([]);
  });

  it("is decided at once after policylayer's own listing read the whole list", async () => {
    const { session, received } = recorded();
    await session.initialize();
    await session.request(1, "tools/call", { name: "not_listed_anywhere", arguments: {} });
    await session.request(2, "tools/call", { name: "not_listed_either", arguments: {} });
    expect(ourListings(received())).toEqual(EVERY_PAGE);
  });

  it("is looked up again after the server's list_changed, and a tool added meanwhile is decided by its definition", async () => {
    const { session, received } = recorded();
    await session.initialize();
    await session.listAllTools("client-list");
    // An unlisted tool: decided at once. The server then adds batch_delete_later and says so.
    await session.request(1, "tools/call", { name: "announce_new_tool", arguments: {} });
    expect(ourListings(received())).toEqual([]);
    const answer = await session.request(2, "tools/call", { name: "batch_delete_later", arguments: {} });
    expect((answer.result as Result).content[0]?.text).toBe("called batch_delete_later");
    expect(ourListings(received())).toEqual(EVERY_PAGE_AFTER_CHANGE);
    // The whole new list was read: another unlisted tool is decided at once again.
    await session.request(3, "tools/call", { name: "not_listed_anywhere", arguments: {} });
    expect(ourListings(received())).toEqual(EVERY_PAGE_AFTER_CHANGE);
  });

  it("is looked up again once the list's ttlMs has run out (0: at once), and not while it lasts", async () => {
    const expired = recorded({ TOOLS_LIST_TTL_MS: "0" });
    const lasting = recorded({ TOOLS_LIST_TTL_MS: "600000" });
    for (const { session } of [expired, lasting]) {
      await session.request(1, "tools/call", { name: "not_listed_anywhere", arguments: {}, _meta: META });
      await session.request(2, "tools/call", { name: "not_listed_either", arguments: {}, _meta: META });
    }
    expect(ourListings(expired.received())).toEqual([...EVERY_PAGE, ...EVERY_PAGE]);
    expect(ourListings(lasting.received())).toEqual(EVERY_PAGE);
  });

  it("a first page alone does not make the list known as whole", async () => {
    const { session, received } = recorded();
    await session.initialize();
    await session.request("first-page", "tools/list", {});
    await session.request(1, "tools/call", { name: "not_listed_anywhere", arguments: {} });
    expect(ourListings(received())).toEqual(EVERY_PAGE);
  });

  it("keeps to a model of what is known over random sequences of lists, calls and list changes", async () => {
    // Seed 4 calls a known tool after a change, before any whole list: it is read again first.
    for (const seed of [1, 2, 3, 4]) {
      const random = seededRandom(seed);
      const { session, received } = recorded();
      await session.initialize();
      // The model: tools whose definitions policylayer read since the last list change, whether the
      // whole current list was read, what the server lists.
      const known = new Set<string>();
      let whole = false;
      let changed = false;
      const serverTools = () => [...BASE_TOOLS, ...(changed ? ["batch_delete_later"] : [])];
      const pages = () => (changed ? EVERY_PAGE_AFTER_CHANGE : EVERY_PAGE);
      const expected: string[] = [];
      let id = 0;
      const steps: string[] = [];
      for (let step = 0; step < 14; step++) {
        const action = random.pick(["list all", "list first", "call known", "call other", "change"] as const);
        steps.push(action);
        const what = `seed ${seed}, steps ${steps.join(", ")}`;
        if (action === "list all" || action === "list first") {
          if (action === "list all") await session.listAllTools(`list-${++id}`);
          else await session.request(`list-${++id}`, "tools/list", {});
          const listed = action === "list all" ? serverTools() : serverTools().slice(0, 2);
          for (const name of listed) known.add(name);
          if (action === "list all") whole = true;
        } else {
          const name =
            action === "call known"
              ? random.pick(["echo", "tool_error", "batch_delete_later"])
              : action === "call other"
                ? "not_listed_anywhere"
                : "announce_new_tool";
          if (!known.has(name) && !whole) {
            expected.push(...pages());
            for (const tool of serverTools()) known.add(tool);
            whole = true;
          }
          const answer = await session.request(++id, "tools/call", { name, arguments: {} });
          expect(answer.result, what).toBeDefined();
          if (action === "change") {
            changed = true;
            whole = false;
            // Every definition may have changed with the list: each tool is read again before its next call.
            known.clear();
          }
        }
        expect(ourListings(received()), what).toEqual(expected);
      }
      session.closeInput();
      await session.exited;
    }
  }, 120_000);
});

// A tool of our typed server on the Python SDK whose name and arguments read harmless (a write, let
// through under the built-in default) and whose definition says it destroys: only a decision made on
// the definition denies it.
const typedServer = fileURLToPath(new URL("../servers/typed_server.py", import.meta.url));

describe("a tool only its definition shows to be destructive, on the Python SDK, called before any tools/list", () => {
  it("check without a server reads it by name as a write, which the built-in default allows", async () => {
    const run = await policylayer("check", "--tool", "tidy", "--args", '{"target":"prod"}');
    expect(run.stdout).toContain("classification: write");
    expect(run.stdout).toContain("result: ALLOW");
  });

  const cases: [1 | 2, boolean][] = [
    [1, true],
    [2, true],
    [2, false],
  ];
  for (const [major, legacy] of cases) {
    it(`is denied by its definition on mcp ${major}.x in ${legacy ? "the legacy era" : "the 2026-07-28 era"}, and the server never runs it`, async () => {
      const python = await pythonWithMcp(major);
      const dir = tempDir();
      cleanups.push(dir.cleanup);
      const recordFile = join(dir.path, "records.jsonl");
      const audit = join(dir.path, "audit.jsonl");
      const session = new RawSession(["--audit", audit, "--", python, typedServer], {
        RECORD_FILE: recordFile,
        POLICYLAYER_POLICY: "",
      });
      cleanups.push(async () => {
        session.closeInput();
        await session.exited;
      });
      if (legacy) await session.initialize();
      const params = { name: "tidy", arguments: { target: "prod" }, ...(legacy ? {} : { _meta: META }) };
      const denied = await session.request(1, "tools/call", params);
      expect((denied.result as Result).isError).toBe(true);
      expect((denied.result as Result).content[0]?.text).toContain("tidy");
      expect(readJsonLines(audit).find((line) => line.tool === "tidy")).toMatchObject({
        decision: "deny",
        category: "destructive",
      });
      // A call that is let through is recorded: the server runs what reaches it, and tidy never did.
      const allowed = await session.request(2, "tools/call", {
        ...params,
        name: "set_flag",
        arguments: { enabled: false },
      });
      expect((allowed.result as Result).isError).toBe(false);
      expect(readJsonLines(recordFile).map((line) => line.tool)).toEqual(["set_flag"]);
    }, 120_000);
  }
});

const DELETE_STACK = { operation: "delete", region_name: "us-east-1", stack_name: "prod-hyperpod" };
// What the server logs (to stderr, which policylayer passes through) when a delete reaches it; it
// also logs every call it handles as "[request_id=N] ...".
const SERVER_SAW_DELETE = /Operation delete is not allowed/;

/** `promise`, or a failure naming what was awaited once `ms` have passed. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`waited ${ms} ms for ${what}`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

describe("the real SageMaker server: manage_hyperpod_stacks delete sent before any tools/list", () => {
  const policies: [string, string | null][] = [
    ["the built-in default", null],
    [
      "an explicit category: destructive → deny rule",
      "version: 1\ndefault: allow\nrules:\n  - category: destructive\n    action: deny\n",
    ],
  ];
  const eras: [string, boolean][] = [
    ["the legacy era (initialize)", true],
    ["the 2026-07-28 era (_meta, no handshake)", false],
  ];
  for (const [policyName, policyYaml] of policies) {
    for (const [eraName, legacy] of eras) {
      it(`is denied under ${policyName} in ${eraName}, and the server never receives it`, async () => {
        const dir = tempDir();
        cleanups.push(dir.cleanup);
        const audit = join(dir.path, "audit.jsonl");
        const policyArgs = policyYaml === null ? [] : ["--policy", writePolicy(dir.path, policyYaml)];
        const session = new RawSession([...policyArgs, "--audit", audit, "--", ...SAGEMAKER], {
          ...NO_AWS,
          POLICYLAYER_POLICY: "",
        });
        cleanups.push(async () => {
          session.closeInput();
          await session.exited;
        });
        if (legacy) await session.initialize();
        const params = legacy
          ? { name: "manage_hyperpod_stacks", arguments: DELETE_STACK }
          : { name: "manage_hyperpod_stacks", arguments: DELETE_STACK, _meta: META };
        const response = await session.request(7, "tools/call", params);
        const result = response.result as Result & { resultType?: string };
        expect(result.isError).toBe(true);
        expect(result.content[0]?.text).toContain("manage_hyperpod_stacks");
        if (!legacy) expect(result.resultType).toBe("complete");
        expect(readJsonLines(audit).find((line) => line.tool === "manage_hyperpod_stacks")).toMatchObject({
          decision: "deny",
          category: "destructive",
        });
        // A later call that does reach the server shows its log comes through; the delete left none.
        const describeCall = { ...params, arguments: { ...DELETE_STACK, operation: "describe" } };
        await session.request(8, "tools/call", describeCall);
        await within(session.waitForStderr(/\[request_id=8\]/), 30_000, "the server's log line for call 8");
        expect(session.stderr).not.toMatch(SERVER_SAW_DELETE);
        expect(session.stderr).not.toContain("[request_id=7]");
      }, 180_000);
    }
  }

  it("check without a server reads the call as wrap reads a tool nobody lists, and says deny", async () => {
    const run = await policylayer(
      "check",
      "--tool",
      "manage_hyperpod_stacks",
      "--args",
      JSON.stringify(DELETE_STACK),
    );
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain("classification: destructive (critical risk); no server given");
    expect(run.stdout).toContain("result: DENY");
  });

  it("check says deny for the same call", async () => {
    const run = await policylayer(
      "check",
      "--tool",
      "manage_hyperpod_stacks",
      "--args",
      JSON.stringify(DELETE_STACK),
      "--",
      ...SAGEMAKER,
    );
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain("result: DENY");
  }, 150_000);
});
