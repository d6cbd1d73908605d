/**
 * A request timeout that was the server's doing, deferred (see pipeline.ts, "Time"). Node
 * times out a request still incomplete 10 s after it began; when the connection was not read
 * from meanwhile, the rest of it could not arrive. The client then gets the bound again,
 * counted from when reading resumed (again after each new hold); if the request is still not
 * complete by then, the timeout stands.
 */
import type { IncomingMessage } from 'node:http';

/** What the deferral asks of the connection. */
export interface ReadingState {
  /** True while the connection is not read from (by the pipeline or by Node itself). */
  held(): boolean;
  /** When the last hold ended (Date.now()); 0: never held. */
  heldUntil(): number;
  /** The request timed out after all: its client gets the timeout's answer. */
  timedOut(): void;
  /** True once the connection answers nothing more (closed, or an error answer admitted). */
  ended(): boolean;
}

export class DeferredTimeout {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly reading: ReadingState,
    private readonly timeoutMs: number,
    /** The request the timeout was about, once its headers are in. */
    private pending: IncomingMessage | undefined,
  ) {
    this.check();
  }

  /** True when a timeout now would be the server's doing: it held reading within the bound. */
  static applies(reading: ReadingState, timeoutMs: number): boolean {
    return reading.held() || Date.now() - reading.heldUntil() < timeoutMs;
  }

  /** A request whose headers arrived after the deferral: the one it was about. */
  admitted(req: IncomingMessage): void {
    this.pending ??= req;
  }

  cancel(): void {
    clearTimeout(this.timer);
  }

  private check(): void {
    this.timer = undefined;
    if (this.reading.ended()) return;
    const waitedMs = this.reading.held() ? 0 : Date.now() - this.reading.heldUntil();
    if (waitedMs < this.timeoutMs) {
      this.timer = setTimeout(() => this.check(), this.timeoutMs - waitedMs);
      this.timer.unref();
      return;
    }
    if (this.pending?.complete !== true) this.reading.timedOut();
  }
}
