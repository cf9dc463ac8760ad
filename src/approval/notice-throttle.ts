// Desktop notifications of one wrap process, at most one every few seconds: an agent that asks
// again and again gets one summary, not a notification per question.

/** Shortest time between two desktop notifications of one wrap process. */
export const NOTIFICATION_INTERVAL_MS = 5000;

/** Shows the first notification at once and holds later ones back, then counts them in one summary. */
export class NotificationThrottle {
  private lastShownAt = Number.NEGATIVE_INFINITY;
  private held = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly show: (title: string, body: string) => void,
    private readonly intervalMs: number = NOTIFICATION_INTERVAL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Shows `title` and `body` now, or counts them into the summary shown once the interval has passed. */
  notify(title: string, body: string): void {
    const now = this.now();
    if (this.timer === null && now - this.lastShownAt >= this.intervalMs) {
      this.lastShownAt = now;
      this.show(title, body);
      return;
    }
    this.held += 1;
    if (this.timer !== null) return;
    this.timer = setTimeout(() => this.showSummary(), this.lastShownAt + this.intervalMs - now);
    this.timer.unref();
  }

  private showSummary(): void {
    const count = this.held;
    this.held = 0;
    this.timer = null;
    this.lastShownAt = this.now();
    this.show(
      `policylayer: ${count} more approval request${count === 1 ? "" : "s"}`,
      "policylayer approvals lists the calls still waiting (policylayer approvals --web in your browser)",
    );
  }
}
