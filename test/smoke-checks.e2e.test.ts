/**
 * A stack's own smoke checks, as code of the user's can misbehave, through the built CLI
 * against a running service: a check that never settles fails as SMOKE_FAILED (exit 8) naming
 * it, within the stack's `smoke.timeoutMs`, with one JSON document; code that throws outside
 * `t.check` is SMOKE_FAILED too, never an internal error; the first Ctrl-C ends a running
 * check and the cleanups run (what the checks created is gone); a stack file whose top-level
 * code never settles is STACK_LOAD_FAILED (exit 3), not Node's silent exit 13.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath, runCli } from './support/cli.js';
import { removeProject, stackImage, uniqueName } from './support/engine.js';

const project = uniqueName('e2e-smokechecks');
let dir: string;
let baseUrl: string;

/** A service that keeps items in memory: PUT /item/NAME, DELETE /item/NAME, GET /items. */
const server = `
const items = new Set();
require('node:http').createServer((req, res) => {
  const name = req.url.slice('/item/'.length);
  if (req.method === 'PUT') items.add(name);
  if (req.method === 'DELETE') items.delete(name);
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ ok: true, items: [...items] }));
}).listen(5000, '0.0.0.0');
`;

/** The checks: MODE (an environment variable of the esteps process) says how they misbehave. */
const stackFile = `import { defineStack } from 'esteps';

const mode = process.env.SMOKE_MODE ?? 'pass';
export default defineStack({
  name: 'smokechecks',
  services: {
    web: {
      image: { env: 'ESTEPS_NODE_IMAGE', default: 'node:20-bookworm-slim' },
      command: ['/usr/local/bin/node', '-e', ${JSON.stringify(server)}],
      ports: [{ hostPort: 0, containerPort: 5000 }],
      httpProbe: { path: '/items', containerPort: 5000 },
      restart: 'no',
    },
  },
  smoke: {
    service: 'web',
    timeoutMs: Number(process.env.SMOKE_TIMEOUT_MS ?? 1500),
    checks: async (t) => {
      t.cleanup(() => t.request('DELETE', '/item/made-by-smoke'));
      await t.check('create', '200', async () => {
        const r = await t.request('PUT', '/item/made-by-smoke');
        if (r.status !== 200) throw new Error(String(r.status));
      });
      if (mode === 'throw') {
        const found = undefined as unknown as { uuid: string };
        void found.uuid;
      }
      if (mode === 'hang') await t.check('hangs', 'an answer', () => new Promise(() => {}));
      await t.check('list', '200', async () => {
        const r = await t.request('GET', '/items');
        if (r.status !== 200) throw new Error(String(r.status));
      });
    },
  },
});
`;

function esteps(args: string[], env: Record<string, string> = {}) {
  return runCli([...args, '-p', project], {
    cwd: dir,
    env: { XDG_CACHE_HOME: join(dir, '.cache'), ...env },
    timeoutMs: 120_000,
  });
}

async function items(): Promise<string[]> {
  const res = await fetch(`${baseUrl}/items`);
  return ((await res.json()) as { items: string[] }).items;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'esteps-smokechecks-'));
  await writeFile(join(dir, 'esteps.stack.ts'), stackFile);
  await writeFile(join(dir, '.env'), `ESTEPS_NODE_IMAGE=${stackImage('ESTEPS_NODE_IMAGE')}\n`);
  const up = await esteps(['up', '--json']);
  expect(up.exitCode, up.stderr).toBe(0);
  const services = up.json.services as { urls: string[] }[];
  baseUrl = new URL(services[0]!.urls[0]!).origin;
});

afterAll(async () => {
  await removeProject(project);
  await rm(dir, { recursive: true, force: true });
});

describe('a stack smoke check that misbehaves', () => {
  it('passes as written', async () => {
    const run = await esteps(['smoke', '--json']);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(await items()).toEqual([]);
  });

  it('fails a check that never settles, naming it, within the timeout (SMOKE_FAILED, exit 8)', async () => {
    const started = Date.now();
    const run = await esteps(['smoke', '--json'], { SMOKE_MODE: 'hang' });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(run.exitCode, `${run.stdout}\n${run.stderr}`).toBe(8);
    const error = run.json.error as { code: string; message: string; checks: unknown[] };
    expect(error.code).toBe('SMOKE_FAILED');
    expect(error.message).toContain('hangs');
    expect(error.checks).toEqual([
      expect.objectContaining({ name: 'create', ok: true }),
      expect.objectContaining({
        name: 'hangs',
        ok: false,
        received: 'no result within 1500 ms',
      }),
      expect.objectContaining({ name: 'list', ok: true }),
    ]);
    expect(await items(), 'the cleanup ran').toEqual([]);
    const text = await esteps(['smoke'], { SMOKE_MODE: 'hang' });
    expect(text.exitCode).toBe(8);
    expect(text.stderr).toMatch(/hangs\s+FAILED/);
  });

  it('fails code that throws outside t.check as a check, not as a bug (exit 8)', async () => {
    const run = await esteps(['smoke', '--json'], { SMOKE_MODE: 'throw' });
    expect(run.exitCode, `${run.stdout}\n${run.stderr}`).toBe(8);
    expect(run.json.error).toMatchObject({
      code: 'SMOKE_FAILED',
      checks: [
        expect.objectContaining({ name: 'create', ok: true }),
        expect.objectContaining({
          name: 'checks (outside t.check)',
          ok: false,
          received: expect.stringContaining("reading 'uuid'"),
        }),
      ],
    });
    expect(await items()).toEqual([]);
  });

  it('ends a running check at the first Ctrl-C and runs the cleanups (exit 130)', async () => {
    const child = execa('node', [cliPath, 'smoke', '-p', project, '--json'], {
      cwd: dir,
      env: {
        NO_COLOR: '1',
        XDG_CACHE_HOME: join(dir, '.cache'),
        SMOKE_MODE: 'hang',
        SMOKE_TIMEOUT_MS: '600000',
      },
      reject: false,
    });
    // The check before the hung one created its item: the hung check is running.
    const deadline = Date.now() + 60_000;
    while (!(await items()).includes('made-by-smoke')) {
      expect(Date.now(), 'smoke created its item').toBeLessThan(deadline);
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 300));
    const interrupted = Date.now();
    child.kill('SIGINT');
    const run = await child;
    expect(Date.now() - interrupted).toBeLessThan(5000);
    expect(run.exitCode, `${run.stdout}\n${run.stderr}`).toBe(130);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: false, error: { code: 'INTERRUPTED' } });
    expect(await items(), 'the cleanup ran').toEqual([]);
  });

  it('refuses a stack file whose top-level code never settles (STACK_LOAD_FAILED, exit 3)', async () => {
    const hung = await mkdtemp(join(tmpdir(), 'esteps-hung-'));
    try {
      await writeFile(
        join(hung, 'esteps.stack.ts'),
        `import { defineStack } from 'esteps';\nawait new Promise(() => {});\nexport default defineStack({ name: 'hung', services: { a: { image: 'a:1' } } });\n`,
      );
      const run = await runCli(['ps', '--json'], {
        cwd: hung,
        env: { XDG_CACHE_HOME: join(dir, '.cache') },
      });
      expect(run.exitCode, run.stderr).toBe(3);
      expect(run.json.error).toMatchObject({ code: 'STACK_LOAD_FAILED' });
      expect(String((run.json.error as { message: string }).message)).toContain('never finishes');
    } finally {
      await rm(hung, { recursive: true, force: true });
    }
  });
});
