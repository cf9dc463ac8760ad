import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { isJsonObject } from "../wire/jsonrpc.js";

// When a 2026-07-28 request that declares elicitation needs approval, wrap answers input_required
// with a requestState of its own; the client echoes it on the retry. That echo is the client's data,
// so the state is signed with a key only this process holds (HMAC-SHA256), bound to the session, the
// tool and the arguments' hash, short-lived, and single-use (its nonce is crossed off when redeemed).

/** Marks a requestState as one policylayer issued (the server's own states never start so). */
const STATE_PREFIX = "policylayer.1.";
const NONCE_BYTES = 16;

/** The call a state was issued for. */
export interface ApprovalBinding {
  session: string;
  tool: string;
  argsSha256: string;
}

/** A redeemed state's answer: what was held for the call, or why the state is refused. */
export type Redeemed<Held> = { ok: true; held: Held } | { ok: false; reason: string };

interface Outstanding<Held> {
  expiresMs: number;
  held: Held;
}

/** True when `requestState` claims to be one of ours (whether or not it verifies). */
export function isOurState(requestState: string): boolean {
  return requestState.startsWith(STATE_PREFIX);
}

/**
 * Issues and redeems our approval states. `Held` is what the proxy keeps beside a state until the
 * retry (the server's own requestState and inputResponses of the held call), never sent to the client.
 */
export class ApprovalStates<Held> {
  private readonly key = randomBytes(32);
  /** By nonce, oldest first; at most `maxOutstanding`, so memory stays bounded. */
  private readonly outstanding = new Map<string, Outstanding<Held>>();

  constructor(
    private readonly maxOutstanding: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** A new state for `binding`, valid for `ttlMs`; `held` comes back when it is redeemed. */
  mint(binding: ApprovalBinding, ttlMs: number, held: Held): string {
    const nowMs = this.now();
    for (const [nonce, entry] of this.outstanding) {
      if (entry.expiresMs <= nowMs || this.outstanding.size >= this.maxOutstanding)
        this.outstanding.delete(nonce);
      else break;
    }
    const nonce = randomBytes(NONCE_BYTES).toString("base64url");
    const expiresMs = nowMs + ttlMs;
    this.outstanding.set(nonce, { expiresMs, held });
    const payload = Buffer.from(
      JSON.stringify({ s: binding.session, t: binding.tool, h: binding.argsSha256, e: expiresMs, n: nonce }),
    ).toString("base64url");
    return `${STATE_PREFIX}${payload}.${this.sign(payload)}`;
  }

  /** Checks a state against the call it comes back with; a state passes once, then never again. */
  redeem(requestState: string, binding: ApprovalBinding): Redeemed<Held> {
    const body = requestState.slice(STATE_PREFIX.length);
    const dot = body.indexOf(".");
    if (!isOurState(requestState) || dot === -1)
      return refused("it is not a state policylayer issued (malformed)");
    const payload = body.slice(0, dot);
    const given = Buffer.from(body.slice(dot + 1), "base64url");
    const expected = Buffer.from(this.sign(payload), "base64url");
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      return refused("its signature does not match (forged or tampered with)");
    const claims = claimsOf(payload);
    if (claims === null) return refused("its content is not what policylayer issues");
    const entry = this.outstanding.get(claims.n);
    // Crossed off before any other check: whatever happens next, this state is spent.
    this.outstanding.delete(claims.n);
    if (entry === undefined) return refused("it was already used (a replay)");
    if (this.now() >= claims.e || this.now() >= entry.expiresMs) return refused("it has expired");
    if (claims.s !== binding.session) return refused("it was issued in another session");
    if (claims.t !== binding.tool) return refused(`it was issued for tool ${JSON.stringify(claims.t)}`);
    if (claims.h !== binding.argsSha256) return refused("it was issued for other arguments");
    return { ok: true, held: entry.held };
  }

  private sign(payload: string): string {
    return createHmac("sha256", this.key).update(STATE_PREFIX).update(payload).digest("base64url");
  }
}

function refused<Held>(why: string): Redeemed<Held> {
  return { ok: false, reason: `the approval state on this retry was refused: ${why}` };
}

interface Claims {
  s: string;
  t: string;
  h: string;
  e: number;
  n: string;
}

/** The signed claims, checked for their types (the signature already says we wrote them). */
function claimsOf(payload: string): Claims | null {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
  } catch {
    return null;
  }
  if (!isJsonObject(value)) return null;
  const { s, t, h, e, n } = value;
  if (typeof s !== "string" || typeof t !== "string" || typeof h !== "string") return null;
  if (typeof e !== "number" || typeof n !== "string") return null;
  return { s, t, h, e, n };
}
