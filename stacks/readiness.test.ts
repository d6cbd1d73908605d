import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { probePasses, readinessScript } from './readiness.js';

const servers: ReturnType<typeof createServer>[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

async function serve(status: number, body: string): Promise<number> {
  const server = createServer((_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(body);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

/** The script as a container's `node -e` runs it (here: this machine's node, same code). */
async function runScript(port: number, expectJson: Record<string, string | boolean> = {}) {
  const script = readinessScript({
    path: '/health',
    containerPort: port,
    timeoutMs: 1,
    expectJson,
  });
  return new Promise<{ status: number | null; stdout: string }>((resolve) => {
    const child = spawn(process.execPath, ['-e', script]);
    let stdout = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.on('exit', (status) => resolve({ status, stdout: stdout.trim() }));
  });
}

describe('probePasses', () => {
  it('accepts any 2xx answer when the probe expects nothing', () => {
    expect(probePasses(200, 'OK', {})).toBe(true);
    expect(probePasses(204, '{"ok":false}', {})).toBe(true);
    expect(probePasses(503, 'OK', {})).toBe(false);
  });

  it('accepts a JSON answer carrying every expected field', () => {
    const expected = { ok: true, database: 'up' };
    expect(probePasses(200, '{"ok":true,"database":"up","version":"abc"}', expected)).toBe(true);
  });

  it('waits while a field differs, is missing, or the answer is not JSON', () => {
    const expected = { ok: true, database: 'up' };
    expect(probePasses(200, '{"ok":true,"database":"down"}', expected)).toBe(false);
    expect(probePasses(200, '{"ok":true}', expected)).toBe(false);
    expect(probePasses(200, '{"ok":"true","database":"up"}', expected)).toBe(false);
    expect(probePasses(200, 'OK', expected)).toBe(false);
    expect(probePasses(200, 'null', expected)).toBe(false);
  });
});

describe('readinessScript', () => {
  it('exits 0 on an answer that passes the probe', async () => {
    const port = await serve(200, '{"ok":true,"database":"up"}');
    expect(await runScript(port, { ok: true, database: 'up' })).toEqual({ status: 0, stdout: '' });
  });

  it('exits 1 and prints what it got otherwise', async () => {
    const port = await serve(200, '{"ok":true,"database":"starting"}');
    expect(await runScript(port, { ok: true, database: 'up' })).toEqual({
      status: 1,
      stdout: '200 {"ok":true,"database":"starting"}',
    });
    servers.splice(0).forEach((s) => {
      s.close();
    });
    expect(await runScript(port)).toEqual({ status: 1, stdout: 'ECONNREFUSED' });
  });

  it('is one line, carrying the one readiness rule', () => {
    const script = readinessScript({ path: '/', containerPort: 1, timeoutMs: 1, expectJson: {} });
    expect(script).not.toContain('\n');
    expect(script).toContain(probePasses.name);
  });
});
