/**
 * The HTTP server and its drain. Requests on one connection take effect and are answered in
 * order (see pipeline.ts), also when an error about a later one, a CONNECT or the client's
 * half-close follows them. Draining never races a client: the listening socket closes first
 * (no new connections), requests already on open keep-alive connections are answered with
 * `Connection: close`, and idle connections are left to the keep-alive timeout that every
 * response advertises (`Keep-Alive: timeout=N`), which clients that honour it never race.
 * Whatever is still open after the drain bound is closed.
 */
import http from 'node:http';
import net from 'node:net';
import type { Handler } from './app.js';
import { ConnectionMemory } from './connection-memory.js';
import type { Reply } from './http-io.js';
import { log } from './log.js';
import { ConnectionPipeline, type PipelineOptions } from './pipeline.js';
import { allMethods } from './route.js';

export interface ServerOptions {
  readonly keepAliveTimeoutMs: number;
  readonly drainTimeoutMs: number;
  /** Bound on what all connections hold together (connection-memory.ts). */
  readonly connectionMemoryBytes: number;
}

/** Node's bound on a request's headers arriving (from the request's first byte). */
const headersTimeoutMs = 10_000;

const timeouts = new Set(['ERR_HTTP_REQUEST_TIMEOUT', 'HPE_HEADERS_TIMEOUT']);

const clientErrors: Record<string, [number, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'request headers too large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'request timed out'],
  HPE_HEADERS_TIMEOUT: [408, 'request timed out'],
  HPE_INVALID_EOF_STATE: [400, 'request ended before it was complete'],
};

const error = (status: number, message: string, headers?: Record<string, string>): Reply => ({
  status,
  body: { ok: false, error: message },
  headers,
});

const expectationFailed = error(417, 'only the expectation 100-continue is supported');

/** What a request still unanswered at the end of a drain gets. */
const restarting = error(503, 'service restarting, retry', {
  'retry-after': '1',
  connection: 'close',
});

/**
 * How long before the drain's bound every request still waiting is answered 503 (the rest
 * of the bound lets those answers go out before what is left is closed).
 */
export const drainSweepMs = 500;

/** Bounds per connection; see pipeline.ts. */
const pipelineLimits = { maxQueued: 32, maxParallelReads: 16 };

export interface DrainableServer {
  readonly server: http.Server;
  /** Stops accepting and resolves once every connection has closed (or the bound passed). */
  drain(): Promise<void>;
  isDraining(): boolean;
}

export function createServer(handler: Handler, options: ServerOptions): DrainableServer {
  const server = http.createServer({
    keepAliveTimeout: options.keepAliveTimeoutMs,
    requestTimeout: 30_000,
    headersTimeout: headersTimeoutMs,
    // Node looks for requests past those bounds every 30 s by default: a slow client could
    // then hold a connection for 40 s, not 10.
    connectionsCheckingInterval: 1000,
    // Node's own answer to a missing Host is not JSON; the handler gives ours.
    requireHostHeader: false,
  });
  server.keepAliveTimeout = options.keepAliveTimeoutMs;
  // By default Node ends a connection as soon as the client half-closes it, answers still
  // pending (lib/_http_server.js, socketOnEnd); this way it answers them, then closes.
  (server as http.Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;

  let draining: Promise<void> | undefined;
  const memory = new ConnectionMemory({
    maxBytes: options.connectionMemoryBytes,
    onShed: (closed, freedBytes, totalBytes) =>
      log('warn', 'closed the connections holding the most memory', {
        closed,
        freedBytes,
        heldBytes: totalBytes,
        boundBytes: options.connectionMemoryBytes,
      }),
  });
  const pipelineOptions: PipelineOptions = {
    ...pipelineLimits,
    closing: () => draining !== undefined,
    lingerMs: options.keepAliveTimeoutMs,
    memory,
  };
  // Every open connection: Node's closeIdleConnections skips connections that never
  // carried a request, so we keep our own account.
  const pipelines = new Map<net.Socket, ConnectionPipeline>();
  const pipelineOf = (socket: net.Socket): ConnectionPipeline => {
    let pipeline = pipelines.get(socket);
    if (pipeline === undefined) {
      pipeline = new ConnectionPipeline(socket, pipelineOptions);
      pipelines.set(socket, pipeline);
      socket.once('close', () => pipelines.delete(socket));
    }
    return pipeline;
  };

  server.on('connection', pipelineOf);
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) =>
    pipelineOf(req.socket).admit(req, res, (client) => handler(req, client)),
  );
  // `Expect: 100-continue`: the 100 goes out when the request's turn comes.
  server.on('checkContinue', (req: http.IncomingMessage, res: http.ServerResponse) =>
    pipelineOf(req.socket).admit(req, res, (client) => handler(req, client), true),
  );
  server.on('checkExpectation', (req: http.IncomingMessage, res: http.ServerResponse) =>
    pipelineOf(req.socket).admit(req, res, () => expectationFailed),
  );
  server.on('clientError', (err: NodeJS.ErrnoException, socket: net.Socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const [status, message] = clientErrors[err.code ?? ''] ?? [400, 'malformed request'];
    const reply = error(status, message);
    // Not the client's delay when this server had stopped reading from it (pipeline.ts).
    if (timeouts.has(err.code ?? '') && pipelineOf(socket).deferTimeout(headersTimeoutMs, reply)) {
      return;
    }
    pipelineOf(socket).admitError(reply);
  });
  // Without a listener Node closes CONNECT requests without a word.
  server.on('connect', (_req: http.IncomingMessage, socket: net.Socket) =>
    pipelineOf(socket).admitError(error(405, 'method not allowed', { allow: allMethods })),
  );

  const closeIdle = () => {
    for (const [socket, pipeline] of pipelines) if (pipeline.idle) socket.destroy();
  };
  const drain = () => {
    draining ??= new Promise<void>((resolve) => {
      // Past the advertised keep-alive time no well-behaved client reuses an idle
      // connection; this also closes connections that never sent a request.
      const idleTimer = setTimeout(closeIdle, options.keepAliveTimeoutMs + 500);
      // Every accepted request gets an answer, if only a 503: nothing is closed under it.
      const sweepTimer = setTimeout(() => {
        for (const pipeline of pipelines.values()) pipeline.abandon(restarting);
      }, options.drainTimeoutMs - drainSweepMs);
      const timer = setTimeout(() => {
        server.closeAllConnections();
        resolve();
      }, options.drainTimeoutMs);
      // net's close, not http's: since Node 19 http.Server#close also drops idle keep-alive
      // connections at once, which races a client about to reuse one.
      net.Server.prototype.close.call(server, () => {
        clearTimeout(idleTimer);
        clearTimeout(sweepTimer);
        clearTimeout(timer);
        resolve();
      });
    });
    return draining;
  };
  return { server, drain, isDraining: () => draining !== undefined };
}
