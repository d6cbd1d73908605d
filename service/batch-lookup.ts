/**
 * Coalesces concurrent lookups by key into one query per batch, DataLoader-style. A lookup
 * waits at most one turn of the event loop when a query slot is free, so at low load it
 * costs nothing; under load, lookups that arrive while `maxInFlight` batches are running
 * join the next batch, which turns N round trips to Postgres into one. Every lookup still
 * starts its query after it was asked, so a read always sees writes that finished before.
 */
export type BatchQuery<V> = (keys: string[]) => Promise<Map<string, V>>;

interface Waiter<V> {
  resolve: (value: V | undefined) => void;
  reject: (err: unknown) => void;
}

export class BatchLookup<V> {
  private queue = new Map<string, Waiter<V>[]>();
  private inFlight = 0;
  private scheduled = false;

  constructor(
    private readonly query: BatchQuery<V>,
    private readonly maxInFlight = 4,
    private readonly maxBatch = 256,
  ) {}

  get(key: string): Promise<V | undefined> {
    return new Promise((resolve, reject) => {
      const waiters = this.queue.get(key);
      if (waiters) waiters.push({ resolve, reject });
      else this.queue.set(key, [{ resolve, reject }]);
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.maxInFlight || this.queue.size === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.dispatch();
    });
  }

  private dispatch(): void {
    if (this.inFlight >= this.maxInFlight || this.queue.size === 0) return;
    const batch = new Map<string, Waiter<V>[]>();
    for (const [key, waiters] of this.queue) {
      if (batch.size >= this.maxBatch) break;
      batch.set(key, waiters);
    }
    for (const key of batch.keys()) this.queue.delete(key);
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
        this.schedule();
      });
    this.schedule();
  }
}
