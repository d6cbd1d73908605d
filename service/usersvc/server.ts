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
import type { Reply } from './http-io.js';
import { ConnectionPipeline, type PipelineOptions } from './pipeline.js';
import { allMethods } from './route.js';

export interface ServerOptions {
  readonly keepAliveTimeoutMs: number;
  readonly drainTimeoutMs: number;
}

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
    headersTimeout: 10_000,
    // Node's own answer to a missing Host is not JSON; the handler gives ours.
    requireHostHeader: false,
  });
  server.keepAliveTimeout = options.keepAliveTimeoutMs;
  // By default Node ends a connection as soon as the client half-closes it, answers still
  // pending (lib/_http_server.js, socketOnEnd); this way it answers them, then closes.
  (server as http.Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;

  let draining: Promise<void> | undefined;
  const pipelineOptions: PipelineOptions = {
    ...pipelineLimits,
    closing: () => draining !== undefined,
    lingerMs: options.keepAliveTimeoutMs,
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
    pipelineOf(req.socket).admit(req, res, () => handler(req)),
  );
  // `Expect: 100-continue`: the 100 goes out when the request's turn comes.
  server.on('checkContinue', (req: http.IncomingMessage, res: http.ServerResponse) =>
    pipelineOf(req.socket).admit(req, res, () => handler(req), true),
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
    pipelineOf(socket).admitError(error(status, message));
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
      const timer = setTimeout(() => {
        server.closeAllConnections();
        resolve();
      }, options.drainTimeoutMs);
      // net's close, not http's: since Node 19 http.Server#close also drops idle keep-alive
      // connections at once, which races a client about to reuse one.
      net.Server.prototype.close.call(server, () => {
        clearTimeout(idleTimer);
        clearTimeout(timer);
        resolve();
      });
    });
    return draining;
  };
  return { server, drain, isDraining: () => draining !== undefined };
}
