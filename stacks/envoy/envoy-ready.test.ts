import { spawn } from 'node:child_process';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { envoyReadyCheck } from './envoy-ready.js';

/**
 * The check's own logic (bash, /dev/tcp, reading the status line) against a real HTTP server
 * that answers as Envoy's admin `/ready` is documented to. This proves what the script does
 * with such answers, not how Envoy answers: no Envoy runs on this machine.
 */
function run(command: string[]): Promise<{ exitCode: number | null; output: string }> {
  const [kind, file, ...args] = command;
  expect(kind).toBe('CMD');
  return new Promise((resolve) => {
    const child = spawn(file!, args);
    let output = '';
    child.stdout.on('data', (d) => {
      output += d;
    });
    child.stderr.on('data', (d) => {
      output += d;
    });
    child.on('exit', (exitCode) => resolve({ exitCode, output: output.trim() }));
  });
}

const servers: ReturnType<typeof createServer>[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

async function admin(
  status: number,
  body: string,
): Promise<{
  port: number;
  seen: { url?: string; version: string; headers: IncomingHttpHeaders }[];
}> {
  const seen: { url?: string; version: string; headers: IncomingHttpHeaders }[] = [];
  const server = createServer((req, res) => {
    seen.push({ url: req.url, version: req.httpVersion, headers: req.headers });
    res.writeHead(status, { 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, seen };
}

describe('envoyReadyCheck', () => {
  it('passes on 200 LIVE, asking GET /ready over HTTP/1.1 with Connection: close', async () => {
    const { port, seen } = await admin(200, 'LIVE\n');
    expect(await run(envoyReadyCheck(port))).toEqual({
      exitCode: 0,
      output: 'HTTP/1.1 200 OK LIVE',
    });
    expect(seen).toMatchObject([
      { url: '/ready', version: '1.1', headers: { connection: 'close', host: '127.0.0.1' } },
    ]);
  });

  it('fails on 503, printing the state', async () => {
    const { port } = await admin(503, 'PRE_INITIALIZING\n');
    expect(await run(envoyReadyCheck(port))).toEqual({
      exitCode: 1,
      output: 'HTTP/1.1 503 Service Unavailable PRE_INITIALIZING',
    });
  });

  it('fails while nothing listens on the admin port', async () => {
    const { port } = await admin(200, 'LIVE\n');
    servers.splice(0).forEach((s) => {
      s.close();
    });
    const result = await run(envoyReadyCheck(port));
    expect(result.exitCode).not.toBe(0);
    expect(result.output).toContain('Connection refused');
  });
});
