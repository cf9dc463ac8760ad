import { readFileSync } from "node:fs";

/** policylayer's version, as package.json states it (one source; read once at start, a few hundred bytes). */
export const POLICYLAYER_VERSION = versionOf(new URL("../../package.json", import.meta.url));

function versionOf(packageJson: URL): string {
  const parsed: unknown = JSON.parse(readFileSync(packageJson, "utf8"));
  const version = typeof parsed === "object" && parsed !== null ? Reflect.get(parsed, "version") : undefined;
  return typeof version === "string" ? version : "unknown";
}
