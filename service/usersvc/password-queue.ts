/**
 * Password work (a scrypt hash: 128 MiB and a few hundred ms of a core) runs a few at a time
 * per process, in arrival order; beyond `maxWaiting` waiting, a client gets 429 rather than
 * an ever-longer queue. Work is dropped, never started, when nobody is left to answer (the
 * client's connection closed or half-closed), and while the process drains (a reload or a
 * stop) when it could not end before the drain's deadline: its client gets a 503 with
 * Retry-After at once rather than a connection closed under it.
 */
import { HttpError } from './http-io.js';

/** Tells whether the client that asked may still read the answer; see `ClientStatus`. */
export type StillWanted = () => 'wanted' | 'gone' | 'half-closed';

/** The client went away while its request waited: nobody is left to answer. */
export class ClientGone extends Error {}

/** The process is draining and this work could not end before it: 503, retry elsewhere. */
export class Draining extends Error {}

export interface PasswordQueueOptions {
  /** Work running at once. */
  readonly slots: number;
  /** Work waiting beyond which a request gets 429. */
  readonly maxWaiting: number;
  /** The clock, in ms. @default Date.now */
  readonly now?: () => number;
}

/** What one piece of work is expected to take before any was measured, in ms. */
const firstGuessMs = 500;
/** Time kept after the work for what follows it (the insert of a new user), in ms. */
const afterWorkMs = 300;

interface Waiting {
  readonly go: () => void;
  readonly refuse: (err: Error) => void;
}

export class PasswordQueue {
  private running = 0;
  private readonly waiting: Waiting[] = [];
  private deadline: number | undefined;
  /** Recent duration of one piece of work (exponentially weighted), in ms. */
  private typicalMs = firstGuessMs;
  private readonly now: () => number;

  constructor(private readonly options: PasswordQueueOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Work waiting for a slot now. */
  get waitingCount(): number {
    return this.waiting.length;
  }

  /**
   * From now on, work starts only if it is expected to end by `deadlineMs` (a time of
   * `now`). Waiting work that is not expected to get its turn in time is refused with
   * Draining at once (its client can retry elsewhere now rather than at the deadline); the
   * rest is looked at again when its turn comes.
   */
  drainBy(deadlineMs: number): void {
    this.deadline = deadlineMs;
    const { slots } = this.options;
    const now = this.now();
    const late = this.waiting.findIndex(
      (_, i) => now + Math.ceil((i + 1) / slots) * this.typicalMs + this.needMs() > deadlineMs,
    );
    if (late === -1) return;
    for (const waiting of this.waiting.splice(late)) waiting.refuse(new Draining());
  }

  /**
   * Runs `work` when a slot is free and the client still wants the answer. Throws
   * HttpError 429 when too much waits, ClientGone or HttpError 400 (half-closed) when the
   * client will not read the answer, Draining when it could not end before a drain's end.
   */
  async run<T>(work: () => Promise<T>, wanted: StillWanted): Promise<T> {
    this.refuseIfDraining();
    if (this.running >= this.options.slots) {
      if (this.waiting.length >= this.options.maxWaiting) {
        throw new HttpError(429, 'too many password operations in progress, retry later', {
          'retry-after': '1',
        });
      }
      await new Promise<void>((go, refuse) => this.waiting.push({ go, refuse }));
    } else {
      this.running++;
    }
    try {
      // A queue of abandoned requests must not burn the CPU that live ones wait for.
      refuseUnwanted(wanted());
      this.refuseIfDraining();
      const startedAt = this.now();
      const result = await work();
      this.typicalMs = 0.7 * this.typicalMs + 0.3 * (this.now() - startedAt);
      return result;
    } finally {
      const next = this.waiting.shift();
      if (next) next.go();
      else this.running--;
    }
  }

  /** What a piece of work needs before the deadline once it starts, in ms. */
  private needMs(): number {
    return this.typicalMs * 1.5 + afterWorkMs;
  }

  private refuseIfDraining(): void {
    if (this.deadline === undefined) return;
    if (this.now() + this.needMs() > this.deadline) throw new Draining();
  }
}

/** Throws ClientGone, or HttpError 400 for a half-closed connection, unless `state` is wanted. */
export function refuseUnwanted(state: ReturnType<StillWanted>): void {
  if (state === 'gone') throw new ClientGone('client went away');
  if (state === 'half-closed') {
    // Through a port docker-proxy publishes, a client that reset its connection looks
    // exactly like one that shut down its writing side (the proxy turns the RST into a FIN).
    throw new HttpError(
      400,
      'the connection was half-closed before this request was served: password operations are done only for a client that keeps its connection open',
      { connection: 'close' },
    );
  }
}
