/**
 * The supervisor's control channel: a unix socket carrying one JSON request line and one
 * JSON answer line per connection (contract.ts). `node supervisor.js reload|status` and
 * esteps' reload client are its clients.
 */
import { chmodSync, existsSync, unlinkSync } from 'node:fs';
import net from 'node:net';

import type { ControlAnswer, ControlRequest } from './contract.js';

const maxRequestBytes = 64 * 1024;

function readLine(socket: net.Socket, onLine: (line: string) => void, onTooLong: () => void) {
  let buffered = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffered += chunk;
    const end = buffered.indexOf('\n');
    if (end !== -1) {
      socket.removeAllListeners('data');
      onLine(buffered.slice(0, end));
    } else if (buffered.length > maxRequestBytes) {
      socket.removeAllListeners('data');
      onTooLong();
    }
  });
}

function parseRequest(line: string): ControlRequest | undefined {
  try {
    const value = JSON.parse(line) as { cmd?: unknown; file?: unknown };
    if (value.cmd === 'status') return { cmd: 'status' };
    if (value.cmd === 'reload' && typeof value.file === 'string') {
      return { cmd: 'reload', file: value.file };
    }
  } catch {
    // Falls through to "not a request".
  }
  return undefined;
}

/** Listens on `path` (replacing a stale socket file) and answers each request with `handle`. */
export function serveControl(
  path: string,
  handle: (request: ControlRequest) => Promise<ControlAnswer>,
): Promise<net.Server> {
  if (existsSync(path)) unlinkSync(path);
  const server = net.createServer((socket) => {
    socket.on('error', () => socket.destroy());
    const reply = (answer: ControlAnswer) => socket.end(`${JSON.stringify(answer)}\n`);
    readLine(
      socket,
      (line) => {
        const request = parseRequest(line);
        if (request === undefined) reply({ ok: false, error: 'not a supervisor request' });
        else
          void handle(request).then(reply, (err: unknown) =>
            reply({ ok: false, error: String(err) }),
          );
      },
      () => reply({ ok: false, error: 'request too long' }),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      chmodSync(path, 0o600);
      resolve(server);
    });
  });
}
