import type { SchemaNode } from "../arguments/schema.js";

/** What a tool or a single call can do, from least to most severe (financial and destructive are both critical). */
export type Category = "read" | "write" | "execute" | "destructive" | "financial";

/** How much harm a category can do. */
export type Risk = "low" | "medium" | "high" | "critical";

/** A category with its risk and the signals that led there, in words a person can check. */
export interface Classification {
  category: Category;
  risk: Risk;
  signals: string[];
}

/** MCP tool annotations as the server sent them (hints; untrusted unless the server is). */
export interface ToolAnnotations {
  title?: string;
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint?: boolean;
}

/** A tool as it appears in the server's tools/list result. */
export interface ToolDefinition {
  name: string;
  title?: string;
  description?: string;
  inputSchema?: unknown;
  annotations?: ToolAnnotations;
}

/**
 * Everything known about one tool, computed once per tools/list so that classifying
 * a call on the hot path costs microseconds.
 */
export interface ToolProfile {
  name: string;
  /** The tool's own classification: the most severe of its selector values, if it has any. */
  classification: Classification;
  /** An enum-valued argument that selects an action (operation, action, command, ...), if the tool has one. */
  selector?: {
    argument: string;
    /** Classification per enum value; a call carrying one of them is classified by it. */
    values: ReadonlyMap<string, Classification>;
  };
  /** The tool's inputSchema compiled for reading its calls' arguments; null or absent where it types none. */
  argumentSchema?: SchemaNode | null;
  /**
   * True where the server listed the tool once and its latest whole list does not: each call gets the
   * more severe of this classification (the last definition's) and the reading of a tool nobody lists.
   */
  noLongerListed?: true;
}
