// The policy file's JSON Schema: the one source of truth for its shape, printed by `policylayer schema`.
// `x-expected` is an annotation of ours: the words an error message uses for what a field must be.

const categories = ["read", "write", "execute", "destructive", "financial"];
const risks = ["low", "medium", "high", "critical"];

/** A single string, or a non-empty list of them; the `if` picks the branch so errors come from one. */
function oneOrList(item: Record<string, unknown>, description: string, expected: string) {
  return {
    description,
    "x-expected": expected,
    if: { type: "array" },
    // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keyword; these objects are never awaited
    then: {
      type: "array",
      minItems: 1,
      items: item,
      "x-expected": `a non-empty list of ${item["x-plural"]}`,
    },
    else: { ...item, "x-expected": expected },
  };
}

function listedValue(values: string[]): string {
  return `${values.slice(0, -1).join(", ")} or ${values[values.length - 1]}`;
}

const toolPattern = {
  type: "string",
  minLength: 1,
  description: "A tool name, or a glob where * matches any run of characters and ? one character.",
  "x-expected": "a tool name or a glob such as delete_*",
  "x-plural": "tool names or globs",
};

const categoryValue = {
  enum: categories,
  description: "A classification category.",
  "x-expected": listedValue(categories),
  "x-plural": `categories (${listedValue(categories)})`,
};

const riskValue = {
  enum: risks,
  description: "A risk level.",
  "x-expected": listedValue(risks),
  "x-plural": `risk levels (${listedValue(risks)})`,
};

/** One `if op is X then value must be Y` branch per operator, so the error names the operator. */
function valueFor(
  ops: string[],
  value: Record<string, unknown>,
  expected: (op: string) => string,
  required: boolean,
) {
  return ops.map((op) => ({
    if: { properties: { op: { const: op } }, required: ["op"] },
    // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keyword; these objects are never awaited
    then: {
      properties: { value: { ...value, "x-expected": expected(op) } },
      ...(required ? { required: ["value"] } : {}),
    },
  }));
}

const condition = {
  type: "object",
  description: "A condition on the call; a path that is absent matches no operator except exists.",
  "x-expected": "a mapping with path, op and value",
  additionalProperties: false,
  required: ["path", "op"],
  properties: {
    path: {
      type: "string",
      pattern: "^(tool|args(\\.[^.]+)*)$",
      description:
        "What to test: `tool` (the tool name), `args` (all arguments) or `args.a.b.0` (dots; a number indexes a list).",
      "x-expected": "tool, args or a dotted path under args such as args.operation",
    },
    op: {
      enum: [
        "eq",
        "neq",
        "in",
        "not_in",
        "lt",
        "lte",
        "gt",
        "gte",
        "regex",
        "glob",
        "contains",
        "starts_with",
        "path_within",
        "path_outside",
        "exists",
      ],
      description:
        "eq/neq: deep equality; in/not_in: one of a list; lt/lte/gt/gte: numbers; regex: unanchored JS regex on a string; glob: * and ? on a string; contains: substring or list element; starts_with: string prefix; path_within/path_outside: a path that leads inside (outside) folders, after ~, relative paths, . and .. and symlinks are resolved; exists: the path is present (value true) or absent (value false).",
      "x-expected":
        "one of eq, neq, in, not_in, lt, lte, gt, gte, regex, glob, contains, starts_with, path_within, path_outside, exists",
    },
    value: {
      description:
        "What to compare with: any value for eq, neq and contains; a list for in and not_in; a number for lt, lte, gt and gte; a string for regex, glob and starts_with; a folder or a list of folders for path_within and path_outside; true or false for exists (default true).",
    },
  },
  allOf: [
    ...valueFor(["eq", "neq", "contains"], {}, (op) => `the value to compare with for op ${op}`, true),
    ...valueFor(["in", "not_in"], { type: "array" }, (op) => `a list of values for op ${op}`, true),
    ...valueFor(["lt", "lte", "gt", "gte"], { type: "number" }, (op) => `a number for op ${op}`, true),
    ...valueFor(
      ["regex", "glob", "starts_with"],
      { type: "string", minLength: 1 },
      (op) => `a non-empty string for op ${op}`,
      true,
    ),
    ...valueFor(
      ["path_within", "path_outside"],
      {
        oneOf: [
          { type: "string", minLength: 1 },
          { type: "array", minItems: 1, items: { type: "string", minLength: 1 } },
        ],
      },
      (op) => `a folder or a non-empty list of folders for op ${op}`,
      true,
    ),
    ...valueFor(["exists"], { type: "boolean" }, () => "true or false for op exists", false),
  ],
};

const windowSeconds = {
  type: "number",
  exclusiveMinimum: 0,
  description: "The sliding window's length in seconds, at most 31536000 (a year).",
  "x-expected": "a positive number of seconds",
};

const scopes = ["session", "server", "global"];

/** Who shares a limit's counts; `fallback` is the default when the key is left out. */
function limitScope(fallback: string) {
  return {
    enum: scopes,
    description: `Who shares the counts: session (this one client connection, kept inside the wrap process), server (every session of this server that uses the same state store), global (every wrap on the store, whatever server it fronts). Default ${fallback}.`,
    "x-expected": listedValue(scopes),
  };
}

const rule = {
  type: "object",
  description:
    "A rule: its matchers (tool, category, risk, when) must all hold; a rule with none matches every call.",
  "x-expected": "a mapping with an action and optional id, tool, category, risk, when, rate_limit and budget",
  additionalProperties: false,
  required: ["action"],
  properties: {
    tool: oneOrList(
      toolPattern,
      "The tools the rule applies to: a name or glob, or a list of them. Case-sensitive; * crosses . - and /.",
      "a tool name or glob, or a non-empty list of them",
    ),
    category: oneOrList(
      categoryValue,
      "The call's classification category, or a list of categories, the rule applies to.",
      `${listedValue(categories)}, or a non-empty list of them`,
    ),
    risk: oneOrList(
      riskValue,
      "The call's risk level, or a list of levels, the rule applies to.",
      `${listedValue(risks)}, or a non-empty list of them`,
    ),
    when: {
      type: "array",
      items: condition,
      description: "Conditions on the call's name and arguments; all must hold.",
      "x-expected": "a list of conditions {path, op, value}",
    },
    action: {
      enum: ["allow", "deny", "require_approval"],
      description: "What to do with a matching call.",
      "x-expected": "allow, deny or require_approval",
    },
    reason: {
      type: "string",
      minLength: 1,
      description: "A sentence shown to the agent and written to the audit log when this rule decides.",
      "x-expected": "a non-empty string",
    },
    hide: {
      type: "boolean",
      description:
        "Also remove matching tools from tools/list. Only with action deny and no `when`; with category or risk it hides tools whose own classification matches.",
      "x-expected": "true or false",
    },
    id: {
      type: "string",
      pattern: "^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$",
      description:
        "The rule's identity for its counts (rate_limit, budget). Without it, the identity is a hash of what the rule matches and its limit blocks, so editing max starts new counts; with it, counts survive any edit and a new max applies to them. Unique in the policy.",
      "x-expected": "a name of letters, digits, _ . - (up to 64, starting with a letter or digit)",
    },
    rate_limit: {
      type: "object",
      description:
        "At most `max` calls in any `window` seconds (a sliding window), counted per `scope`. Only with allow or require_approval.",
      "x-expected": "a mapping {max, window, scope}",
      additionalProperties: false,
      required: ["max", "window"],
      properties: {
        max: {
          type: "integer",
          minimum: 1,
          description: "How many calls the window lets through (at most 1000000000).",
          "x-expected": "a positive whole number of calls",
        },
        window: windowSeconds,
        scope: limitScope("session"),
      },
    },
    budget: {
      type: "object",
      description:
        "Caps the sum of a numeric argument over a sliding window: a call passes while the amounts of the calls in the last `window` seconds, its own included, add up to at most `max`. A call whose amount is missing, not a number, negative, not finite or over 1e15 is denied. Only with allow or require_approval.",
      "x-expected": "a mapping {sum, max, window, scope}",
      additionalProperties: false,
      required: ["sum", "max", "window"],
      properties: {
        sum: {
          type: "string",
          pattern: "^args(\\.[^.]+)+$",
          description:
            "The argument whose values are added up: `args.amount`, or a dotted path under args (a number indexes a list).",
          "x-expected": "a dotted path under args such as args.amount",
        },
        max: {
          type: "number",
          minimum: 0,
          description: "The most the amounts may add up to in any window (inclusive), at most 1e15.",
          "x-expected": "a number from 0 on",
        },
        window: windowSeconds,
        scope: limitScope("server"),
      },
    },
    approval: {
      type: "object",
      description: "How approval is asked for. Only with require_approval.",
      "x-expected": "a mapping {timeout}",
      additionalProperties: false,
      properties: {
        timeout: {
          type: "number",
          exclusiveMinimum: 0,
          description: "Seconds to wait for a person's answer before the call is denied.",
          "x-expected": "a positive number of seconds",
        },
      },
    },
  },
};

/** The JSON Schema (draft-07) of a version 1 policy file. */
export const policySchema = {
  $schema: "http://json-schema.org/draft-07/schema#",
  $id: "https://policylayer.dev/schema/policy-v1.json",
  title: "policylayer policy, version 1",
  description: "Decides every MCP tools/call: rules are tried in order and the first that matches decides.",
  type: "object",
  "x-expected": "a mapping with version, default and rules",
  additionalProperties: false,
  required: ["version", "default"],
  properties: {
    version: {
      const: 1,
      description: "The policy format's version; always 1.",
      "x-expected": "1",
    },
    mode: {
      enum: ["enforce", "monitor"],
      description: "enforce applies decisions; monitor decides and audits but lets every call through.",
      "x-expected": "enforce or monitor",
    },
    default: {
      enum: ["allow", "deny"],
      description: "The action for calls that no rule matches.",
      "x-expected": "allow or deny",
    },
    classify: {
      type: "object",
      description: "A category per tool name, overriding automatic classification of that tool.",
      "x-expected": "a mapping from tool name to category",
      propertyNames: { minLength: 1 },
      additionalProperties: categoryValue,
    },
    allow_undeclared_arguments: oneOrList(
      toolPattern,
      "Tools (names or globs) whose calls may carry arguments that the tool's inputSchema does not declare. By default such a call is refused before the server sees it: a key the schema does not list can still reach a field (pydantic takes a field's own name beside its alias) past every condition.",
      "a tool name or glob, or a non-empty list of them",
    ),
    audit: {
      type: "object",
      description: "Where and how decisions are written as JSON lines.",
      "x-expected": "a mapping {path, include_arguments}",
      additionalProperties: false,
      properties: {
        path: {
          type: "string",
          minLength: 1,
          description: "The audit file, relative to the policy file's folder.",
          "x-expected": "a file path",
        },
        include_arguments: {
          type: "boolean",
          description:
            "Write each call's arguments into the audit log (they may hold secrets). Default false.",
          "x-expected": "true or false",
        },
      },
    },
    state: {
      type: "object",
      description:
        "Where counts of server and global scope live (rate_limit and budget). Session scope is always counted inside the wrap.",
      "x-expected": "a mapping {store, url, key_prefix, on_unavailable}",
      additionalProperties: false,
      properties: {
        store: {
          enum: ["local", "redis"],
          description:
            "local (default): a database in the state directory ($POLICYLAYER_STATE_DIR, else $XDG_STATE_HOME/policylayer), shared by every wrap of this user on this machine. redis: a Redis server, shared by every wrap that points at it.",
          "x-expected": "local or redis",
        },
        url: {
          type: "string",
          pattern: "^rediss?://",
          description:
            "For store redis: redis://[user:password@]host:port/db, or rediss:// for TLS; @ : / ? # % in a user name or password percent-encoded, db a number the server has, no ?options. $POLICYLAYER_REDIS_URL overrides it. Default redis://127.0.0.1:6379/0.",
          "x-expected": "a redis:// or rediss:// URL",
        },
        key_prefix: {
          type: "string",
          minLength: 1,
          maxLength: 100,
          // Redis Cluster hashes the text between a key's first { and the } after it, or the whole key when that
          // text is empty: an unclosed { or an empty {} here would split one call's keys across slots.
          pattern: "^[^{]*(\\{[^}]+\\}[\\s\\S]*)?$",
          description:
            'Every key policylayer writes starts with this, so several teams or environments can share one Redis. Default "policylayer:". A { in it must be closed by a }, with something between them (Redis Cluster hash tags).',
          "x-expected":
            "a non-empty string of at most 100 characters, with no { left unclosed and no empty {}",
        },
        on_unavailable: {
          enum: ["deny", "allow"],
          description:
            "What a call limited by a server or global count meets when the store cannot be reached: deny (default) denies it, saying so; allow lets it through uncounted (its audit line says so).",
          "x-expected": "deny or allow",
        },
      },
    },
    server: {
      type: "string",
      minLength: 1,
      maxLength: 200,
      description:
        "This server's name in shared counts (scope server and session). Default: the server's command line, as the audit log writes it.",
      "x-expected": "a non-empty name of at most 200 characters",
    },
    rules: {
      type: "array",
      items: rule,
      description: "Rules in order; the first that matches a call decides it.",
      "x-expected": "a list of rules",
    },
  },
} as const;
