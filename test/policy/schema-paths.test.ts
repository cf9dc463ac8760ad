import { describe, expect, it } from "vitest";
import { schemaPathProblems } from "../../src/cli/validate.js";
import { describesAPath, schemaPathSignal } from "../../src/policy/schema-paths.js";
import { policyFrom } from "./helpers.js";

describe("which descriptions say a value is a path", () => {
  it("reads a leading noun phrase that names a path as one", () => {
    for (const text of [
      "Path to the file to archive",
      "The path of the file",
      "Absolute path to the directory",
      "Absolute or relative path",
      "Working directory for the command",
      "The directory to list",
      "File or folder to delete",
      "Output file",
      "A file path.",
      "Source file path (must exist)",
      "The file's path",
      "Paths",
      "Path relative to the workspace root",
    ])
      expect(describesAPath(text), text).toBe(true);
  });

  it("does not read other things a description mentions files in as paths", () => {
    for (const text of [
      "The content to write to the file",
      "File content to write",
      "Name of the output file",
      "Number of files to return",
      "URL of the file",
      "URL path of the page",
      "URL or data URI of the file content to compress",
      "JSON path to the value",
      "Key path in the document",
      "Glob pattern for files",
      "File extension to filter by",
      "Whether to overwrite the file",
      "Read the contents of the file at this path and summarize the sections that mention a path",
      "",
    ])
      expect(describesAPath(text), text).toBe(false);
  });
});

describe("what a tool's inputSchema says about the argument at a condition's path", () => {
  it("a pydantic Path (format path), through $ref and `*` into a list of models", () => {
    const schema = {
      type: "object",
      $defs: {
        Entry: {
          type: "object",
          properties: { location: { type: "string", format: "path" }, label: { type: "string" } },
        },
      },
      properties: { entries: { type: "array", items: { $ref: "#/$defs/Entry" } } },
    };
    expect(schemaPathSignal(schema, "args.entries.*.location")).toEqual({
      keyword: "format",
      text: "path",
      ofList: false,
    });
    expect(schemaPathSignal(schema, "args.entries.0.location")?.keyword).toBe("format");
    expect(schemaPathSignal(schema, "args.entries.*.label")).toBeNull();
    expect(schemaPathSignal(schema, "args.entries")).toBeNull();
  });

  it("an Optional argument (anyOf with null) keeps the title and description of its outer schema", () => {
    const schema = {
      properties: {
        origin: {
          anyOf: [{ type: "string" }, { type: "null" }],
          title: "Origin",
          description: "Directory to restore into",
        },
      },
    };
    expect(schemaPathSignal(schema, "args.origin")).toEqual({
      keyword: "description",
      text: "Directory to restore into",
      ofList: false,
    });
  });

  it("the elements of a list described as paths are paths; the list itself and its objects are not", () => {
    const schema = {
      properties: {
        targets: { type: "array", items: { type: "string" }, description: "Array of file paths to read" },
        uploads: { type: "array", items: { type: "object" }, description: "Files to upload" },
      },
    };
    expect(schemaPathSignal(schema, "args.targets.*")).toEqual({
      keyword: "description",
      text: "Array of file paths to read",
      ofList: true,
    });
    expect(schemaPathSignal(schema, "args.targets")).toBeNull();
    expect(schemaPathSignal(schema, "args.uploads.*")).toBeNull();
  });

  it("a place that cannot hold a string, a URI format and an undeclared argument are not paths", () => {
    const schema = {
      properties: {
        count: { type: "integer", description: "File count" },
        link: { type: "string", format: "uri", description: "Location" },
      },
    };
    expect(schemaPathSignal(schema, "args.count")).toBeNull();
    expect(schemaPathSignal(schema, "args.link")).toBeNull();
    expect(schemaPathSignal(schema, "args.other")).toBeNull();
    expect(schemaPathSignal(schema, "tool")).toBeNull();
    expect(schemaPathSignal(null, "args.link")).toBeNull();
  });

  it("an undeclared key of an object whose additionalProperties is a path", () => {
    const schema = {
      properties: { mounts: { type: "object", additionalProperties: { format: "directory-path" } } },
    };
    expect(schemaPathSignal(schema, "args.mounts.data")?.text).toBe("directory-path");
    expect(schemaPathSignal(schema, "args.mounts.*")?.text).toBe("directory-path");
  });

  it("ends on a schema whose references loop and whose unions are wide", () => {
    const wide = Array.from({ length: 5000 }, () => ({ $ref: "#" }));
    const schema = {
      $ref: "#/$defs/a",
      $defs: { a: { $ref: "#/$defs/b" }, b: { $ref: "#/$defs/a", anyOf: wide } },
    };
    expect(schemaPathSignal(schema, "args.x.*.*.*.*.*.*.*.*.y")).toBeNull();
  });
});

describe("validate's warnings from the server's schemas", () => {
  const tools = [
    {
      name: "archive",
      inputSchema: { properties: { target: { type: "string", description: "Path to the file" } } },
    },
    { name: "unpack", inputSchema: { properties: { target: { type: "string", format: "path" } } } },
    { name: "note", inputSchema: { properties: { target: { type: "string", description: "A note" } } } },
  ];

  it("warns for each tool the rule applies to whose schema says path, and not where the name already warns", () => {
    const policy = policyFrom(
      [
        "version: 1",
        "default: allow",
        "rules:",
        "  - when: [{ path: args.target, op: starts_with, value: /srv/ }]",
        "    action: allow",
        "  - tool: note",
        "    when: [{ path: args.target, op: regex, value: ^/srv/ }]",
        "    action: allow",
        "  - tool: archive",
        "    when: [{ path: args.target, op: path_within, value: /srv }, { path: args.file, op: glob, value: /srv/* }]",
        "    action: allow",
        "",
      ].join("\n"),
    );
    const problems = schemaPathProblems(policy, tools);
    expect(problems).toHaveLength(1);
    expect(problems[0]?.path).toEqual(["rules", 0, "when", 0, "op"]);
    expect(problems[0]?.message).toContain(
      `(archive: description "Path to the file"; unpack: format "path")`,
    );
  });
});
