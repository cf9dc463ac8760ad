import { readFileSync } from "node:fs";

/** policylayer's version, from the package.json beside dist/ (installed or in the repository). */
export function packageVersion(): string {
  const text = readFileSync(new URL("../../package.json", import.meta.url), "utf8");
  const version = (JSON.parse(text) as { version?: unknown }).version;
  return typeof version === "string" ? version : "unknown";
}
