import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CORE_SCHEMA, load } from "js-yaml";
import { describe, expect, it } from "vitest";
import { placed, placedByYaml } from "../../src/policy/load.js";
import { yamlPositions } from "../../src/policy/positions.js";
import type { SemanticProblem } from "../../src/policy/semantics.js";

const root = join(import.meta.dirname, "..", "..");

/** Every path of a parsed document, as a finding at the value and (for mapping members) at the key. */
function everyPath(value: unknown, path: (string | number)[] = []): SemanticProblem[] {
  const here: SemanticProblem[] = [{ path, atKey: false, message: "here" }];
  if (path.length > 0 && typeof path.at(-1) === "string") here.push({ path, atKey: true, message: "key" });
  if (Array.isArray(value)) return [...here, ...value.flatMap((item, i) => everyPath(item, [...path, i]))];
  if (typeof value === "object" && value !== null)
    return [...here, ...Object.entries(value).flatMap(([key, item]) => everyPath(item, [...path, key]))];
  return here;
}

/** Documents in the styles policies are written in: block and flow, quoted, commented, empty values, CRLF. */
const STYLES = [
  "version: 1\ndefault: deny\nrules:\n  - tool: x\n    action: deny\n",
  '# a comment\nversion: 1   # trailing\n\ndefault: allow\nrules:\n\n  # between\n  - tool: [a, \'b\', "c"]\n    when:\n      - { path: args.path, op: starts_with, value: /etc }\n      - path: "args.x"\n        op: eq\n        value:\n    action: deny\n',
  "version: 1\r\ndefault: deny\r\nrules:\r\n  - tool: x\r\n    reason: |\r\n      two\r\n      lines\r\n    action: deny\r\n",
  '{"version": 1, "default": "deny", "rules": [{"tool": "x", "action": "deny", "when": [{"path": "args.path", "op": "regex", "value": "^/a"}]}]}\n',
  "version: 1\ndefault: deny\nrules:\n- tool: x\n  action: deny\n- category:\n  - read\n  - write\n  action: allow\n",
  "version: 1\ndefault: deny\nrules:\n  - tool: >-\n      folded\n    action: deny\n  - {tool: y, action: allow}\n",
];

function documents(): [string, string][] {
  const files: [string, string][] = [];
  for (const folder of ["examples", "test/fixtures/policies/valid"]) {
    for (const name of readdirSync(join(root, folder))) {
      if (name.endsWith(".yaml")) files.push([name, readFileSync(join(root, folder, name), "utf8")]);
    }
  }
  files.push(["bench/policy.yaml", readFileSync(join(root, "bench", "policy.yaml"), "utf8")]);
  for (const [i, text] of STYLES.entries()) files.push([`style ${i}`, text]);
  return files;
}

describe("placing warnings without the yaml library", () => {
  it("places every node of every sample document where the yaml library places it", () => {
    for (const [name, text] of documents()) {
      const problems = everyPath(load(text, { schema: CORE_SCHEMA }));
      expect(yamlPositions(text), `${name} can be followed`).not.toBeNull();
      expect(placed(text, name, problems), name).toEqual(placedByYaml(text, name, problems));
    }
  });

  it("leaves anchors, aliases, tags and a byte-order mark to the yaml library, with the same places", () => {
    const texts = [
      "version: 1\ndefault: &d deny\nrules:\n  - tool: x\n    action: *d\n",
      "version: !!int 1\ndefault: deny\n",
      "\ufeffversion: 1\ndefault: deny\n",
      "? version\n: 1\ndefault: deny\n",
    ];
    for (const text of texts) {
      expect(yamlPositions(text), JSON.stringify(text)).toBeNull();
      const problems = everyPath(load(text, { schema: CORE_SCHEMA }));
      expect(placed(text, "p.yaml", problems)).toEqual(placedByYaml(text, "p.yaml", problems));
    }
  });
});
