/**
 * What the smoke, hotpatch and watch end-to-end tests share: the built CLI run from the repo
 * root, one step 1 project brought up per test file through esteps/testing (removed with its
 * volumes, image and secrets at the end, by the reaper if the process dies), an editable copy of
 * service/ under the git-ignored `.esteps/` (so esbuild still resolves `pg` from the repo's
 * node_modules), and a steady HTTP load that counts what failed.
 */
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { join } from 'node:path';
import { Pool } from 'undici';
import { up } from '../cli/testing/index.js';
import { type CliRun, runCli } from './support/cli.js';
import { repoRoot, uniqueName } from './support/engine.js';

export { type CliRun, cliPath } from './support/cli.js';

/** `node dist/esteps.js ...args` with cwd = repo root (whose `.env` names the images). */
export function esteps(args: readonly string[], env: Record<string, string> = {}) {
  return runCli(args, { env });
}

/** The `error` object of a failed `--json` run. */
export function jsonError(run: CliRun): Record<string, unknown> {
  return (run.json.error ?? {}) as Record<string, unknown>;
}

export interface UpProject {
  readonly project: string;
  /** `http://127.0.0.1:<published port>` of the user service. */
  readonly baseUrl: string;
  down(): Promise<void>;
}

/**
 * Step 1 brought up through esteps/testing (the API users test with): a project of its own
 * (`<prefix>-<random>`), an engine-picked port, torn down with its volumes and image (the
 * reaper removes it if the test process dies first).
 */
export async function upProject(prefix: string): Promise<UpProject> {
  const stack = await up({ stack: 'step1', projectPrefix: prefix, cwd: repoRoot });
  return {
    project: stack.project,
    baseUrl: stack.url('usersvc'),
    down: async () => void (await stack.down()),
  };
}

export interface ServiceCopy {
  /** What to pass as `--source`. */
  readonly dir: string;
  /** Rewrites service/<file> with `edit` applied to its current text. */
  edit(file: string, edit: (text: string) => string): Promise<void>;
  remove(): Promise<void>;
}

/** A copy of the repo's service/ at `.esteps/tmp-<random>/service/`. */
export async function copyService(): Promise<ServiceCopy> {
  const dir = join(repoRoot, '.esteps', uniqueName('tmp'));
  await mkdir(dir, { recursive: true });
  await cp(join(repoRoot, 'service'), join(dir, 'service'), { recursive: true });
  return {
    dir,
    async edit(file, edit) {
      const path = join(dir, 'service', 'usersvc', file);
      const before = await readFile(path, 'utf8');
      const after = edit(before);
      if (after === before) throw new Error(`editing service/usersvc/${file} changed nothing`);
      await writeFile(path, after);
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** The health message the service answers with, replaced by `message` in service/usersvc/app.ts. */
export function setHealthMessage(text: string, message: string): string {
  return text.replace(/msg: '[^']*'/, `msg: '${message}'`);
}

export interface Health {
  readonly status: number;
  readonly msg?: string;
  readonly version?: string;
  readonly database?: string;
}

export async function health(baseUrl: string): Promise<Health> {
  const pool = new Pool(baseUrl, { connections: 1 });
  try {
    const res = await pool.request({
      path: '/user/health',
      method: 'GET',
      headersTimeout: 5000,
      bodyTimeout: 5000,
    });
    const body = (await res.body.json()) as Omit<Health, 'status'>;
    return { status: res.statusCode, ...body };
  } finally {
    await pool.close();
  }
}

/** PUT /user/<name> with a fixed password; the status it answered. */
export async function createUser(baseUrl: string, name: string): Promise<number> {
  const pool = new Pool(baseUrl, { connections: 1 });
  try {
    const res = await pool.request({
      path: `/user/${name}`,
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ fullname: `Test ${name}`, password: 'test-password-1' }),
      headersTimeout: 10_000,
      bodyTimeout: 10_000,
    });
    await res.body.dump();
    return res.statusCode;
  } finally {
    await pool.close();
  }
}

export interface LoadReport {
  readonly sent: number;
  readonly ok: number;
  readonly failed: number;
  /** Up to 10 distinct failure descriptions. */
  readonly failures: readonly string[];
  readonly durationMs: number;
}

export interface Load {
  stop(): Promise<LoadReport>;
}

/** One GET on a connection of its own (no keep-alive), bounded at 5 s; resolves with its status. */
function getOnNewConnection(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 5 s')));
    req.on('error', reject);
  });
}

/**
 * A steady open-loop load: `ratePerSecond` GETs of `paths` (round-robin) on keep-alive
 * connections, or each on a new connection (`newConnections`), each expected to answer 200.
 * Bounded: stops by itself after `maxMs`, and each request after 5 s.
 */
export function startLoad(
  baseUrl: string,
  paths: readonly string[],
  ratePerSecond: number,
  maxMs = 60_000,
  { newConnections = false } = {},
): Load {
  const pool = new Pool(baseUrl, { connections: 16, pipelining: 1 });
  const started = performance.now();
  const inflight = new Set<Promise<void>>();
  const failures = new Set<string>();
  let sent = 0;
  let ok = 0;
  let failed = 0;
  const fire = () => {
    const path = paths[sent % paths.length] ?? '/user/health';
    sent += 1;
    const status = newConnections
      ? getOnNewConnection(`${baseUrl}${path}`)
      : pool
          .request({ path, method: 'GET', headersTimeout: 5000, bodyTimeout: 5000 })
          .then(async (res) => {
            await res.body.dump();
            return res.statusCode;
          });
    const one = status
      .then((statusCode) => {
        if (statusCode === 200) ok += 1;
        else {
          failed += 1;
          failures.add(`${path}: HTTP ${statusCode}`);
        }
      })
      .catch((err: Error) => {
        failed += 1;
        failures.add(`${path}: ${(err as { code?: string }).code ?? ''} ${err.message}`);
      })
      .finally(() => inflight.delete(one));
    inflight.add(one);
  };
  // Ticks every 10 ms and catches up to the schedule, so timer jitter does not lower the rate.
  const timer = setInterval(() => {
    const elapsedMs = performance.now() - started;
    if (elapsedMs > maxMs) clearInterval(timer);
    const due = Math.floor((elapsedMs / 1000) * ratePerSecond);
    while (sent < due && elapsedMs <= maxMs) fire();
  }, 10);
  return {
    async stop() {
      clearInterval(timer);
      const durationMs = Math.round(performance.now() - started);
      await Promise.all(inflight);
      await pool.close();
      return { sent, ok, failed, failures: [...failures].slice(0, 10), durationMs };
    },
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` every 250 ms until it returns true; throws `what` after `timeoutMs`. */
export async function eventually(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await sleep(250);
  }
}
