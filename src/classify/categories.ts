import type { Category, Risk } from "./types.js";

/** Every category, from least to most severe (financial ranks above destructive as the tie-break). */
export const CATEGORIES: readonly Category[] = ["read", "write", "execute", "destructive", "financial"];

/** Every risk, from least to most severe. */
export const RISKS: readonly Risk[] = ["low", "medium", "high", "critical"];

const RISK_BY_CATEGORY: Readonly<Record<Category, Risk>> = {
  read: "low",
  write: "medium",
  execute: "high",
  destructive: "critical",
  financial: "critical",
};

/** The risk a category carries. */
export function riskOf(category: Category): Risk {
  return RISK_BY_CATEGORY[category];
}

/**
 * A number that orders categories by severity, for "most severe" choices. Destructive and
 * financial are both critical; financial ranks one above so that ties resolve the same way
 * every time, and because "moves money" is the more specific warning of the two.
 */
export function severityRank(category: Category): number {
  return CATEGORIES.indexOf(category);
}

/** The more severe of two categories (the first on a tie). */
export function moreSevere(a: Category, b: Category): Category {
  return severityRank(b) > severityRank(a) ? b : a;
}

/** Whether a string names a category; for validating a policy's classify block and other outside data. */
export function isCategory(value: unknown): value is Category {
  return typeof value === "string" && (CATEGORIES as readonly string[]).includes(value);
}
