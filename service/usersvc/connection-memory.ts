/**
 * The memory all connections of one process hold together: the requests waiting on them
 * (parsed, not yet answered in full) and their answers not yet handed to the kernel. Each
 * connection's own bound (pipeline.ts) cannot stop a single read: Node's parser turns all of
 * it into requests before anyone can say stop, and one read of 64 KiB of small pipelined
 * GETs is about 1,800 requests, about 4 MiB of objects. Many such connections together are
 * bounded only here:
 *
 * - above `maxBytes`, a connection holding more than an even share of it is read from no
 *   more (slowed) until the total is back under three quarters of the bound;
 * - above one and a half times `maxBytes`, the connections holding the most are closed
 *   (their requests get no answer) until what the others hold is back under `maxBytes`,
 *   and no connection is read until the closed ones released their memory (Node frees a
 *   connection's requests once its socket closed, after the reads already due in the same
 *   turn of the event loop: without the stop, those reads would each add a read's worth);
 *   then all but the greedy are read again.
 *
 * So what the connections hold stays under one and a half times the bound plus one read. A
 * connection holding little (a client with a request or two in flight) is slowed only for
 * that moment, never closed for the others.
 */

import type { IncomingMessage } from 'node:http';
import { maxBodyBytes } from './http-io.js';

/**
 * What one parsed request holds beyond its bytes: its IncomingMessage and ServerResponse,
 * their header objects, the entry and its listeners. Measured in a flood of small pipelined
 * GETs that are never read: about 2.4 KiB of resident memory a request.
 */
const requestOverheadBytes = 2400;
/** An answer built for one request (an error, a write's result): small JSON. */
export const smallAnswerBytes = 256;

/** What a parsed request holds in memory, estimated from its size. */
export function requestBytes(req: IncomingMessage): number {
  let bytes = requestOverheadBytes + (req.url?.length ?? 0);
  for (const field of req.rawHeaders) bytes += field.length;
  const declared = Number(req.headers['content-length']);
  if (declared > 0) bytes += Math.min(declared, maxBodyBytes);
  return bytes;
}

/** What the budget asks of a connection. */
export interface MemoryHolder {
  /** Bytes this connection holds now, as last charged. */
  readonly heldBytes: number;
  /** Stops reading from the connection until `resumeForMemory`. */
  pauseForMemory(): void;
  resumeForMemory(): void;
  /** Closes the connection; it refunds what it held (and leaves) once its socket closed. */
  shed(): void;
}

export interface MemoryBudgetOptions {
  /** The bound on what all connections hold together, in bytes. */
  readonly maxBytes: number;
  /** Told each time connections were closed to get back under the bound. */
  readonly onShed?: (closed: number, shedBytes: number, totalBytes: number) => void;
}

export class ConnectionMemory {
  private total = 0;
  /** Every open connection, with the order it came in. */
  private readonly members = new Map<MemoryHolder, number>();
  private joined = 0;
  private readonly paused = new Set<MemoryHolder>();
  /** Connections closed for memory, and what they held: released once their socket closes. */
  private readonly shedding = new Map<MemoryHolder, number>();
  private releasing = 0;

  constructor(private readonly options: MemoryBudgetOptions) {}

  /** What all connections hold now, in bytes (those being closed included). */
  get totalBytes(): number {
    return this.total;
  }

  /** The connections not read from for memory now. */
  get pausedCount(): number {
    return this.paused.size;
  }

  /** A new connection: while reading is stopped everywhere, it waits too. */
  join(holder: MemoryHolder): void {
    this.members.set(holder, this.joined++);
    if (this.shedding.size > 0) this.pause(holder);
  }

  /** A connection that closed, after refunding what it held. */
  leave(holder: MemoryHolder): void {
    this.members.delete(holder);
    this.paused.delete(holder);
    const shed = this.shedding.get(holder);
    if (shed !== undefined) {
      this.shedding.delete(holder);
      this.releasing -= shed;
    }
    this.maybeResume();
  }

  /**
   * Adds `bytes` (negative: frees) to what `holder` holds; `holder.heldBytes` must already
   * include it. Slows or closes connections when the total goes over the bound.
   */
  charge(holder: MemoryHolder, bytes: number): void {
    this.total += bytes;
    if (bytes <= 0) {
      this.maybeResume();
      return;
    }
    const { maxBytes } = this.options;
    if (this.total > maxBytes * 1.5) {
      for (const member of this.members.keys()) this.pause(member);
      this.shedGreediest();
    } else if (this.total > maxBytes && this.greedy(holder)) {
      this.pause(holder);
    }
  }

  /** More than an even share of the bound among the open connections. */
  private greedy(holder: MemoryHolder): boolean {
    return holder.heldBytes * Math.max(1, this.members.size) > this.options.maxBytes;
  }

  private pause(holder: MemoryHolder): void {
    if (this.paused.has(holder) || this.shedding.has(holder)) return;
    this.paused.add(holder);
    holder.pauseForMemory();
  }

  private shedGreediest(): void {
    let closed = 0;
    let shedBytes = 0;
    while (this.total - this.releasing > this.options.maxBytes) {
      let greediest: MemoryHolder | undefined;
      for (const member of this.members.keys()) {
        if (this.shedding.has(member)) continue;
        if (greediest === undefined || member.heldBytes > greediest.heldBytes) greediest = member;
      }
      if (greediest === undefined || greediest.heldBytes === 0) break;
      this.shedding.set(greediest, greediest.heldBytes);
      this.releasing += greediest.heldBytes;
      this.paused.delete(greediest);
      shedBytes += greediest.heldBytes;
      closed++;
      greediest.shed();
    }
    if (closed > 0) this.options.onShed?.(closed, shedBytes, this.total);
  }

  /**
   * Once the connections closed for memory released it, reading starts again everywhere
   * except on greedy connections, which wait until the total is under three quarters of the
   * bound. In the order they are read next: those holding least first, the newest first
   * among equals (the event loop reads them in the order reading resumed, and a flood's
   * connections would otherwise always come before a client that came after them).
   */
  private maybeResume(): void {
    if (this.paused.size === 0 || this.shedding.size > 0) return;
    const all = this.total <= this.options.maxBytes * 0.75;
    const order = (holder: MemoryHolder) => this.members.get(holder) ?? 0;
    const resumed = [...this.paused]
      .filter((holder) => all || !this.greedy(holder))
      .sort((a, b) => a.heldBytes - b.heldBytes || order(b) - order(a));
    for (const holder of resumed) {
      this.paused.delete(holder);
      holder.resumeForMemory();
    }
  }
}
