import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

// How a browser gets into the approval page without the token ever being on a command line: the
// address opened carries a one-time nonce, which GET / trades once for an HttpOnly cookie.

/** How long an address given to a browser can be opened. */
export const OPENED_ADDRESS_MS = 60_000;
/** How long the address printed on stdout can be opened: a person copies it by hand. */
export const PRINTED_ADDRESS_MS = 10 * 60_000;
/** Addresses and browser sessions kept at once; past this the oldest are dropped. */
const MAX_KEPT = 32;

/** Compares two secrets in constant time (hashes first, so lengths match). */
export function secretMatches(presented: string | null, secret: string): boolean {
  if (presented === null) return false;
  const digest = (text: string) => createHash("sha256").update(text, "utf8").digest();
  return timingSafeEqual(digest(presented), digest(secret));
}

/** What trading a nonce gave: a session for the cookie, or why not. */
export type Redeemed = { session: string } | { refused: "unknown" | "expired" | "used-twice" };

interface Nonce {
  expiresAt: number;
  /** The session it was traded for, once it was. */
  session: string | null;
}

/** The page's one-time addresses and the browser sessions they were traded for. */
export class PageSessions {
  private readonly nonces = new Map<string, Nonce>();
  private readonly sessions = new Set<string>();

  constructor(private readonly now: () => number) {}

  /** A fresh nonce, usable once within `validMs`. */
  mintNonce(validMs: number): string {
    this.forgetExpired();
    const nonce = randomBytes(32).toString("hex");
    this.nonces.set(nonce, { expiresAt: this.now() + validMs, session: null });
    dropOldest(this.nonces);
    return nonce;
  }

  /**
   * Trades a nonce for a new session, once. A nonce presented a second time was seen by someone
   * else too (a command line, a history): the session it gave is ended, since who came first is unknown.
   */
  redeem(nonce: string): Redeemed {
    const entry = this.nonces.get(nonce);
    this.forgetExpired();
    if (entry === undefined) return { refused: "unknown" };
    if (entry.session !== null) {
      this.sessions.delete(entry.session);
      return { refused: "used-twice" };
    }
    if (entry.expiresAt <= this.now()) return { refused: "expired" };
    entry.session = randomBytes(32).toString("hex");
    this.sessions.add(entry.session);
    dropOldest(this.sessions);
    return { session: entry.session };
  }

  /** Whether `session` (a cookie's value) is a live session. */
  isSession(session: string | null): boolean {
    return session !== null && this.sessions.has(session);
  }

  private forgetExpired(): void {
    // A used nonce is kept until it expires, so that its second use is noticed.
    const now = this.now();
    for (const [nonce, entry] of this.nonces) if (entry.expiresAt <= now) this.nonces.delete(nonce);
  }
}

function dropOldest(kept: Map<string, unknown> | Set<string>): void {
  for (const key of kept.keys()) {
    if (kept.size <= MAX_KEPT) return;
    kept.delete(key);
  }
}

/** The value of cookie `name` in a Cookie header, or null. */
export function cookieValue(header: string | undefined, name: string): string | null {
  for (const part of (header ?? "").split(";")) {
    const at = part.indexOf("=");
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return null;
}
