/**
 * The HTTP server and its drain. Draining never races a client: the listening socket
 * closes first (no new connections), requests already on open keep-alive connections are
 * answered with `Connection: close`, and idle connections are left to the keep-alive
 * timeout that every response advertises (`Keep-Alive: timeout=N`), which clients that
 * honour it never race. Whatever is still open after the drain bound is closed.
 */
import http from 'node:http';
import net from 'node:net';
import type { Handler } from './app.js';

export interface ServerOptions {
  readonly keepAliveTimeoutMs: number;
  readonly drainTimeoutMs: number;
}

const clientErrors: Record<string, [number, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'request headers too large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'request timed out'],
  HPE_HEADERS_TIMEOUT: [408, 'request timed out'],
};

function answerClientError(err: NodeJS.ErrnoException, socket: net.Socket): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, message] = clientErrors[err.code ?? ''] ?? [400, 'malformed request'];
  answerRaw(socket, status, message);
}

/** A JSON error written straight to the socket, which then closes. */
function answerRaw(socket: net.Socket, status: number, message: string): void {
  const body = JSON.stringify({ ok: false, error: message });
  socket.on('error', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

export interface DrainableServer {
  readonly server: http.Server;
  /** Stops accepting and resolves once every connection has closed (or the bound passed). */
  drain(): Promise<void>;
  isDraining(): boolean;
}

export function createServer(handler: Handler, options: ServerOptions): DrainableServer {
  const server = http.createServer(
    {
      keepAliveTimeout: options.keepAliveTimeoutMs,
      requestTimeout: 30_000,
      headersTimeout: 10_000,
      // Node's own answer to a missing Host is not JSON; the handler gives ours.
      requireHostHeader: false,
    },
    handler,
  );
  server.keepAliveTimeout = options.keepAliveTimeoutMs;
  server.on('clientError', answerClientError);
  // Without a listener Node closes CONNECT requests without a word.
  server.on('connect', (_req: http.IncomingMessage, socket: net.Socket) =>
    answerRaw(socket, 405, 'method not allowed'),
  );
  let draining: Promise<void> | undefined;
  // Open connections and how many requests each is answering: Node's closeIdleConnections
  // skips connections that never carried a request, so we keep our own account.
  const active = new Map<net.Socket, number>();
  server.on('connection', (socket: net.Socket) => {
    active.set(socket, 0);
    socket.once('close', () => active.delete(socket));
  });
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const socket = req.socket;
    active.set(socket, (active.get(socket) ?? 0) + 1);
    res.once('close', () => {
      if (active.has(socket)) active.set(socket, Math.max(0, (active.get(socket) ?? 1) - 1));
    });
  });
  const closeIdle = () => {
    for (const [socket, requests] of active) if (requests === 0) socket.destroy();
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
