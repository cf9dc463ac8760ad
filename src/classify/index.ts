// Deterministic risk classification of MCP tools and of individual calls.
export { classifyCall } from "./call.js";
export { CATEGORIES, isCategory, moreSevere, RISKS, riskOf, severityRank } from "./categories.js";
export { describeClassification } from "./describe.js";
export { splitWords } from "./names.js";
export { noLongerListed, profileTool, profileToolList } from "./profile.js";
export type {
  Category,
  Classification,
  Risk,
  ToolAnnotations,
  ToolDefinition,
  ToolProfile,
} from "./types.js";
