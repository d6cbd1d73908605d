import { execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { probePasses, readinessScript } from './readiness.js';

describe('probePasses', () => {
  it('accepts any 2xx answer when the probe expects nothing, and no other status', () => {
    expect(probePasses(200, 'OK', {})).toBe(true);
    expect(probePasses(204, '{"ok":false}', {})).toBe(true);
    expect(probePasses(503, '{"ok":true}', {})).toBe(false);
    expect(probePasses(301, '', {})).toBe(false);
  });

  it('accepts a JSON answer carrying every expected field', () => {
    const expected = { ok: true, database: 'up' };
    expect(probePasses(200, '{"ok":true,"database":"up","version":"abc"}', expected)).toBe(true);
    const long = JSON.stringify({ ok: true, database: 'up', padding: 'x'.repeat(2000) });
    expect(probePasses(200, long, expected)).toBe(true);
  });

  it('waits while a field differs, is missing, or the answer is not JSON', () => {
    const expected = { ok: true, database: 'up' };
    for (const body of [
      '{"ok":true,"database":"down"}',
      '{"ok":true}',
      '{"ok":"true","database":"up"}',
      'OK',
      'null',
    ]) {
      expect(probePasses(200, body, expected)).toBe(false);
    }
  });
});

describe('readinessScript', () => {
  it('runs the same rule as a node -e health check against a real server', async () => {
    let answer = { status: 200, body: '{"ok":true,"database":"down"}' };
    const server = createServer((_req, res) => {
      res.writeHead(answer.status);
      res.end(answer.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const script = readinessScript({
      path: '/health',
      containerPort: port,
      timeoutMs: 1000,
      expectJson: { ok: true, database: 'up' },
    });
    const run = () =>
      new Promise<number>((resolve) => {
        const child = spawn('node', ['-e', script]);
        child.on('exit', (code: number) => resolve(code));
      });
    try {
      expect(await run()).toBe(1);
      answer = { status: 200, body: '{"ok":true,"database":"up"}' };
      expect(await run()).toBe(0);
    } finally {
      server.close();
    }
    expect(() => execFileSync('node', ['-e', script.replace(String(port), '1')])).toThrow();
  });
  it('prints what it got when the probe does not pass: status and body, or the error', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(200);
      res.end('{"ok":true,"database":"starting"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const script = readinessScript({
      path: '/health',
      containerPort: port,
      timeoutMs: 1000,
      expectJson: { ok: true, database: 'up' },
    });
    const run = () =>
      new Promise<{ code: number | null; stdout: string }>((resolve) => {
        const child = spawn('node', ['-e', script]);
        let stdout = '';
        child.stdout.on('data', (d) => {
          stdout += d;
        });
        child.on('exit', (code) => resolve({ code, stdout: stdout.trim() }));
      });
    try {
      expect(await run()).toEqual({ code: 1, stdout: '200 {"ok":true,"database":"starting"}' });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    expect(await run()).toEqual({ code: 1, stdout: 'ECONNREFUSED' });
  });
});
