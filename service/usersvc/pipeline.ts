/**
 * The requests of one HTTP/1.1 connection, in order (RFC 9112 section 9.3.2). Node's server
 * parses pipelined requests as fast as they arrive and would hand every one to the handler at
 * once; here they take effect one after the other. A request that may change something
 * (anything but GET and HEAD) starts only once every request before it has been answered;
 * reads run side by side, but never past a change waiting ahead of them. Answers go out in
 * arrival order, each once the one before it was written, so Node never buffers one.
 *
 * An error about a later request (one Node could not parse, a CONNECT) is answered after
 * every request before it, then the connection closes; a request whose body it cut short
 * never ran, as no request acts before its body is complete. Once an answer closes the
 * connection, the requests behind it do not run at all, and the client retries them, as
 * RFC 9112 section 9.3.2 expects of it.
 *
 * Memory: while more than `maxQueued` requests wait on a connection, reading from it stops,
 * so a flood of pipelined requests holds at most that many plus what one read brought in
 * (64 KiB of requests). What all connections hold together is bounded by the process's
 * ConnectionMemory (connection-memory.ts), which each pipeline tells what it holds.
 *
 * Time: Node times out a request that is still incomplete 10 s after it began (its headers;
 * 30 s for the whole). While this connection is not read from (the bounds above, or Node's
 * own back-pressure on a client that does not read its answers), the rest of a request cut
 * by the last read cannot arrive: that time is the server's, not the client's. Such a timeout
 * is deferred: the client gets the bound again from when reading resumed (`deferTimeout`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type net from 'node:net';
import {
  type ConnectionMemory,
  type MemoryHolder,
  requestBytes,
  smallAnswerBytes,
} from './connection-memory.js';
import { DeferredTimeout, type ReadingState } from './deferred-timeout.js';
import { heldByNode, holdReading, quietAborts, releaseReading } from './flow-control.js';
import { closesConnection, type Reply, rawErrorAnswer, sendJson } from './http-io.js';

/**
 * What a request's work may ask about its connection while it waits (for a password hash,
 * say), without holding on to it: a closed connection's requests are freed at once, even
 * with their work still waiting.
 */
export interface ClientStatus {
  /** The connection is closed: nobody will read the answer. */
  readonly gone: boolean;
  /** The client shut down its side of the connection (or docker-proxy did, for a reset one). */
  readonly halfClosed: boolean;
}

/** Works out one answer; must neither throw nor reject. */
export type Work = (client: ClientStatus) => Reply | Promise<Reply>;

export interface PipelineOptions {
  /** Requests waiting on one connection above which reading from it stops. */
  readonly maxQueued: number;
  /** Reads (GET, HEAD) started and not yet written, on one connection. */
  readonly maxParallelReads: number;
  /** True while every answer should close its connection (the server drains). */
  readonly closing: () => boolean;
  /** How long a connection closed after an error answer waits for the client to close it. */
  readonly lingerMs: number;
  /** The memory all connections of the process share. */
  readonly memory: ConnectionMemory;
}

interface Entry {
  /** Undefined for an error answer written straight to the socket, and once dropped. */
  req: IncomingMessage | undefined;
  res: ServerResponse | undefined;
  work: Work | undefined;
  /**
   * Takes the work's answer (undefined: the work broke its promise never to reject); unset
   * once dropped, so that work still running does not reach the connection.
   */
  settle: ((reply: Reply | undefined) => void) | undefined;
  /** A request that may change something, or an error answer: nothing runs beside it. */
  readonly exclusive: boolean;
  readonly expectContinue: boolean;
  state: 'waiting' | 'running' | 'ready' | 'written' | 'dropped';
  reply?: Reply;
  /** Bytes charged to the connection's memory for this request and its answer. */
  cost: number;
}

/**
 * A request that will not be answered: it lets go of its request, response and work, which
 * reach the whole connection (Node's state of it holds every request parsed on it), so that
 * work still waiting for the database or a hash does not keep a closed connection alive.
 */
function drop(entry: Entry): void {
  entry.state = 'dropped';
  entry.req = undefined;
  entry.res = undefined;
  entry.work = undefined;
  entry.settle = undefined;
}

export class ConnectionPipeline implements MemoryHolder {
  /** Requests not yet answered in full, in arrival order; the head is the oldest. */
  private readonly entries: Entry[] = [];
  /** Nothing more runs or is written: the connection closes. */
  private closed = false;
  /** An error answer was admitted: nothing is admitted after it. */
  private ended = false;
  /** Reading stopped: too many requests wait on this connection. */
  private queueHold = false;
  /** Reading stopped: the connections together hold too much, this one more than its share. */
  private memoryHold = false;
  private holding = false;
  /** When a hold of ours or Node's last ended (Date.now()); 0: never held. */
  private heldUntil = 0;
  private held = 0;
  private readonly status = { gone: false, halfClosed: false };
  private stall: DeferredTimeout | undefined;
  private pumping = false;
  private pumpAgain = false;

  constructor(
    private readonly socket: net.Socket,
    private readonly options: PipelineOptions,
  ) {
    // Node resumes reading on `drain` (its own hold ends); this listener runs after its own.
    socket.on('drain', () => {
      this.heldUntil = Date.now();
      if (this.holding) holdReading(socket);
    });
    socket.once('close', () => this.dropAll());
    socket.once('end', () => {
      this.status.halfClosed = true;
    });
    options.memory.join(this);
  }

  /** True when no request is waiting for its answer. */
  get idle(): boolean {
    return this.entries.length === 0;
  }

  /** Bytes the requests and answers of this connection hold (estimated). */
  get heldBytes(): number {
    return this.held;
  }

  /** Queues one parsed request; `work` runs when its turn comes. */
  admit(req: IncomingMessage, res: ServerResponse, work: Work, expectContinue = false): void {
    if (this.closed || this.ended) return;
    const exclusive = expectContinue || (req.method !== 'GET' && req.method !== 'HEAD');
    const cost = requestBytes(req);
    const entry: Entry = {
      req,
      res,
      work,
      settle: undefined,
      exclusive,
      expectContinue,
      state: 'waiting',
      cost,
    };
    entry.settle = (reply) => this.settle(entry, reply);
    this.entries.push(entry);
    this.stall?.admitted(req);
    res.once('close', () => this.finished(entry));
    if (this.entries.length > this.options.maxQueued && !this.queueHold) {
      this.queueHold = true;
      this.updateHold();
    }
    this.charge(cost);
    this.pump();
  }

  /**
   * The end of a drain: the oldest request not yet answered gets `reply` now, whatever its
   * work waits for, and the connection closes after it (the requests behind it, never
   * answered, are for the client to send again). Nothing to do while an answer is being
   * written, or with no request waiting.
   */
  abandon(reply: Reply): void {
    if (this.closed) return;
    const head = this.entries[0];
    if (head === undefined || head.state === 'ready' || head.state === 'written') return;
    head.state = 'ready';
    head.reply = reply;
    head.settle = undefined;
    this.pump();
  }

  pauseForMemory(): void {
    this.memoryHold = true;
    this.updateHold();
  }

  resumeForMemory(): void {
    this.memoryHold = false;
    this.updateHold();
  }

  /**
   * Closes the connection now: what waits on it gets no answer (connection-memory.ts). What
   * it held is refunded once the socket closed, when Node let go of its requests.
   */
  shed(): void {
    this.closed = true;
    this.status.gone = true;
    for (const entry of this.entries) drop(entry);
    quietAborts.begin();
    this.socket.once('close', quietAborts.end);
    this.socket.destroy();
  }

  /**
   * Node timed out a request on this connection. When the connection was not read from
   * within the last `timeoutMs` (or is not now), the time was the server's: the timeout is
   * deferred and true returned. The client then has `timeoutMs` from when reading resumed
   * to complete that request, else it gets `reply` (after every answer before it).
   */
  deferTimeout(timeoutMs: number, reply: Reply): boolean {
    if (this.closed || this.ended) return true;
    const reading: ReadingState = {
      held: () => this.holding || heldByNode(this.socket),
      heldUntil: () => this.heldUntil,
      ended: () => this.closed || this.ended,
      timedOut: () => {
        this.stall = undefined;
        this.admitError(reply);
      },
    };
    if (!DeferredTimeout.applies(reading, timeoutMs)) return false;
    if (this.stall === undefined) {
      const last = this.entries.at(-1)?.req;
      const pending = last !== undefined && !last.complete ? last : undefined;
      this.stall = new DeferredTimeout(reading, timeoutMs, pending);
    }
    return true;
  }

  private updateHold(): void {
    const hold = this.queueHold || this.memoryHold;
    if (hold === this.holding || this.closed) return;
    this.holding = hold;
    if (hold) {
      holdReading(this.socket);
    } else {
      this.heldUntil = Date.now();
      releaseReading(this.socket);
    }
  }

  private charge(bytes: number): void {
    this.held += bytes;
    this.options.memory.charge(this, bytes);
  }

  /** The connection is gone (or being closed): nothing more runs; what it held is freed. */
  private dropAll(): void {
    this.closed = true;
    this.status.gone = true;
    for (const entry of this.entries) drop(entry);
    this.entries.length = 0;
    this.stall?.cancel();
    this.stall = undefined;
    if (this.held !== 0) this.charge(-this.held);
    this.options.memory.leave(this);
  }

  /** Answers `reply` after every request before it, then closes the connection. */
  admitError(reply: Reply): void {
    if (this.closed || this.ended) return;
    this.ended = true;
    this.stall?.cancel();
    this.stall = undefined;
    let last = this.entries.at(-1);
    let freed = 0;
    while (last?.req !== undefined && !last.req.complete && last.state !== 'written') {
      drop(last);
      freed += last.cost;
      this.entries.pop();
      last = this.entries.at(-1);
    }
    this.entries.push({
      req: undefined,
      res: undefined,
      work: undefined,
      settle: undefined,
      exclusive: true,
      expectContinue: false,
      state: 'ready',
      reply,
      cost: smallAnswerBytes,
    });
    this.charge(smallAnswerBytes - freed);
    this.pump();
  }

  private finished(entry: Entry): void {
    if (this.entries[0] !== entry) return;
    this.entries.shift();
    if (this.queueHold && this.entries.length <= this.options.maxQueued / 2) {
      this.queueHold = false;
      this.updateHold();
    }
    this.charge(-entry.cost);
    this.pump();
  }

  private pump(): void {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    do {
      this.pumpAgain = false;
      this.write();
      this.start();
    } while (this.pumpAgain);
    this.pumping = false;
  }

  /** Writes the answer at the head of the line; the next one waits for it to be sent. */
  private write(): void {
    const head = this.entries[0];
    if (this.closed || head?.state !== 'ready' || head.reply === undefined) return;
    head.state = 'written';
    if (head.res === undefined) {
      this.closed = true;
      this.endWith(rawErrorAnswer(head.reply));
      return;
    }
    const close = this.options.closing() || closesConnection(head.reply) || !this.socket.writable;
    // Node closes the connection after this answer: what waits behind it never runs.
    if (close) this.closed = true;
    const { status, body, headers, json } = head.reply;
    sendJson(head.res, status, body, close, headers, json);
  }

  /** Starts what may run now: a change alone at the head, reads side by side behind reads. */
  private start(): void {
    // Node ends the socket after an answer to a request that asked to close: nothing may
    // take effect that can no longer be answered.
    if (this.closed || !this.socket.writable) return;
    let inFlight = 0;
    for (let i = 0; i < this.entries.length; i++) {
      const entry = this.entries[i]!;
      if (entry.state === 'running' || (entry.state === 'ready' && i > 0)) inFlight++;
      if (entry.exclusive) {
        if (i === 0 && entry.state === 'waiting') this.run(entry);
        if (entry.state === 'waiting' || entry.state === 'running' || i > 0) return;
        continue;
      }
      if (entry.state !== 'waiting') continue;
      if (inFlight >= this.options.maxParallelReads) return;
      this.run(entry);
      inFlight++;
    }
  }

  private run(entry: Entry): void {
    entry.state = 'running';
    if (entry.expectContinue) entry.res?.writeContinue();
    const reply = entry.work!(this.status);
    if (reply instanceof Promise) {
      // Through the entry only: work that outlives its connection keeps none of it alive.
      reply.then(
        (value) => entry.settle?.(value),
        () => entry.settle?.(undefined),
      );
    } else {
      this.settle(entry, reply);
    }
  }

  private settle(entry: Entry, reply: Reply | undefined): void {
    if (entry.state !== 'running') return;
    if (reply === undefined) {
      // The connection can no longer be answered in order.
      this.socket.destroy();
      return;
    }
    entry.state = 'ready';
    entry.reply = reply;
    // The answer is held until the kernel took it: for a client that does not read, forever.
    const bytes = reply.json?.bytes ?? smallAnswerBytes;
    entry.cost += bytes;
    this.charge(bytes);
    this.pump();
  }

  /** A last answer straight to the socket, then a lingering close (RFC 9112 section 9.6). */
  private endWith(text: string): void {
    const { socket } = this;
    socket.on('error', () => socket.destroy());
    socket.end(text);
    setTimeout(() => socket.destroy(), this.options.lingerMs).unref();
  }
}
