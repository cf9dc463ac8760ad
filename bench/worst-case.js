// Worst-case inputs on the message path, in process: node bench/worst-case.js (after `npm run build`).
// For each generated shape at growing sizes, prints the time per call and per MB, so a cost that grows
// faster than the input shows as a growing figure across the sizes of one shape. POLICYLAYER_ROOT
// names another checkout's build to measure (a commit before a fix).
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = process.env.POLICYLAYER_ROOT ?? dirname(dirname(fileURLToPath(import.meta.url)));
const load = (path) => import(join(root, "dist", path));
const { answerIdsOf } = await load("wire/response-stream.js");
const { compileInputSchema } = await load("arguments/schema.js");
const { readArguments } = await load("arguments/read.js");

/** Median milliseconds of `run` over a few repetitions (at least one; fewer when one is slow). */
function time(run) {
  const times = [];
  const deadline = performance.now() + 2000;
  for (let i = 0; i < 7 && (i === 0 || performance.now() < deadline); i++) {
    const start = performance.now();
    run();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

function report(shape, size, bytes, ms) {
  const perMb = bytes > 0 ? `${(ms / (bytes / 1e6)).toFixed(1)} ms/MB` : "";
  console.log(
    `${shape.padEnd(58)} ${String(size).padStart(8)} ${(bytes / 1e6).toFixed(2).padStart(7)} MB ${ms.toFixed(2).padStart(10)} ms ${perMb}`,
  );
}

// 1. A server line that cannot be read (no closing brace at the end), made of many small objects.
for (const count of [10_000, 20_000, 40_000]) {
  const line = Buffer.from(`${'{"jsonrpc":"2.0","id":1,"result":{}}'.repeat(count)}{`);
  report(
    "answerIdsOf: unreadable line of small objects",
    count,
    line.length,
    time(() => answerIdsOf(line)),
  );
}

// 2. A union whose members both hold the same recursive list, against a nested list that fits neither.
const unionSchema = compileInputSchema({
  type: "object",
  properties: { a: { $ref: "#/$defs/n" } },
  $defs: {
    n: {
      anyOf: [
        { type: "array", items: { $ref: "#/$defs/n" } },
        { type: "array", items: { $ref: "#/$defs/n" } },
        { type: "integer" },
      ],
    },
  },
});
for (const depth of [8, 12, 16]) {
  let value = "x";
  for (let i = 0; i < depth; i++) value = [value];
  const bytes = JSON.stringify(value).length;
  report(
    "readArguments: nested list through a 2-way union",
    depth,
    bytes,
    time(() => readArguments(unionSchema, { a: value }, { allowUndeclared: false })),
  );
}

// 3. The same, with the union spread over a chain of shared definitions (no nesting in the value).
function chain(kind, depth, leaf) {
  const defs = {};
  for (let i = 0; i < depth; i++)
    defs[`d${i}`] = { [kind]: [{ $ref: `#/$defs/d${i + 1}` }, { $ref: `#/$defs/d${i + 1}` }] };
  defs[`d${depth}`] = leaf;
  return compileInputSchema({ type: "object", properties: { a: { $ref: "#/$defs/d0" } }, $defs: defs });
}
for (const depth of [10, 14, 18]) {
  const schema = chain("anyOf", depth, { type: "integer" });
  report(
    'readArguments: "x" through a chain of 2-way anyOf',
    depth,
    0,
    time(() => readArguments(schema, { a: "x" }, { allowUndeclared: false })),
  );
}
for (const depth of [10, 14, 18]) {
  const schema = chain("allOf", depth, { type: "integer" });
  report(
    "readArguments: 5 through a chain of 2-way allOf",
    depth,
    0,
    time(() => readArguments(schema, { a: 5 }, { allowUndeclared: false })),
  );
}
{
  const schema = compileInputSchema({
    type: "object",
    properties: { a: { $ref: "#/$defs/n" } },
    $defs: { n: { anyOf: [{ $ref: "#/$defs/n" }, { type: "integer" }] } },
  });
  let ms;
  try {
    ms = time(() => readArguments(schema, { a: "x" }, { allowUndeclared: false }));
  } catch (error) {
    ms = Number.NaN;
    console.log(`  (threw ${error.name})`);
  }
  report("readArguments: a schema that refers to itself in a loop", 1, 0, ms);
}

// 4. Whole calls through a ProxySession (the real gate) with conditions over `*` paths and text.
const { parsePolicy } = await load("policy/load.js");
const { Gate } = await load("proxy/gate.js");
const { ProxySession } = await load("proxy/session.js");
const { AuditLog } = await load("audit/log.js");
const { PassThrough } = await import("node:stream");

function session(rules, tools) {
  const yaml = `version: 1\ndefault: deny\nrules:\n${rules}  - tool: echo\n    action: allow\n`;
  const gate = new Gate({
    policy: parsePolicy(yaml, "worst-case policy").policy,
    audit: AuditLog.open("/dev/null", { event: "session_start" }),
    sessionId: "00000000-0000-4000-8000-000000000000",
    serverLabel: "bench",
    warn: () => {},
  });
  let written = 0;
  const sink = () => ({
    write: (chunk) => {
      written += chunk.length;
      return true;
    },
    cork() {},
    uncork() {},
    once() {},
  });
  const clientInput = new PassThrough();
  const serverOutput = new PassThrough();
  new ProxySession({
    clientInput,
    clientOutput: sink(),
    serverInput: sink(),
    serverOutput,
    gate,
    maxLineBytes: 1 << 30,
    warn: () => {},
  }).start();
  const line = (message) => Buffer.from(`${JSON.stringify(message)}\n`);
  clientInput.emit("data", line({ jsonrpc: "2.0", id: "list", method: "tools/list" }));
  serverOutput.emit("data", line({ jsonrpc: "2.0", id: "list", result: { tools } }));
  let id = 0;
  return {
    /** Sends one call of echo and its answer; returns the call line's length. */
    call(args) {
      id++;
      const request = line({
        jsonrpc: "2.0",
        id,
        method: "tools/call",
        params: { name: "echo", arguments: args },
      });
      clientInput.emit("data", request);
      serverOutput.emit("data", line({ jsonrpc: "2.0", id, result: { content: [] } }));
      return request.length;
    },
    listLine: (message) => serverOutput.emit("data", line(message)),
    request: (message) => clientInput.emit("data", line(message)),
    get written() {
      return written;
    },
  };
}
const echo = { name: "echo", inputSchema: { type: "object" }, annotations: { readOnlyHint: true } };
const deny = (path, op, value) =>
  `  - tool: echo\n    when:\n      - { path: ${path}, op: ${op}, value: ${JSON.stringify(value)} }\n    action: deny\n`;

{
  const s = session(deny("args.a.*.b.*.c", "eq", "never"), [echo]);
  for (const n of [250, 500, 1000]) {
    const args = {
      a: Array.from({ length: n }, () => ({ b: Array.from({ length: n }, () => ({ c: "x" })) })),
    };
    let bytes = 0;
    const ms = time(() => {
      bytes = s.call(args);
    });
    report("call: args.a.*.b.*.c eq over n×n elements", n, bytes, ms);
  }
}
{
  const rules =
    deny("args.a.*", "regex", "^/(etc|root)/") +
    deny("args.a.*", "glob", "/var/**/secret*") +
    deny("args.a.*", "starts_with", "/proc");
  const s = session(rules, [echo]);
  for (const n of [25_000, 50_000, 100_000]) {
    const args = { a: Array.from({ length: n }, (_, i) => `/home/user/project/file-${i}.txt`) };
    let bytes = 0;
    const ms = time(() => {
      bytes = s.call(args);
    });
    report("call: regex, glob, starts_with over many strings", n, bytes, ms);
  }
}
{
  const s = session(deny("args.a.*.b", "eq", "never"), [echo]);
  for (const n of [10_000, 20_000, 40_000]) {
    const args = { a: Array.from({ length: n }, (_, i) => JSON.stringify({ b: `v${i}`, c: [1, 2, 3] })) };
    let bytes = 0;
    const ms = time(() => {
      bytes = s.call(args);
    });
    report("call: args.a.*.b over strings of JSON text", n, bytes, ms);
  }
}
{
  const s = session(deny("args.a.b.b.b.b.b.b.b.b.b.b.b.b.b.b.b.b.b.b.b.b.z", "eq", "never"), [echo]);
  for (const depth of [5, 8, 11]) {
    let value = { z: "x" };
    for (let i = 0; i < depth; i++) value = { b: JSON.stringify(value) };
    const args = { a: value };
    let bytes = 0;
    const ms = time(() => {
      bytes = s.call(args);
    });
    report("call: JSON text inside JSON text, nested", depth, bytes, ms);
  }
}
{
  const s = session(deny("args.a", "contains", "evil.example"), [echo]);
  for (const n of [100_000, 200_000, 400_000]) {
    const forms = [
      `http://${"a.".repeat(n / 2)}com/`,
      `${"1".repeat(n)}`,
      `::${"0:".repeat(n / 2)}1`,
      `%${"41%".repeat(n / 3)}`,
    ];
    for (const [k, text] of forms.entries()) {
      let bytes = 0;
      const ms = time(() => {
        bytes = s.call({ a: text });
      });
      report(
        `call: contains on a long string (${["URL", "digits", "IPv6-ish", "%-escapes"][k]})`,
        n,
        bytes,
        ms,
      );
    }
  }
}
for (const n of [5_000, 10_000, 20_000]) {
  const tools = Array.from({ length: n }, (_, i) => ({
    name: `tool_${i}`,
    description: "Deletes the given stack and every resource in it. ".repeat(4),
    inputSchema: { type: "object", properties: { path: { type: "string" }, force: { type: "boolean" } } },
  }));
  const s = session(`  - tool: "tool_1*"\n    action: deny\n    hide: true\n`, [echo]);
  const message = { jsonrpc: "2.0", id: "big", result: { tools } };
  const bytes = JSON.stringify(message).length;
  const ms = time(() => {
    s.request({ jsonrpc: "2.0", id: "big", method: "tools/list" });
    s.listLine(message);
  });
  report("tools/list: many tools, filtered and classified", n, bytes, ms);
}

// 5. A list of paths, each a different missing name with an accent (NFD) in one folder of 2000 names:
// each is looked up by its NFC form among the folder's names (server-filesystem matches names so).
{
  const { mkdtempSync, rmSync, writeFileSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const folder = mkdtempSync(join(tmpdir(), "policylayer-worst-case-"));
  try {
    for (let i = 0; i < 2000; i++) writeFileSync(join(folder, `entr\u00e9e-${i}`), "");
    const s = session(deny("args.paths.*", "path_outside", [folder]), [echo]);
    for (const n of [250, 500, 1000]) {
      const paths = Array.from({ length: n }, (_, i) => `${folder}/nouveau-${i}-e\u0301.txt`);
      let bytes = 0;
      const ms = time(() => {
        bytes = s.call({ paths });
      });
      report("call: missing accented names in a folder of 2000", n, bytes, ms);
    }
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}
