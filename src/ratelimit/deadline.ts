/** The rejection of a promise whose time was up (not an error of its own). */
export class DeadlineExceeded extends Error {}

/** One promise being watched: when it started, and how it is failed once its time is up. */
interface Watched {
  startedMs: number;
  /** True once it settled or was failed: a later outcome is the caller's `late` to deal with. */
  over: boolean;
  fail: () => void;
}

/** Milliseconds on a clock that never steps (the wall clock may, and a wait would last as long as the step). */
const monotonicMs = (): number => performance.now();

/**
 * Fails promises that take longer than a time limit, with one timer for all of them (armed while
 * any is waiting, at most once per limit) instead of a timer per promise: what a limit store pays
 * on every call.
 */
export class Deadlines {
  /** Oldest first: promises are watched in the order they start. */
  private readonly waiting: Watched[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly limitMs: number,
    private readonly timeoutMessage: string,
  ) {}

  /**
   * `promise`'s outcome, or a rejection with the timeout message once the limit has passed; if it
   * resolves after that, `late` gets the value (to undo what the caller no longer waits for).
   */
  within<T>(promise: Promise<T>, late?: (value: T) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const watched: Watched = {
        startedMs: monotonicMs(),
        over: false,
        fail: () => reject(new DeadlineExceeded(this.timeoutMessage)),
      };
      this.waiting.push(watched);
      this.timer ??= setTimeout(() => this.failOverdue(), this.limitMs).unref();
      promise.then(
        (value) => {
          if (watched.over) return late?.(value);
          this.settled(watched);
          resolve(value);
        },
        (error: unknown) => {
          if (watched.over) return;
          this.settled(watched);
          reject(error);
        },
      );
    });
  }

  private settled(watched: Watched): void {
    watched.over = true;
    // Usually the oldest: answers come in the order the commands were sent.
    const index = this.waiting[0] === watched ? 0 : this.waiting.indexOf(watched);
    if (index >= 0) this.waiting.splice(index, 1);
  }

  private failOverdue(): void {
    const now = monotonicMs();
    let oldest = this.waiting[0];
    while (oldest !== undefined && oldest.startedMs + this.limitMs <= now) {
      this.waiting.shift();
      oldest.over = true;
      oldest.fail();
      oldest = this.waiting[0];
    }
    this.timer =
      oldest === undefined
        ? null
        : setTimeout(() => this.failOverdue(), oldest.startedMs + this.limitMs - now).unref();
  }
}
