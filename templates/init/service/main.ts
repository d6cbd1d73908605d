/**
 * Your service: a Node.js HTTP server. esteps' supervisor runs it and hands it its code
 * version in SERVICE_VERSION; a hot patch starts the new code beside the old, and the old
 * drains when the supervisor says so (the `esteps:drain` message).
 */
import http from 'node:http';

const version = process.env.SERVICE_VERSION ?? 'dev';
const port = Number(process.env.PORT ?? 8080);

const server = http.createServer((req, res) => {
  const send = (status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  if (req.method === 'GET' && req.url === '/health') return send(200, { ok: true, version });
  if (req.method === 'GET' && req.url === '/') return send(200, { hello: 'world', version });
  return send(404, { ok: false, error: 'not found' });
});

server.listen(port, '0.0.0.0', () => {
  // Tells the supervisor this code is ready and handles `esteps:drain`.
  process.send?.({ type: 'esteps:ready', version });
});

function drain(): void {
  // Stop taking connections, let open requests finish, then leave.
  server.close(() => process.exit(0));
  server.closeIdleConnections();
  setTimeout(() => process.exit(0), 8000).unref();
}
process.on('message', (message: { type?: string }) => {
  if (message?.type === 'esteps:drain') drain();
});
process.on('SIGTERM', drain);
