// How many approval requests one session may make: a token bucket, so an agent that asks and
// cancels at once cannot flood the person with questions and notifications.

/** Approval requests one session may make at once before it has to wait: as many as may wait at once in a wrap. */
export const APPROVAL_REQUEST_BURST = 16;
/** Approval requests one session may make per minute once the burst is spent. */
export const APPROVAL_REQUESTS_PER_MINUTE = 10;

/** A token bucket of `capacity` tokens that refills `perMinute` tokens a minute. */
export class RequestBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly capacity: number,
    private readonly perMinute: number,
    private readonly now: () => number,
  ) {
    this.tokens = capacity;
    this.updatedAt = now();
  }

  /** Takes a token when there is one; otherwise returns how many seconds until there is. */
  take(): { taken: true } | { taken: false; retryAfterSeconds: number } {
    const now = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.updatedAt) * this.perMinute) / 60_000);
    this.updatedAt = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { taken: true };
    }
    return { taken: false, retryAfterSeconds: Math.ceil(((1 - this.tokens) * 60) / this.perMinute) };
  }
}
