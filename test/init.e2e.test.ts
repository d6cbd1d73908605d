/**
 * `esteps init` where it cannot write, through the built CLI: onto a file, under a read-only
 * file system, and with a file where one of its folders goes. Each is WRITE_FAILED (exit 14),
 * never an internal error, and leaves the folder as it was (every file is written, or none).
 * `--name` names the stack.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/cli.js';

let home: string;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'esteps-init-'));
});

afterAll(async () => {
  await rm(home, { recursive: true, force: true });
});

const init = (args: string[]) => runCli(['init', ...args, '--json'], { cwd: home });

describe('esteps init', () => {
  it('refuses a file as its folder (WRITE_FAILED, exit 14)', async () => {
    await writeFile(join(home, 'afile'), 'mine\n');
    const run = await init(['afile']);
    expect(run.exitCode, run.stderr).toBe(14);
    expect(run.json.error).toMatchObject({ code: 'WRITE_FAILED' });
    expect(String((run.json.error as { message: string }).message)).toContain('is a file');
    expect(await readFile(join(home, 'afile'), 'utf8')).toBe('mine\n');
  });

  it('refuses a read-only file system (WRITE_FAILED, exit 14)', async () => {
    const run = await init(['/sys/esteps-init-test']);
    expect(run.exitCode, run.stderr).toBe(14);
    expect(run.json.error).toMatchObject({ code: 'WRITE_FAILED' });
    expect(String((run.json.error as { message: string }).message)).toMatch(
      /read-only|permission denied/,
    );
  });

  it('writes nothing when one write fails midway (a file where its service/ folder goes)', async () => {
    const dir = join(home, 'half');
    await mkdir(dir);
    await writeFile(join(dir, 'service'), 'a file, not a folder\n');
    const run = await init([dir]);
    expect(run.exitCode, run.stderr).toBe(14);
    expect(run.json.error).toMatchObject({ code: 'WRITE_FAILED' });
    expect(String((run.json.error as { message: string }).message)).toContain(
      'nothing was written',
    );
    expect(await readdir(dir)).toEqual(['service']);
  });

  it('names the stack with --name', async () => {
    const run = await init([join(home, 'named'), '--name', 'shop-api']);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.json).toMatchObject({ ok: true, stack: 'shop-api' });
    expect(await readFile(join(home, 'named', 'esteps.stack.ts'), 'utf8')).toContain(
      "name: 'shop-api'",
    );
    const bad = await init([join(home, 'bad'), '--name', 'Shop API']);
    expect(bad.exitCode).toBe(2);
    expect(bad.json.error).toMatchObject({ code: 'USAGE' });
  });
});
