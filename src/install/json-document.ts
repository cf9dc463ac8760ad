// JSON and JSON-with-comments config files, edited as text: jsonc-parser (the parser VS Code uses)
// gives every value's offset and length, so an edit replaces exactly one value's characters and
// everything else (key order, indentation, comments, line endings) stays byte for byte.
import { getNodeValue, type Node, type ParseError, parseTree, printParseErrorCode } from "jsonc-parser";
import type { ContainerPath } from "./clients.js";
import {
  type ArrayItem,
  type ConfigDocument,
  type ConfigEntry,
  ConfigParseError,
  EditRefused,
  entryKey,
  indentationAt,
  keepTailEdit,
  lineColumn,
  lineEnding,
  spelledAsBefore,
  type TextEdit,
} from "./document.js";

const BOM = "\uFEFF";

/** The members of an object node as [key, value node, property node], in file order. */
function members(object: Node): [string, Node, Node][] {
  const out: [string, Node, Node][] = [];
  for (const property of object.children ?? []) {
    const [keyNode, valueNode] = property.children ?? [];
    if (keyNode === undefined || valueNode === undefined || typeof keyNode.value !== "string") continue;
    out.push([keyNode.value, valueNode, property]);
  }
  return out;
}

/** A JSON string literal; non-ASCII characters stay as they are (JSON.stringify escapes only what it must). */
function jsonString(value: string): string {
  return JSON.stringify(value);
}

class JsonDocument implements ConfigDocument {
  readonly data: unknown;
  private readonly nodes = new Map<string, Node>();

  constructor(
    private readonly file: string,
    readonly text: string,
    private readonly root: Node,
    /** Offsets in the tree start after a byte-order mark; this is added back for the file's text. */
    private readonly base: number,
  ) {
    this.data = getNodeValue(root);
  }

  private fail(offset: number, problem: string): never {
    const { line, column } = lineColumn(this.text, this.base + offset);
    throw new ConfigParseError(this.file, line, column, problem);
  }

  /** The single member `key` of `object`, undefined when absent; a key given twice is refused. */
  private member(object: Node, key: string): [Node, Node] | undefined {
    const found = members(object).filter(([name]) => name === key);
    const [first, second] = found;
    if (second !== undefined)
      this.fail(second[2].offset, `the key ${jsonString(key)} appears twice; remove one of them`);
    return first === undefined ? undefined : [first[1], first[2]];
  }

  entries(containers: readonly ContainerPath[]): ConfigEntry[] {
    const out: ConfigEntry[] = [];
    for (const container of containers) {
      let node: Node | undefined = this.root;
      for (const segment of container) {
        node = this.member(node, segment)?.[0];
        if (node === undefined) break;
        if (node.type !== "object") this.fail(node.offset, `${jsonString(segment)} is not an object`);
      }
      if (node === undefined) continue;
      const seen = new Set<string>();
      for (const [name, value, property] of members(node)) {
        if (seen.has(name))
          this.fail(property.offset, `the server ${jsonString(name)} appears twice; remove one of them`);
        seen.add(name);
        const key = entryKey(container, name);
        this.nodes.set(key, value);
        out.push({
          key,
          name,
          scope: container.length > 1 ? container.slice(0, -1).join(" ") : null,
          value: getNodeValue(value),
          start: this.base + value.offset,
          end: this.base + value.offset + value.length,
        });
      }
    }
    return out;
  }

  setCommandLine(entry: ConfigEntry, command: string, args: readonly string[]): TextEdit[] {
    const object = this.nodes.get(entry.key);
    if (object === undefined || object.type !== "object")
      throw new EditRefused(`${entry.name} is not an object`);
    const commandMember = this.member(object, "command");
    if (commandMember === undefined) throw new EditRefused(`${entry.name} has no command`);
    const [commandValue, commandProperty] = commandMember;
    // Compact entries ({"a":1,"b":2}) get compact additions; others a space after each comma and colon.
    const objectText = this.text.slice(this.base + object.offset, this.base + object.offset + object.length);
    const colon = this.text.slice(this.base + commandProperty.offset, this.base + commandValue.offset);
    const spaced = objectText.includes(",") ? /,\s/.test(objectText) : /:\s/.test(colon);
    const argsMember = this.member(object, "args");
    const argsValue = argsMember?.[0];
    const argItems = argsValue === undefined ? null : this.stringItems(argsValue);
    // A word that moves between command and args keeps the file's spelling of it (escapes, quotes).
    const spell = spelledAsBefore(
      this.text,
      [
        ...(commandValue.type === "string" ? (this.stringItems(commandValue) ?? []) : []),
        ...(argItems ?? []),
      ],
      jsonString,
    );
    const edits: TextEdit[] = [];
    if (commandValue.value !== command || commandValue.type !== "string")
      edits.push(this.replace(commandValue, spell(command)));
    if (argsValue === undefined) {
      if (args.length === 0) return edits;
      // No args yet: add them after the command, on a line of their own when the entry has lines.
      const commandEnd = this.base + commandProperty.offset + commandProperty.length;
      const multiline = this.text.slice(this.base + object.offset, commandEnd).includes("\n");
      const separator = multiline
        ? `${lineEnding(this.text)}${indentationAt(this.text, this.base + commandProperty.offset)}`
        : spaced
          ? " "
          : "";
      const list = this.array(null, args, spaced, spell);
      edits.push({
        offset: commandEnd,
        length: 0,
        content: `,${separator}"args":${spaced ? " " : ""}${list}`,
      });
      return edits;
    }
    const current: unknown = getNodeValue(argsValue);
    const same =
      Array.isArray(current) && current.length === args.length && current.every((arg, i) => arg === args[i]);
    if (same) return edits;
    const arrayText = this.text.slice(
      this.base + argsValue.offset,
      this.base + argsValue.offset + argsValue.length,
    );
    const [first] = argItems ?? [];
    const fallback =
      first !== undefined && arrayText.includes("\n")
        ? `,${lineEnding(this.text)}${indentationAt(this.text, first.start)}`
        : spaced
          ? ", "
          : ",";
    const tail =
      argItems !== null && argsValue.type === "array"
        ? keepTailEdit(this.text, argItems, args, fallback, spell)
        : null;
    edits.push(tail ?? this.replace(argsValue, this.array(argsValue, args, spaced, spell)));
    return edits;
  }

  /** A string node as one item, or an array of strings as its items; null for anything else. */
  private stringItems(node: Node): ArrayItem[] | null {
    const nodes = node.type === "array" ? (node.children ?? []) : [node];
    const items: ArrayItem[] = [];
    for (const child of nodes) {
      if (child.type !== "string" || typeof child.value !== "string") return null;
      items.push({
        value: child.value,
        start: this.base + child.offset,
        end: this.base + child.offset + child.length,
      });
    }
    return items;
  }

  private replace(node: Node, content: string): TextEdit {
    return { offset: this.base + node.offset, length: node.length, content };
  }

  /**
   * A JSON array of strings laid out like `like` (one item per line, or on one line), else on one
   * line, with a space after each comma when `spaced`.
   */
  private array(
    like: Node | null,
    items: readonly string[],
    spaced: boolean,
    spell: (value: string) => string,
  ): string {
    const start = like === null ? 0 : this.base + like.offset;
    const end = like === null ? 0 : start + like.length;
    const original = this.text.slice(start, end);
    const children = like?.children ?? [];
    const [first] = children;
    if (like !== null && like.type === "array" && original.includes("\n")) {
      const eol = lineEnding(this.text);
      const itemIndent =
        first === undefined
          ? `${indentationAt(this.text, end - 1)}  `
          : indentationAt(this.text, this.base + first.offset);
      const closeIndent = indentationAt(this.text, end - 1);
      if (items.length === 0) return `[${eol}${closeIndent}]`;
      return `[${eol}${items.map((item) => itemIndent + spell(item)).join(`,${eol}`)}${eol}${closeIndent}]`;
    }
    let separator = spaced ? ", " : ",";
    let open = "";
    let close = "";
    const second = children[1];
    if (like !== null && first !== undefined) {
      const last = children[children.length - 1] ?? first;
      open = this.text.slice(start + 1, this.base + first.offset);
      close = this.text.slice(this.base + last.offset + last.length, end - 1);
      if (second !== undefined)
        separator = this.text.slice(this.base + first.offset + first.length, this.base + second.offset);
      // Only plain spacing is copied; comments between items are not repeated.
      if (!/^\s*$/.test(open)) open = "";
      if (!/^\s*$/.test(close)) close = "";
      if (!/^\s*,\s*$/.test(separator)) separator = spaced ? ", " : ",";
    }
    if (items.length === 0) return "[]";
    return `[${open}${items.map(spell).join(separator)}${close}]`;
  }
}

/** What a JSON file may hold beyond strict JSON, as its client reads it. */
export interface JsonSyntax {
  comments: boolean;
  trailingCommas: boolean;
}

/**
 * Parses a JSON file for editing, with comments and trailing commas only where its client reads them
 * (`comments` false: strict, as the client's JSON.parse reads it). Throws ConfigParseError naming the
 * file, line and column of the first problem.
 */
export function parseJsonDocument(file: string, text: string, syntax: JsonSyntax): ConfigDocument {
  const base = text.startsWith(BOM) ? 1 : 0;
  const body = text.slice(base);
  const errors: ParseError[] = [];
  const root = parseTree(body, errors, {
    disallowComments: !syntax.comments,
    allowTrailingComma: syntax.trailingCommas,
    allowEmptyContent: false,
  });
  const [error] = errors;
  if (error !== undefined) {
    const { line, column } = lineColumn(text, base + error.offset);
    const trailingComma =
      !syntax.trailingCommas &&
      (body[error.offset] === "}" || body[error.offset] === "]") &&
      /,\s*$/.test(body.slice(0, error.offset));
    const problem = trailingComma
      ? "not valid JSON: a comma before a closing bracket or brace (the client does not read trailing commas); remove it"
      : describeParseError(printParseErrorCode(error.error));
    throw new ConfigParseError(file, line, column, problem);
  }
  if (!syntax.comments) {
    // The client reads the file with JSON.parse: what it refuses, we refuse too.
    try {
      JSON.parse(body);
    } catch (parseError) {
      const message = parseError instanceof Error ? parseError.message : String(parseError);
      const position = /at position (\d+)/.exec(message)?.[1];
      const { line, column } = lineColumn(text, base + Number(position ?? 0));
      throw new ConfigParseError(file, line, column, `not valid JSON: ${message}`);
    }
  }
  if (root === undefined || root.type !== "object")
    throw new ConfigParseError(file, 1, 1, "the file's top level is not a JSON object");
  return new JsonDocument(file, text, root, base);
}

function describeParseError(code: string): string {
  const words: Record<string, string> = {
    InvalidSymbol: "unexpected character",
    InvalidNumberFormat: "malformed number",
    PropertyNameExpected: "a property name (in double quotes) was expected",
    ValueExpected: "a value was expected",
    ColonExpected: "a colon was expected",
    CommaExpected: "a comma was expected",
    CloseBraceExpected: "a closing } was expected",
    CloseBracketExpected: "a closing ] was expected",
    EndOfFileExpected: "the file should end here",
    InvalidCommentToken: "comments are not allowed in this file",
    UnexpectedEndOfComment: "a comment is not closed",
    UnexpectedEndOfString: "a string is not closed",
    UnexpectedEndOfNumber: "a number is cut off",
    InvalidUnicode: "malformed \\u escape",
    InvalidEscapeCharacter: "malformed escape in a string",
    InvalidCharacter: "a control character inside a string",
  };
  return `not valid JSON: ${words[code] ?? code}`;
}
