import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { profileToolList } from "../../src/classify/index.js";
import type { Category, ToolProfile } from "../../src/classify/types.js";
import { listLiveTools } from "./live-server.js";

type Expectation = [tool: string, category: Category, reason: string];

const FILESYSTEM: Expectation[] = [
  ["read_file", "read", "returns a file's contents (deprecated alias of read_text_file)"],
  ["read_text_file", "read", "returns a file's contents"],
  ["read_media_file", "read", "returns a file as base64"],
  ["read_multiple_files", "read", "returns several files' contents"],
  ["write_file", "destructive", "overwrites an existing file without asking"],
  ["edit_file", "destructive", "rewrites lines in place with no undo; the server marks it destructive"],
  ["create_directory", "write", "creates directories, never removes; destructiveHint: false"],
  ["list_directory", "read", "lists a directory"],
  ["list_directory_with_sizes", "read", "lists a directory with sizes"],
  ["directory_tree", "read", "returns a tree of names"],
  ["move_file", "destructive", "the source path disappears; the server marks it destructive"],
  ["search_files", "read", "finds paths by pattern"],
  ["get_file_info", "read", "returns metadata"],
  ["list_allowed_directories", "read", "returns the server's configuration"],
];

const MEMORY: Expectation[] = [
  ["create_entities", "write", "adds entities to the graph"],
  ["create_relations", "write", "adds relations to the graph"],
  ["add_observations", "write", "appends observations"],
  ["delete_entities", "destructive", "removes entities and their relations for good"],
  ["delete_observations", "destructive", "removes observations for good"],
  ["delete_relations", "destructive", "removes relations for good"],
  ["read_graph", "read", "returns the whole graph"],
  ["search_nodes", "read", "searches the graph"],
  ["open_nodes", "read", "returns named nodes"],
];

const EVERYTHING: Expectation[] = [
  ["echo", "read", "returns its input"],
  ["get-annotated-message", "read", "returns a sample message"],
  ["get-env", "read", "returns environment variables (sensitive, but reading)"],
  ["get-resource-links", "read", "returns links"],
  ["get-resource-reference", "read", "returns a reference"],
  ["get-structured-content", "read", "returns sample data"],
  ["get-sum", "read", "adds two numbers"],
  ["get-tiny-image", "read", "returns an image"],
  ["gzip-file-as-resource", "write", "creates a session resource; readOnlyHint false, destructiveHint false"],
  ["toggle-simulated-logging", "write", "switches server state on or off"],
  ["toggle-subscriber-updates", "write", "switches server state on or off"],
  ["trigger-long-running-operation", "read", "only sleeps and reports progress; the server says read-only"],
  [
    "simulate-research-query",
    "write",
    "may ask the user and changes session state; not read-only, not destructive",
  ],
];

function tableTests(label: string, expectations: Expectation[], start: () => Promise<unknown[]>): void {
  describe(label, () => {
    let profiles = new Map<string, ToolProfile>();
    beforeAll(async () => {
      profiles = profileToolList({ tools: await start() });
    });

    it("lists no tool this table does not know", () => {
      const known = new Set(expectations.map(([tool]) => tool));
      expect([...profiles.keys()].filter((tool) => !known.has(tool))).toEqual([]);
    });

    it.each(expectations)("%s is %s: %s", (tool, category) => {
      const profile = profiles.get(tool);
      expect(profile, `${tool} was not listed`).toBeDefined();
      expect(profile?.classification.category, profile?.classification.signals.join("; ")).toBe(category);
    });
  });
}

const serverEntry = (name: string): string => `node_modules/@modelcontextprotocol/${name}/dist/index.js`;

const sandbox = mkdtempSync(join(tmpdir(), "policylayer-classify-"));
afterAll(() => rmSync(sandbox, { recursive: true, force: true }));

tableTests("server-filesystem (live)", FILESYSTEM, () =>
  listLiveTools("node", [serverEntry("server-filesystem"), sandbox]),
);
tableTests("server-memory (live)", MEMORY, () => listLiveTools("node", [serverEntry("server-memory")]));
tableTests("server-everything (live)", EVERYTHING, () =>
  listLiveTools("node", [serverEntry("server-everything"), "stdio"]),
);
