// Parsing a client's config file for editing, by its format.
import type { ClientConfig } from "./clients.js";
import type { ConfigDocument } from "./document.js";
import { parseJsonDocument } from "./json-document.js";
import { parseTomlDocument } from "./toml-document.js";

/** Parses a config file's text in its client's format; throws ConfigParseError naming file and position. */
export function parseDocument(config: ClientConfig, text: string): ConfigDocument {
  if (config.format === "toml") return parseTomlDocument(config.file, text);
  return parseJsonDocument(config.file, text, {
    comments: config.format !== "json",
    trailingCommas: config.format === "jsonc",
  });
}
