// Codex's config.toml, edited as text. smol-toml parses the file (what it refuses, we refuse) but
// cannot write one back with its comments and layout, and the TOML libraries that can are little
// used; so this file finds the `[mcp_servers.NAME]` table's `command` and `args` values in the text
// with a small scanner and replaces only their characters. The plan then parses the result with
// smol-toml again and checks that nothing else changed.
import { parse, TomlError } from "smol-toml";
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
  lineEnding,
  spelledAsBefore,
  type TextEdit,
} from "./document.js";

/** A `key = value` line: its dotted key, and where the value's text is. */
interface KeyValue {
  key: string[];
  valueStart: number;
  valueEnd: number;
  /** Just after the line's end of line (or the end of the file). */
  lineEnd: number;
}

/** A `[table]` header and the key/value lines under it. */
interface Table {
  key: string[];
  array: boolean;
  start: number;
  /** Just after its last key/value line (or its header line). */
  end: number;
  values: KeyValue[];
}

const BARE_KEY = /[A-Za-z0-9_-]/;

/** A scanner over a valid TOML text (smol-toml has accepted it), finding tables and key/value lines. */
class Scanner {
  private at = 0;
  constructor(private readonly text: string) {}

  private peek(offset = 0): string {
    return this.text[this.at + offset] ?? "";
  }

  private startsWith(word: string): boolean {
    return this.text.startsWith(word, this.at);
  }

  private skipSpaces(): void {
    while (this.peek() === " " || this.peek() === "\t") this.at++;
  }

  /** Spaces, comments and line ends (inside arrays). */
  private skipBlank(): void {
    for (;;) {
      this.skipSpaces();
      if (this.peek() === "#") this.skipComment();
      else if (this.peek() === "\n" || this.startsWith("\r\n")) this.at += this.peek() === "\n" ? 1 : 2;
      else return;
    }
  }

  private skipComment(): void {
    while (this.at < this.text.length && this.peek() !== "\n") this.at++;
  }

  /** Past the end of the line (its comment and line end). */
  private skipLineEnd(): void {
    this.skipSpaces();
    if (this.peek() === "#") this.skipComment();
    if (this.peek() === "\r") this.at++;
    if (this.peek() === "\n") this.at++;
  }

  private string(): string {
    const quote = this.peek();
    const multi = this.startsWith(quote.repeat(3));
    const literal = quote === "'";
    this.at += multi ? 3 : 1;
    let out = "";
    for (;;) {
      if (this.at >= this.text.length) return out;
      if (multi ? this.startsWith(quote.repeat(3)) : this.peek() === quote) {
        if (multi) {
          this.at += 3;
          // Up to two more quotes right before the closing three belong to the string.
          while (this.peek() === quote) {
            out += quote;
            this.at++;
          }
        } else {
          this.at++;
        }
        return out;
      }
      const char = this.peek();
      if (!literal && char === "\\") {
        out += this.text.slice(this.at, this.at + 2);
        this.at += 2;
        continue;
      }
      out += char;
      this.at++;
    }
  }

  private key(): string[] {
    const parts: string[] = [];
    for (;;) {
      this.skipSpaces();
      const char = this.peek();
      if (char === '"' || char === "'") {
        const raw = this.string();
        parts.push(char === '"' ? unescapeBasic(raw) : raw);
      } else {
        const start = this.at;
        while (BARE_KEY.test(this.peek())) this.at++;
        parts.push(this.text.slice(start, this.at));
      }
      this.skipSpaces();
      if (this.peek() !== ".") return parts;
      this.at++;
    }
  }

  private value(): void {
    const char = this.peek();
    if (char === '"' || char === "'") {
      this.string();
      return;
    }
    if (char === "[" || char === "{") {
      const close = char === "[" ? "]" : "}";
      this.at++;
      for (;;) {
        this.skipBlank();
        if (this.peek() === close || this.at >= this.text.length) {
          this.at++;
          return;
        }
        if (this.peek() === ",") {
          this.at++;
          continue;
        }
        if (close === "}") {
          this.key();
          this.skipSpaces();
          this.at++; // =
          this.skipSpaces();
        }
        this.value();
      }
    }
    // A number, boolean or date (a date and a time may be separated by one space).
    const start = this.at;
    for (;;) {
      while (this.at < this.text.length && !/[\s,\]}#]/.test(this.peek())) this.at++;
      const dateSoFar = /^\d{4}-\d{2}-\d{2}$/.test(this.text.slice(start, this.at));
      if (!(dateSoFar && this.peek() === " " && /\d/.test(this.peek(1)))) return;
      this.at++;
    }
  }

  /** Where each item of the array that starts at `start` is: [start, end) of its text, in order. */
  arrayItemSpans(start: number): [number, number][] {
    this.at = start + 1; // past [
    const spans: [number, number][] = [];
    for (;;) {
      this.skipBlank();
      const char = this.peek();
      if (char === "]" || char === "") return spans;
      if (char === ",") {
        this.at++;
        continue;
      }
      const itemStart = this.at;
      this.value();
      spans.push([itemStart, this.at]);
    }
  }

  /** Every table of the file, the root table (key []) first. */
  tables(): Table[] {
    if (this.startsWith("\uFEFF")) this.at = 1; // a byte-order mark, which smol-toml reads past too
    const root: Table = { key: [], array: false, start: 0, end: 0, values: [] };
    const tables = [root];
    let current = root;
    while (this.at < this.text.length) {
      const lineStart = this.at;
      this.skipSpaces();
      const char = this.peek();
      if (char === "#" || char === "\n" || char === "\r" || char === "") {
        this.skipLineEnd();
        if (this.at === lineStart) this.at++;
        continue;
      }
      if (char === "[") {
        const array = this.startsWith("[[");
        this.at += array ? 2 : 1;
        const key = this.key();
        this.at += array ? 2 : 1;
        this.skipLineEnd();
        current = { key, array, start: lineStart, end: this.at, values: [] };
        tables.push(current);
        continue;
      }
      const key = this.key();
      this.skipSpaces();
      this.at++; // =
      this.skipSpaces();
      const valueStart = this.at;
      this.value();
      const valueEnd = this.at;
      this.skipLineEnd();
      current.values.push({ key, valueStart, valueEnd, lineEnd: this.at });
      current.end = this.at;
    }
    return tables;
  }
}

/** The value of a basic string's text (its escapes resolved). */
function unescapeBasic(raw: string): string {
  return raw.replace(
    /\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))/g,
    (_all, u4?: string, u8?: string, char?: string) => {
      const hex = u4 ?? u8;
      if (hex !== undefined) return String.fromCodePoint(Number.parseInt(hex, 16));
      const simple: Record<string, string> = {
        b: "\b",
        t: "\t",
        n: "\n",
        f: "\f",
        r: "\r",
        e: "\u001b",
        '"': '"',
        "\\": "\\",
      };
      return simple[char ?? ""] ?? char ?? "";
    },
  );
}

/** A TOML basic string: JSON's escapes are TOML's, except that TOML also wants DEL escaped. */
function tomlString(value: string): string {
  return JSON.stringify(value).replaceAll("\u007f", "\\u007F");
}

function sameKey(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((part, i) => part === b[i]);
}

class TomlDocument implements ConfigDocument {
  private readonly tables: Table[];

  constructor(
    readonly text: string,
    readonly data: Record<string, unknown>,
  ) {
    this.tables = new Scanner(text).tables();
  }

  private tableOf(container: ContainerPath, name: string): Table | undefined {
    const key = [...container, name];
    return this.tables.find((table) => !table.array && sameKey(table.key, key));
  }

  entries(containers: readonly ContainerPath[]): ConfigEntry[] {
    const out: ConfigEntry[] = [];
    for (const container of containers) {
      let node: unknown = this.data;
      for (const segment of container) {
        node =
          typeof node === "object" && node !== null ? (node as Record<string, unknown>)[segment] : undefined;
      }
      if (typeof node !== "object" || node === null || Array.isArray(node)) continue;
      for (const [name, value] of Object.entries(node)) {
        const table = this.tableOf(container, name);
        out.push({
          key: entryKey(container, name),
          name,
          scope: null,
          value,
          start: table?.start ?? 0,
          end: table?.end ?? 0,
        });
      }
    }
    // File order: by where each table starts.
    return out.sort((a, b) => a.start - b.start);
  }

  setCommandLine(entry: ConfigEntry, command: string, args: readonly string[]): TextEdit[] {
    const [container, name] = [(JSON.parse(entry.key) as string[]).slice(0, -1), entry.name];
    const table = this.tableOf(container, name);
    if (table === undefined)
      throw new EditRefused(
        `${name} is not written as a [${[...container, name].join(".")}] table (install edits only that form); write it so, or edit it by hand`,
      );
    const single = (key: string): KeyValue | undefined => {
      const found = table.values.filter((value) => sameKey(value.key, [key]));
      if (found.length > 1) throw new EditRefused(`${name} sets ${key} twice`);
      return found[0];
    };
    const commandValue = single("command");
    if (commandValue === undefined)
      throw new EditRefused(`${name}'s command is not a plain \`command = ...\` line of its table`);
    if (
      table.values.some(
        (value) => value.key.length > 1 && (value.key[0] === "command" || value.key[0] === "args"),
      )
    )
      throw new EditRefused(`${name}'s command or args use dotted keys; install edits only plain lines`);
    const current = entry.value as Record<string, unknown>;
    const argsValue = single("args");
    const argItems = argsValue === undefined ? null : this.stringItems(argsValue, current.args);
    // A word that moves between command and args keeps the file's spelling of it (quotes, escapes).
    const commandItems =
      typeof current.command === "string"
        ? [{ value: current.command, start: commandValue.valueStart, end: commandValue.valueEnd }]
        : [];
    const spell = spelledAsBefore(this.text, [...commandItems, ...(argItems ?? [])], tomlString);
    const edits: TextEdit[] = [];
    if (current.command !== command)
      edits.push({
        offset: commandValue.valueStart,
        length: commandValue.valueEnd - commandValue.valueStart,
        content: spell(command),
      });
    const currentArgs = current.args;
    const same =
      Array.isArray(currentArgs) &&
      currentArgs.length === args.length &&
      currentArgs.every((arg, i) => arg === args[i]);
    if (same || (argsValue === undefined && args.length === 0)) return edits;
    if (argsValue === undefined) {
      const eol = lineEnding(this.text);
      const atEnd = commandValue.lineEnd === this.text.length && !this.text.endsWith("\n");
      const indent = indentationAt(this.text, commandValue.valueStart);
      edits.push({
        offset: commandValue.lineEnd,
        length: 0,
        content: `${atEnd ? eol : ""}${indent}args = ${this.array(null, args, spell)}${atEnd ? "" : eol}`,
      });
      return edits;
    }
    const [first] = argItems ?? [];
    const fallback =
      first !== undefined && this.text.slice(argsValue.valueStart, argsValue.valueEnd).includes("\n")
        ? `,${lineEnding(this.text)}${indentationAt(this.text, first.start)}`
        : ", ";
    const tail = argItems === null ? null : keepTailEdit(this.text, argItems, args, fallback, spell);
    edits.push(
      tail ?? {
        offset: argsValue.valueStart,
        length: argsValue.valueEnd - argsValue.valueStart,
        content: this.array(argsValue, args, spell),
      },
    );
    return edits;
  }

  /** The items of an `args = [...]` line whose parsed value is `parsed`; null unless it is an array of strings. */
  private stringItems(like: KeyValue, parsed: unknown): ArrayItem[] | null {
    if (this.text[like.valueStart] !== "[" || !Array.isArray(parsed)) return null;
    const spans = new Scanner(this.text).arrayItemSpans(like.valueStart);
    if (spans.length !== parsed.length) return null;
    const items: ArrayItem[] = [];
    for (const [i, [start, end]] of spans.entries()) {
      const value: unknown = parsed[i];
      if (typeof value !== "string") return null;
      items.push({ value, start, end });
    }
    return items;
  }

  /** A TOML array of strings laid out like the one it replaces: one item per line, or on one line. */
  private array(like: KeyValue | null, items: readonly string[], spell: (value: string) => string): string {
    const original = like === null ? "" : this.text.slice(like.valueStart, like.valueEnd);
    if (like !== null && original.includes("\n")) {
      const eol = lineEnding(this.text);
      const firstItem = /\[[ \t]*\r?\n([ \t]*)/.exec(original);
      const closeIndent = indentationAt(this.text, like.valueEnd - 1);
      const itemIndent = firstItem?.[1] ?? `${closeIndent}  `;
      return `[${eol}${items.map((item) => `${itemIndent}${spell(item)},`).join(eol)}${eol}${closeIndent}]`;
    }
    return `[${items.map(spell).join(", ")}]`;
  }
}

/** Parses a TOML config for editing; throws ConfigParseError naming the file, line and column. */
export function parseTomlDocument(file: string, text: string): ConfigDocument {
  let data: Record<string, unknown>;
  try {
    data = parse(text, { integersAsBigInt: "asNeeded" });
  } catch (error) {
    if (error instanceof TomlError) {
      const problem = error.message.split("\n")[0] ?? error.message;
      throw new ConfigParseError(
        file,
        error.line,
        error.column,
        problem.replace(/^Invalid TOML document: /, "not valid TOML: "),
      );
    }
    throw error;
  }
  return new TomlDocument(text, data);
}
