// What the client has shown of itself: which protocol era it speaks (2025-11-25, which opens with
// initialize, or 2026-07-28, whose requests each carry an envelope) and, for the first, the
// capabilities it declared at initialize.
import { declaresFormElicitation, requestEraOf } from "../wire/era.js";
import { isJsonObject, type JsonObject } from "../wire/jsonrpc.js";

export class ClientEra {
  private legacySeen = false;
  private modernSeen = false;
  /** Capabilities the client declared at initialize (for elicitation-based approval). */
  private capabilities: JsonObject | null = null;

  /** Notes a request's method and params; looks at the envelope only until one era is seen, so the hot path pays nothing after. */
  noteRequest(method: string, params: unknown): void {
    if (method === "initialize") {
      this.legacySeen = true;
      this.capabilities =
        isJsonObject(params) && isJsonObject(params.capabilities) ? params.capabilities : null;
    } else if (!this.legacySeen && !this.modernSeen && requestEraOf(params).era === "modern") {
      this.modernSeen = true;
    }
  }

  /** Whether notifications may go to the client unasked: it opened with initialize or has not shown its era (2026-07-28 sends nothing unsolicited). */
  get takesUnsolicited(): boolean {
    return this.legacySeen || !this.modernSeen;
  }

  /** True when the client declared form elicitation at initialize, so we can ask it ourselves. */
  get canElicit(): boolean {
    return declaresFormElicitation(this.capabilities);
  }
}
