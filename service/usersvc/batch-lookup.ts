/**
 * Coalesces concurrent lookups by key into one query per batch, DataLoader-style. At low load
 * a lookup waits one turn of the event loop and costs nothing more. Under load, a batch waits
 * for the lookups it expects: when a batch is answered, the lookups it carried are likely to
 * come back (a client that got its answer sends its next request), so the next batch is sent
 * once as many lookups wait as were in play then (the batch answered plus those already
 * waiting), or `gatherMs` after its first lookup arrived, whichever comes first. That keeps
 * the clients of one worker in one batch instead of two alternating halves, halving the
 * queries (and the Postgres round trips) per read, for at most `gatherMs` more latency.
 * Every lookup still starts its query after it was asked, so a read always sees writes that
 * finished before.
 */
export type BatchQuery<V> = (keys: string[]) => Promise<Map<string, V>>;

interface Waiter<V> {
  resolve: (value: V | undefined) => void;
  reject: (err: unknown) => void;
}

export interface BatchOptions {
  /** Batches running at once. */
  readonly maxInFlight?: number;
  /** Keys in one batch. */
  readonly maxBatch?: number;
  /** Longest a lookup waits for others to join its batch; 0 sends at the next turn. */
  readonly gatherMs?: number;
}

export class BatchLookup<V> {
  private queue = new Map<string, Waiter<V>[]>();
  /** Lookups in `queue` (a key may have many). */
  private waiting = 0;
  /** Lookups the next batch waits for: see the class comment. */
  private expected = 0;
  private inFlight = 0;
  /** Lookups in the running batches. */
  private running = 0;
  private scheduled = false;
  private gatherTimer: NodeJS.Timeout | undefined;
  private readonly maxInFlight: number;
  private readonly maxBatch: number;
  private readonly gatherMs: number;

  constructor(
    private readonly query: BatchQuery<V>,
    options: BatchOptions = {},
  ) {
    this.maxInFlight = options.maxInFlight ?? 4;
    this.maxBatch = options.maxBatch ?? 256;
    this.gatherMs = options.gatherMs ?? 0;
  }

  get(key: string): Promise<V | undefined> {
    return new Promise((resolve, reject) => {
      const waiters = this.queue.get(key);
      if (waiters) waiters.push({ resolve, reject });
      else this.queue.set(key, [{ resolve, reject }]);
      this.waiting++;
      this.schedule();
    });
  }

  /** True when the waiting lookups should go now rather than wait for more. */
  private full(): boolean {
    return this.gatherMs === 0 || this.waiting >= this.expected || this.queue.size >= this.maxBatch;
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.maxInFlight || this.queue.size === 0) return;
    if (!this.full()) {
      this.gatherTimer ??= setTimeout(() => {
        this.gatherTimer = undefined;
        // Time is up: send what waits, whatever was expected.
        this.expected = 0;
        this.schedule();
      }, this.gatherMs);
      return;
    }
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.dispatch();
    });
  }

  private dispatch(): void {
    if (this.inFlight >= this.maxInFlight || this.queue.size === 0) return;
    clearTimeout(this.gatherTimer);
    this.gatherTimer = undefined;
    const batch = new Map<string, Waiter<V>[]>();
    let lookups = 0;
    for (const [key, waiters] of this.queue) {
      if (batch.size >= this.maxBatch) break;
      batch.set(key, waiters);
      lookups += waiters.length;
    }
    for (const key of batch.keys()) this.queue.delete(key);
    this.waiting -= lookups;
    this.running += lookups;
    this.inFlight++;
    this.query([...batch.keys()])
      .then(
        (found) => {
          for (const [key, waiters] of batch) for (const w of waiters) w.resolve(found.get(key));
        },
        (err: unknown) => {
          for (const waiters of batch.values()) for (const w of waiters) w.reject(err);
        },
      )
      .finally(() => {
        this.inFlight--;
        this.expected = this.running + this.waiting;
        this.running -= lookups;
        this.schedule();
      });
    this.schedule();
  }
}
