import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  codeVersion,
  parseControlAnswer,
  releaseFile,
  reloadClientInput,
  reloadClientScript,
  sendControl,
  supervisorSocketPath,
} from './contract.js';
import { serveControl } from './control.js';

describe('parseControlAnswer', () => {
  it('reads the one JSON line the supervisor answers, the last when output came before it', () => {
    const line =
      '{"ok":true,"version":"abcdef012345","previousVersion":"0123456789ab","durationMs":12}';
    expect(parseControlAnswer(`${line}\n`)).toEqual({
      ok: true,
      version: 'abcdef012345',
      previousVersion: '0123456789ab',
      durationMs: 12,
    });
    expect(
      parseControlAnswer('warming up\n{"ok":false,"error":"boom","output":"trace"}\n'),
    ).toEqual({ ok: false, error: 'boom', output: 'trace' });
  });

  it('returns undefined for empty, non-JSON, or JSON without a boolean ok', () => {
    for (const text of ['', '  \n', 'Error: Cannot find module', 'null', '{"ok":"yes"}', '[1,2]']) {
      expect(parseControlAnswer(text)).toBeUndefined();
    }
  });
});

describe('the contract', () => {
  it('names versions and release files the same way on both sides', () => {
    expect(codeVersion('abc')).toBe('ba7816bf8f01');
    expect(releaseFile('/app/service.js', 'ba7816bf8f01')).toBe(
      '/app/releases/service-ba7816bf8f01.js',
    );
  });

  it('sends a request and reads the answer over a real unix socket', async () => {
    const socket = join(mkdtempSync(join(tmpdir(), 'esteps-control-')), 'control.sock');
    const server = await serveControl(socket, async (request) => ({ ok: true, echo: request }));
    try {
      expect(await sendControl(net, socket, { cmd: 'status' }, 2000)).toEqual({
        ok: true,
        echo: { cmd: 'status' },
      });
    } finally {
      server.close();
    }
    expect(await sendControl(net, socket, { cmd: 'status' }, 2000)).toMatchObject({
      ok: false,
      error: expect.stringContaining('not reachable'),
    });
  });

  it('ships a reload client that finds the socket where the supervisor does: SUPERVISOR_SOCKET', async () => {
    const socket = join(mkdtempSync(join(tmpdir(), 'esteps-control-')), 'moved.sock');
    expect(supervisorSocketPath({ SUPERVISOR_SOCKET: socket })).toBe(socket);
    expect(supervisorSocketPath({})).toBe('/tmp/esteps-supervisor.sock');
    const server = await serveControl(socket, async (request) => ({ ok: true, got: request }));
    try {
      const out = await new Promise<string>((resolve, reject) => {
        const child = spawn('node', ['-e', reloadClientScript()], {
          env: { ...process.env, SUPERVISOR_SOCKET: socket },
        });
        let text = '';
        child.stdout.on('data', (d: Buffer) => {
          text += d;
        });
        child.on('exit', () => resolve(text));
        child.on('error', reject);
        child.stdin.write(reloadClientInput('/app/releases/service-z.js'));
      });
      expect(parseControlAnswer(out)).toEqual({
        ok: true,
        got: { cmd: 'reload', file: '/app/releases/service-z.js' },
      });
    } finally {
      server.close();
    }
  }, 15_000);

  it('ships a reload client that node runs as it is: its input on stdin, one answer line out', async () => {
    const socket = join(mkdtempSync(join(tmpdir(), 'esteps-control-')), 'control.sock');
    const server = await serveControl(socket, async (request) => ({ ok: true, got: request }));
    try {
      const script = reloadClientScript(socket);
      expect(() => new Function('require', 'process', script)).not.toThrow();
      const out = await new Promise<string>((resolve, reject) => {
        const child = spawn('node', ['-e', script]);
        let text = '';
        child.stdout.on('data', (d: Buffer) => {
          text += d;
        });
        child.on('exit', () => resolve(text));
        child.on('error', reject);
        child.stdin.write(reloadClientInput('/app/releases/service-x.js'));
      });
      expect(parseControlAnswer(out)).toEqual({
        ok: true,
        got: { cmd: 'reload', file: '/app/releases/service-x.js' },
      });
    } finally {
      server.close();
    }
    // Given the code too, it writes the release, then asks for the reload.
    const dir = mkdtempSync(join(tmpdir(), 'esteps-release-'));
    const release = join(dir, 'service-y.js');
    const second = await serveControl(socket, async (request) => ({ ok: true, got: request }));
    // Asynchronous: the server answering it runs in this process.
    const run = (input: Buffer) =>
      new Promise<string>((resolve, reject) => {
        const child = spawn('node', ['-e', reloadClientScript(socket)]);
        let text = '';
        child.stdout.on('data', (d: Buffer) => {
          text += d;
        });
        child.on('exit', () => resolve(text));
        child.on('error', reject);
        child.stdin.write(input);
      });
    try {
      const data = Buffer.from('code();');
      const out = await run(reloadClientInput(release, data));
      expect(parseControlAnswer(out)).toMatchObject({
        ok: true,
        got: { cmd: 'reload', file: release },
        writeMs: expect.any(Number),
      });
      expect(readFileSync(release, 'utf8')).toBe('code();');
      // A write that fails asks for nothing.
      const failed = await run(reloadClientInput(join(dir, 'no', 'such.js'), data));
      expect(parseControlAnswer(failed)).toMatchObject({ ok: false, writeFailed: true });
    } finally {
      second.close();
    }
    // Stdin closing first: the client asks for nothing and exits 2.
    expect(() => execFileSync('node', ['-e', reloadClientScript(socket)], { input: '' })).toThrow(
      expect.objectContaining({ status: 2 }),
    );
    // Four Node.js starts: more than the default 5 s on a busy machine.
  }, 30_000);
});
