// Small readings of client lines the session makes before it handles them.
import { isJsonObject } from "../wire/jsonrpc.js";

/** Methods we intercept; a near-miss spelling of one is refused rather than guessed at. */
const INTERCEPTED_METHODS = ["tools/call", "tools/list"];

/** Whether subscriptions/listen params ask for tools/list changes. */
export function asksForToolChanges(params: unknown): boolean {
  return (
    isJsonObject(params) &&
    isJsonObject(params.notifications) &&
    params.notifications.toolsListChanged === true
  );
}

export function isBlank(content: Buffer): boolean {
  for (const byte of content) if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0d) return false;
  return true;
}

/** A method that is not one we intercept but normalizes to one ("Tools/Call", " tools/call"). */
export function isNearMiss(method: string): boolean {
  if (INTERCEPTED_METHODS.includes(method)) return false;
  const normalized = method.trim().toLowerCase().replace(/\s+/g, "");
  return INTERCEPTED_METHODS.includes(normalized);
}
