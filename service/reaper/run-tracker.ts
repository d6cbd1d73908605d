/**
 * Which test runs are alive, from their connections: a run is a test process, which keeps one
 * connection (several while it reconnects) open for as long as it lives. When a run's last
 * connection closes, the run is over: its stacks are reaped at once if it said `done` (an
 * orderly exit), else after `graceMs` (a killed process; a run that reconnects meanwhile is
 * alive after all). When no run is connected and nothing is being reaped for `idleMs`, the
 * reaper has nothing left to watch and leaves.
 */
export interface RunTrackerOptions {
  /** How long a run whose connection dropped without `done` may take to reconnect. */
  readonly graceMs: number;
  /** How long the reaper waits with no connection before it leaves. */
  readonly idleMs: number;
  /** Removes what the run brought up; resolves when done (errors are the caller's to log). */
  readonly reap: (run: string) => Promise<void>;
  /** Called once when the reaper has been idle for `idleMs`. */
  readonly idle: () => void;
  readonly log?: (line: string) => void;
}

export class RunTracker {
  readonly #options: RunTrackerOptions;
  /** Open connections by run. */
  readonly #connections = new Map<string, Set<object>>();
  /** Runs that said `done` on a connection still open. */
  readonly #done = new Set<string>();
  readonly #graceTimers = new Map<string, ReturnType<typeof setTimeout>>();
  #reaping = 0;
  #idleTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: RunTrackerOptions) {
    this.#options = options;
    this.#checkIdle();
  }

  /** A connection said which run it belongs to. */
  connected(run: string, connection: object): void {
    const timer = this.#graceTimers.get(run);
    if (timer) {
      clearTimeout(timer);
      this.#graceTimers.delete(run);
      this.#log(`run ${run}: reconnected`);
    }
    let set = this.#connections.get(run);
    if (!set) {
      set = new Set();
      this.#connections.set(run, set);
    }
    set.add(connection);
    this.#checkIdle();
  }

  /** The run ended in order: reap as soon as its connections close. */
  done(run: string): void {
    this.#done.add(run);
  }

  /** A connection of `run` closed (for whatever reason). */
  closed(run: string, connection: object): void {
    const set = this.#connections.get(run);
    if (!set?.delete(connection) || set.size > 0) return;
    this.#connections.delete(run);
    if (this.#done.delete(run)) {
      this.#log(`run ${run}: ended`);
      this.#startReap(run);
      return;
    }
    this.#log(`run ${run}: connection lost; reaping in ${this.#options.graceMs} ms`);
    this.#graceTimers.set(
      run,
      setTimeout(() => {
        this.#graceTimers.delete(run);
        this.#startReap(run);
      }, this.#options.graceMs),
    );
    this.#checkIdle();
  }

  /** True when the run has a connection open now. */
  isConnected(run: string): boolean {
    return this.#connections.has(run);
  }

  /** Reaps a run that is not connected (the start-up sweep). */
  reapIfGone(run: string): void {
    if (this.isConnected(run) || this.#graceTimers.has(run)) return;
    this.#startReap(run);
  }

  #startReap(run: string): void {
    this.#reaping++;
    this.#checkIdle();
    void this.#options
      .reap(run)
      .catch((err: unknown) => this.#log(`run ${run}: reaping failed: ${String(err)}`))
      .finally(() => {
        this.#reaping--;
        this.#checkIdle();
      });
  }

  #checkIdle(): void {
    const busy = this.#connections.size > 0 || this.#graceTimers.size > 0 || this.#reaping > 0;
    if (busy) {
      if (this.#idleTimer) clearTimeout(this.#idleTimer);
      this.#idleTimer = undefined;
      return;
    }
    this.#idleTimer ??= setTimeout(() => this.#options.idle(), this.#options.idleMs);
  }

  #log(line: string): void {
    this.#options.log?.(line);
  }
}
