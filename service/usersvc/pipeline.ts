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
 * (64 KiB of requests).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type net from 'node:net';
import { closesConnection, type Reply, rawErrorAnswer, sendJson } from './http-io.js';

/** Works out one answer; must neither throw nor reject. */
export type Work = () => Reply | Promise<Reply>;

export interface PipelineOptions {
  /** Requests waiting on one connection above which reading from it stops. */
  readonly maxQueued: number;
  /** Reads (GET, HEAD) started and not yet written, on one connection. */
  readonly maxParallelReads: number;
  /** True while every answer should close its connection (the server drains). */
  readonly closing: () => boolean;
  /** How long a connection closed after an error answer waits for the client to close it. */
  readonly lingerMs: number;
}

interface Entry {
  /** Undefined for an error answer written straight to the socket. */
  readonly req: IncomingMessage | undefined;
  readonly res: ServerResponse | undefined;
  readonly work: Work;
  /** A request that may change something, or an error answer: nothing runs beside it. */
  readonly exclusive: boolean;
  readonly expectContinue: boolean;
  state: 'waiting' | 'running' | 'ready' | 'written' | 'dropped';
  reply?: Reply;
}

/**
 * Node's http server offers no public way to stop parsing pipelined requests: pausing the
 * socket does not stop a parser that consumes it directly. It does honour its own flow
 * control flag, `socket._paused` (lib/_http_server.js, the same since Node 0.10: set when the
 * client does not read its answers, the parser paused after the chunk in hand, cleared on
 * `drain`), so we raise and lower that same flag. test/service-http.e2e.test.ts measures the
 * memory a flood takes, and would catch a Node that stopped honouring it.
 */
interface FlowControlled {
  _paused?: boolean;
  parser?: { resume(): void } | null;
}

function holdReading(socket: net.Socket): void {
  const flow = socket as net.Socket & FlowControlled;
  if (flow._paused === true) return;
  flow._paused = true;
  socket.pause();
}

function releaseReading(socket: net.Socket): void {
  const flow = socket as net.Socket & FlowControlled;
  // While the client does not read its answers, Node holds the socket for its own reason.
  if (flow._paused !== true || socket.writableNeedDrain) return;
  flow._paused = false;
  flow.parser?.resume();
  socket.resume();
}

export class ConnectionPipeline {
  /** Requests not yet answered in full, in arrival order; the head is the oldest. */
  private readonly entries: Entry[] = [];
  /** Nothing more runs or is written: the connection closes. */
  private closed = false;
  /** An error answer was admitted: nothing is admitted after it. */
  private ended = false;
  private holding = false;
  private pumping = false;
  private pumpAgain = false;

  constructor(
    private readonly socket: net.Socket,
    private readonly options: PipelineOptions,
  ) {
    // Node resumes reading on `drain`; this listener runs after its own.
    socket.on('drain', () => {
      if (this.holding) holdReading(socket);
    });
    socket.once('close', () => {
      this.closed = true;
      for (const entry of this.entries) entry.state = 'dropped';
      this.entries.length = 0;
    });
  }

  /** True when no request is waiting for its answer. */
  get idle(): boolean {
    return this.entries.length === 0;
  }

  /** Queues one parsed request; `work` runs when its turn comes. */
  admit(req: IncomingMessage, res: ServerResponse, work: Work, expectContinue = false): void {
    if (this.closed || this.ended) return;
    const exclusive = expectContinue || (req.method !== 'GET' && req.method !== 'HEAD');
    const entry: Entry = { req, res, work, exclusive, expectContinue, state: 'waiting' };
    this.entries.push(entry);
    res.once('close', () => this.finished(entry));
    if (this.entries.length > this.options.maxQueued && !this.holding) {
      this.holding = true;
      holdReading(this.socket);
    }
    this.pump();
  }

  /** Answers `reply` after every request before it, then closes the connection. */
  admitError(reply: Reply): void {
    if (this.closed || this.ended) return;
    this.ended = true;
    let last = this.entries.at(-1);
    while (last?.req !== undefined && !last.req.complete && last.state !== 'written') {
      last.state = 'dropped';
      this.entries.pop();
      last = this.entries.at(-1);
    }
    this.entries.push({
      req: undefined,
      res: undefined,
      work: () => reply,
      exclusive: true,
      expectContinue: false,
      state: 'ready',
      reply,
    });
    this.pump();
  }

  private finished(entry: Entry): void {
    if (this.entries[0] !== entry) return;
    this.entries.shift();
    if (this.holding && this.entries.length <= this.options.maxQueued / 2) {
      this.holding = false;
      releaseReading(this.socket);
    }
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
    const reply = entry.work();
    if (reply instanceof Promise) {
      reply.then(
        (value) => this.settle(entry, value),
        () => this.socket.destroy(),
      );
    } else {
      this.settle(entry, reply);
    }
  }

  private settle(entry: Entry, reply: Reply): void {
    if (entry.state !== 'running') return;
    entry.state = 'ready';
    entry.reply = reply;
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
