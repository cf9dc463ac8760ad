import type { Category } from "./types.js";

// The verb lexicon: words that say what a tool does, by category. Words are matched whole and
// lower-case; descriptions also match simple inflections (deletes, creates, retries).
// biome-ignore format: word lists read better packed
const READ_VERBS = [
  "get", "list", "read", "describe", "show", "view", "search", "find", "fetch", "retrieve", "lookup", "look",
  "check", "inspect", "count", "status", "info", "stat", "stats", "cat", "ls", "diff", "log", "logs",
  "history", "preview", "download", "export", "watch", "monitor", "explain", "analyze", "analyse",
  "summarize", "compare", "validate", "verify", "ping", "echo", "open", "navigate", "screenshot", "snapshot",
  "scrape", "crawl", "extract", "browse", "whoami", "tree", "grep", "glob", "locate", "discover", "explore",
  "scan", "estimate", "calculate", "compute", "parse", "lint", "peek", "poll", "wait", "sum", "identify",
  "recall", "hover", "suggest", "recommend", "convert", "translate", "render", "generate", "load", "print",
  "capture", "visualize", "detect", "resolve", "return", "simulate", "decompile", "disassemble", "reveal",
  "quote",
];
// biome-ignore format: word lists read better packed
const WRITE_VERBS = [
  "create", "add", "update", "edit", "set", "put", "post", "insert", "upsert", "save", "write", "send",
  "reply", "comment", "append", "patch", "modify", "change", "rename", "move", "copy", "upload", "import",
  "tag", "label", "assign", "unassign", "link", "attach", "detach", "merge", "commit", "push", "pull",
  "fork", "clone", "star", "unstar", "follow", "unfollow", "invite", "enable", "disable", "toggle",
  "configure", "register", "schedule", "approve", "reject", "publish", "close", "reopen", "lock", "unlock",
  "pin", "unpin", "archive", "restore", "apply", "scale", "deploy", "install", "stop", "restart", "reboot",
  "pause", "resume", "mark", "react", "notify", "share", "grant", "fill", "type", "press", "click", "drag",
  "submit", "request", "transition", "init", "initialize", "provision", "sync", "refresh",
  "reload", "rotate", "cancel", "accept", "decline", "dismiss", "snooze", "transfer", "annotate", "bookmark",
  "claim", "enqueue", "replace", "revert", "rollback", "undo", "promote", "demote", "migrate", "store",
  "remember", "record", "track", "note", "flag", "finalize", "make", "select", "resize", "checkout", "switch", "stage", "unstage", "cordon",
  "uncordon", "upgrade", "downgrade", "mute", "unmute", "subscribe", "unsubscribe", "tweet",
  "email", "message",
];
// biome-ignore format: word lists read better packed
const EXECUTE_VERBS = [
  "run", "rerun", "execute", "exec", "eval", "evaluate", "invoke", "call", "trigger", "spawn", "launch",
  "start", "shell", "bash", "sh", "compile", "build", "query", "test", "interpret", "script", "dispatch",
  "retry", "automate",
];
// biome-ignore format: word lists read better packed
const DESTRUCTIVE_VERBS = [
  "delete", "remove", "rm", "del", "destroy", "drop", "purge", "erase", "wipe", "truncate", "terminate",
  "kill", "uninstall", "clear", "prune", "evict", "cleanup", "flush", "shred", "discard", "overwrite",
  "expunge", "nuke", "decommission", "teardown", "trash", "drain", "reset", "unpublish", "deregister",
  "unregister", "revoke", "empty", "pop", "trim",
];
// biome-ignore format: word lists read better packed
const FINANCIAL_VERBS = [
  "pay", "charge", "refund", "purchase", "buy", "sell", "invoice", "bill", "withdraw", "deposit", "payout",
  "tip", "donate", "void", "settle", "remit", "trade", "swap", "exercise", "stake", "mint", "burn", "redeem",
];

// Write verbs too, at least: a tool that manages things changes them.
const MULTIPLEXER_WORDS = ["manage", "handle", "perform", "operate", "administer", "control"];

function lexicon(): ReadonlyMap<string, Category> {
  const byWord = new Map<string, Category>();
  const groups: [readonly string[], Category][] = [
    [READ_VERBS, "read"],
    [WRITE_VERBS, "write"],
    [MULTIPLEXER_WORDS, "write"],
    [EXECUTE_VERBS, "execute"],
    [DESTRUCTIVE_VERBS, "destructive"],
    [FINANCIAL_VERBS, "financial"],
  ];
  for (const [words, category] of groups) for (const word of words) byWord.set(word, category);
  return byWord;
}

/** Verb → category. */
export const VERBS: ReadonlyMap<string, Category> = lexicon();

/** Verbs that say a tool does many things (manage_x): the description must tell which. */
export const MULTIPLEXER_VERBS: ReadonlySet<string> = new Set(MULTIPLEXER_WORDS);

/** HTTP methods that name tools generated from an API description; a verb after them says more. */
export const HTTP_METHOD_WORDS: ReadonlySet<string> = new Set(["post", "put", "patch"]);

/** Words joining two actions in one name (create_or_update, search_and_replace). */
export const CONNECTOR_WORDS: ReadonlySet<string> = new Set(["and", "or", "then"]);

/** Nouns that make a changing action financial (create_invoice, cancel_subscription). */
// biome-ignore format: word lists read better packed
export const FINANCIAL_NOUNS: ReadonlySet<string> = new Set([
  "payment", "payments", "invoice", "invoices", "refund", "refunds", "charge", "charges", "payout",
  "payouts", "money", "funds", "fund", "subscription", "subscriptions", "billing", "transaction",
  "transactions", "wallet", "dispute", "disputes", "checkout", "order", "orders", "settlement",
  "settlements", "purchase", "purchases",
]);

/**
 * Nouns that make a changing action financial when a verb of a description's first sentence acts on
 * them ("Create a transaction to issue a token", "accept UPI payments"). Narrower than FINANCIAL_NOUNS:
 * in prose "order" and "charge" mostly mean other things ("in order to", "free of charge"), and
 * wallets are often only grouped or renamed.
 */
// biome-ignore format: word lists read better packed
export const DESCRIPTION_FINANCIAL_NOUNS: ReadonlySet<string> = new Set([
  "payment", "payments", "invoice", "invoices", "refund", "refunds", "payout", "payouts", "money", "funds",
  "billing", "transaction", "transactions", "settlement", "settlements", "purchase", "purchases",
]);

/**
 * Financial verbs that also name a thing; leading a name that has a later verb they are the thing
 * (purchase_get gets a purchase, charge_create creates a charge).
 */
// biome-ignore format: word lists read better packed
export const FINANCIAL_VERBS_AS_NOUNS: ReadonlySet<string> = new Set([
  "purchase", "charge", "refund", "invoice", "bill", "deposit", "payout", "trade", "swap", "tip", "stake",
]);

/** Read verbs whose object decides: capturing a screenshot reads, capturing a payment moves money. */
export const OBJECT_DEPENDENT_READ_VERBS: ReadonlySet<string> = new Set(["capture"]);

/** What a query reads when it is about these: metrics, logs, traces and search indexes change nothing. */
// biome-ignore format: word lists read better packed
export const READ_QUERY_SUBJECTS: ReadonlySet<string> = new Set([
  "metric", "metrics", "promql", "prometheus", "log", "logs", "logql", "loki", "cloudwatch", "trace",
  "traces", "tempo", "index", "indices", "indexes", "elasticsearch", "opensearch", "search", "splunk",
  "datadog", "telemetry", "insights", "stats", "statistics",
]);

/** Words in a query tool's text that say the query language can change data. */
// biome-ignore format: word lists read better packed
export const DATA_QUERY_LANGUAGES: ReadonlySet<string> = new Set([
  "sql", "cypher", "graphql", "mutation", "dml", "ddl", "sparql",
]);

/** Property names whose free-text value is code or a command to run. */
// biome-ignore format: word lists read better packed
const EXECUTE_PROPERTIES: ReadonlySet<string> = new Set([
  "sql", "code", "command", "cmd", "script", "javascript", "js", "python", "shell", "bash", "statement",
]);

// Words after a code word that still name code (sql_list, sql_statements, script_body), and code
// words that name code after a qualifier (cli_command, raw_sql). "code" and "statement" alone lead:
// country_code and bank_statement are not code.
// biome-ignore format: word lists read better packed
const CODE_CONTAINER_WORDS: ReadonlySet<string> = new Set([
  "list", "statement", "statements", "text", "body", "string", "strings", "query", "queries", "block",
  "snippet", "line", "lines", "array", "to", "run",
]);
// biome-ignore format: word lists read better packed
const CODE_SUFFIX_WORDS: ReadonlySet<string> = new Set([
  "sql", "command", "commands", "cmd", "script", "scripts", "javascript", "python", "shell", "bash",
]);

/** Whether a property name, split into words, names code or a command to run: sql, sql_list, cli_command. */
export function isCodePropertyName(words: readonly string[]): boolean {
  const [first = "", ...rest] = words;
  if (EXECUTE_PROPERTIES.has(first) && rest.every((word) => CODE_CONTAINER_WORDS.has(word))) return true;
  return rest.length > 0 && CODE_SUFFIX_WORDS.has(rest[rest.length - 1] ?? "");
}

/** Property names that carry an amount of money, or of shares to trade (qty). */
// biome-ignore format: word lists read better packed
export const FINANCIAL_PROPERTIES: ReadonlySet<string> = new Set([
  "amount", "currency", "payment", "payment_method", "paymentmethod", "amount_cents", "unit_amount",
  "qty", "lamports", "amountwei", "amount_wei",
]);

/** Property names that carry a filesystem path. */
// biome-ignore format: word lists read better packed
export const PATH_PROPERTIES: ReadonlySet<string> = new Set([
  "path", "paths", "file", "filepath", "file_path", "filename", "file_name", "directory", "dir", "source",
  "destination", "params_file",
]);

/** Argument names that commonly select an action among several (operation: delete). */
// biome-ignore format: word lists read better packed
export const SELECTOR_ARGUMENTS: ReadonlySet<string> = new Set([
  "operation", "action", "command", "method", "mode", "op", "verb", "type", "subcommand", "cmd", "task",
  "action_type", "operation_type",
]);

/** Phrases in a description that mark an irreversible effect. */
// biome-ignore format: word lists read better packed
export const DESTRUCTIVE_PHRASES: readonly string[] = [
  "overwrite", "permanently", "irreversib", "cannot be undone", "can't be undone", "will be lost",
];

/** Phrases in a description that say a query or job does not change anything. */
// biome-ignore format: word lists read better packed
export const READ_ONLY_PHRASES: readonly string[] = [
  "read-only", "read only", "readonly", "without modifying", "does not modify", "select query",
  "select statement", "no side effects",
];

/** The category of a word, trying simple inflections (deletes, creates, retries, running). */
export function verbCategory(
  word: string,
  inflected: boolean,
): { verb: string; category: Category } | undefined {
  const exact = VERBS.get(word);
  if (exact !== undefined) return { verb: word, category: exact };
  if (!inflected) return undefined;
  const stems: string[] = [];
  if (word.endsWith("ies")) stems.push(`${word.slice(0, -3)}y`);
  if (word.endsWith("es")) stems.push(word.slice(0, -2));
  if (word.endsWith("s")) stems.push(word.slice(0, -1));
  for (const stem of stems) {
    const category = VERBS.get(stem);
    if (category !== undefined) return { verb: stem, category };
  }
  return undefined;
}
