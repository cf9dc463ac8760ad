import { isJsonObject, type JsonObject } from "./jsonrpc.js";

// The 2026-07-28 revision has no handshake: each request names its protocol version and the client's
// capabilities in reserved `_meta` keys (spec 2026-07-28 basic/index.mdx, "_meta"), and each result
// must carry `resultType` (ibid., "ResultType"). These helpers read that envelope from one request.

export const META_PROTOCOL_VERSION = "io.modelcontextprotocol/protocolVersion";
export const META_CLIENT_INFO = "io.modelcontextprotocol/clientInfo";
export const META_CLIENT_CAPABILITIES = "io.modelcontextprotocol/clientCapabilities";
export const META_SUBSCRIPTION_ID = "io.modelcontextprotocol/subscriptionId";

/** `legacy`: up to 2025-11-25, with initialize. `modern`: 2026-07-28 on, an envelope on every request. */
export type Era = "legacy" | "modern";

/** What one request says about its era. */
export interface RequestEra {
  era: Era;
  /** The `_meta` protocol version of a modern request; null for a legacy one. */
  protocolVersion: string | null;
  /**
   * The request's protocol version, client info and client capabilities, as its `_meta` carries them:
   * put on a request of our own made on this request's behalf, so a modern server is not pinned to
   * the legacy era by it. Nothing else (a log level would let the server send log messages tied to a
   * request the client never made). Null for a legacy request.
   */
  envelope: JsonObject | null;
  /** The capabilities declared on this request (modern only; legacy ones come from initialize). */
  clientCapabilities: JsonObject | null;
}

const LEGACY: RequestEra = { era: "legacy", protocolVersion: null, envelope: null, clientCapabilities: null };

/** Reads the era envelope from a request's params (any method); a request without one is legacy. */
export function requestEraOf(params: unknown): RequestEra {
  if (!isJsonObject(params)) return LEGACY;
  const meta = params._meta;
  if (!isJsonObject(meta)) return LEGACY;
  const protocolVersion = meta[META_PROTOCOL_VERSION];
  if (typeof protocolVersion !== "string") return LEGACY;
  const envelope: JsonObject = { [META_PROTOCOL_VERSION]: protocolVersion };
  const clientInfo = meta[META_CLIENT_INFO];
  if (clientInfo !== undefined) envelope[META_CLIENT_INFO] = clientInfo;
  const capabilities = meta[META_CLIENT_CAPABILITIES];
  if (capabilities !== undefined) envelope[META_CLIENT_CAPABILITIES] = capabilities;
  return {
    era: "modern",
    protocolVersion,
    envelope,
    clientCapabilities: isJsonObject(capabilities) ? capabilities : null,
  };
}

/** Params for a request of our own, carrying `era`'s envelope in `_meta` when it is modern. */
export function paramsInEra(era: RequestEra, params: JsonObject = {}): JsonObject {
  if (era.envelope === null) return params;
  const meta = isJsonObject(params._meta) ? params._meta : {};
  return { ...params, _meta: { ...meta, ...era.envelope } };
}

/** The 2026-07-28 multi-round-trip members of a request (absent on a first round). */
export interface RoundTrip {
  requestState?: string;
  inputResponses?: JsonObject;
}

/** True when `capabilities` declare form elicitation (`{}` meant form mode before URL mode existed). */
export function declaresFormElicitation(capabilities: JsonObject | null): boolean {
  const elicitation = capabilities?.elicitation;
  if (!isJsonObject(elicitation)) return false;
  // Since 2025-11-25 `{ url: {} }` alone means URL mode only; an empty object means form mode.
  return Object.keys(elicitation).length === 0 || isJsonObject(elicitation.form);
}

/** A result we make, valid in the request's era: a modern one says it is complete. */
export function resultInEra(era: Era, result: JsonObject): JsonObject {
  return era === "modern" ? { ...result, resultType: "complete" } : result;
}
