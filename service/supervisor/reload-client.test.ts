import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseControlAnswer, reloadClientInput } from './contract.js';
import { serveControl } from './control.js';
import { reloadClientCommand } from './reload-client.js';

interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(command: string[], input: Buffer, env: NodeJS.ProcessEnv = process.env) {
  return new Promise<Ran>((resolve, reject) => {
    const [file, ...args] = command;
    const child = spawn(file!, args, { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
    });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
    child.on('error', reject);
    child.stdin.end(input);
  });
}

/** A PATH holding `sh` and `node` and nothing else: an image without perl. */
function pathWithoutPerl(): string {
  const dir = mkdtempSync(join(tmpdir(), 'esteps-no-perl-'));
  symlinkSync(process.execPath, join(dir, 'node'));
  symlinkSync('/bin/sh', join(dir, 'sh'));
  return dir;
}

describe('the reload client that starts no Node (perl, with Node as the fallback)', () => {
  const variants = [
    // Only the Node client can time its write (perl-base has no clock finer than a second).
    ['perl', process.env, undefined],
    ['node (no perl on PATH)', { ...process.env, PATH: pathWithoutPerl() }, expect.any(Number)],
  ] as const;

  for (const [name, env, writeMs] of variants) {
    it(`${name}: writes the code, asks for the reload, prints the supervisor's answer`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'esteps-reload-client-'));
      const socket = join(dir, 'control.sock');
      const server = await serveControl(socket, async (request) => ({ ok: true, got: request }));
      const command = reloadClientCommand(socket);
      try {
        // A release already in place: only the request, its path as given (quotes included).
        const asked = await run(command, reloadClientInput('/app/releases/a "b" é.js'), env);
        expect(asked.code).toBe(0);
        expect(parseControlAnswer(asked.stdout)).toEqual({
          ok: true,
          got: { cmd: 'reload', file: '/app/releases/a "b" é.js' },
        });
        // Given the code (any bytes), it writes the release first, mode 0644.
        const release = join(dir, 'service-x.js');
        const code = Buffer.from([0x63, 0x0a, 0x00, 0xff, 0x0d, 0x0a, 0x7b]);
        const wrote = await run(command, reloadClientInput(release, code), env);
        expect(parseControlAnswer(wrote.stdout)).toEqual({
          ok: true,
          got: { cmd: 'reload', file: release },
          ...(writeMs && { writeMs }),
        });
        expect(readFileSync(release)).toEqual(code);
        expect(statSync(release).mode & 0o777).toBe(0o644);
        // A write that fails asks for nothing.
        const failed = await run(command, reloadClientInput(join(dir, 'no', 'x.js'), code), env);
        expect(failed.code).toBe(1);
        expect(parseControlAnswer(failed.stdout)).toMatchObject({
          ok: false,
          writeFailed: true,
          error: expect.stringMatching(/no such file/i),
        });
      } finally {
        server.close();
      }
      // Stdin ending first (no input, or less code than announced): exit 2, nothing asked.
      expect((await run(command, Buffer.alloc(0), env)).code).toBe(2);
      expect((await run(command, Buffer.from('write 100 /x.js\nabc'), env)).code).toBe(2);
      // No supervisor: an answer that says so.
      const alone = await run(command, reloadClientInput('/app/x.js'), env);
      expect(alone.code).toBe(1);
      expect(parseControlAnswer(alone.stdout)).toMatchObject({
        ok: false,
        error: expect.stringContaining(`supervisor not reachable at ${socket}`),
      });
    }, 30_000);
  }

  it('finds the socket where the supervisor does: SUPERVISOR_SOCKET', async () => {
    const socket = join(mkdtempSync(join(tmpdir(), 'esteps-reload-client-')), 'moved.sock');
    const server = await serveControl(socket, async (request) => ({ ok: true, got: request }));
    try {
      const ran = await run(reloadClientCommand(), reloadClientInput('/app/y.js'), {
        ...process.env,
        SUPERVISOR_SOCKET: socket,
      });
      expect(parseControlAnswer(ran.stdout)).toMatchObject({ ok: true });
    } finally {
      server.close();
    }
  });
});
