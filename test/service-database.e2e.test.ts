/**
 * The service and a database that is late or goes away: it listens at once, answers 503
 * quickly while Postgres is unreachable, creates the database (several replicas racing),
 * and recovers by itself when Postgres returns, without a restart.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  call,
  databaseEnv,
  launchService,
  startService,
  waitDatabaseUp,
} from './service-harness.js';
import { freePort, removeTestResources } from './support/engine.js';
import { queryPostgres, startPostgres } from './support/postgres.js';

afterAll(async () => {
  await removeTestResources();
});

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  const value = await work();
  return { value, ms: Date.now() - started };
}

describe('a late or lost database', () => {
  it('starts before Postgres, answers 503 meanwhile, and is usable once it is up', async () => {
    const port = await freePort();
    const password = randomBytes(12).toString('hex');
    const env = databaseEnv({ host: '127.0.0.1', port, password });
    // Three replicas race to create the database and the table.
    const services = await Promise.all([startService(env), startService(env), startService(env)]);
    try {
      for (const svc of services) {
        const health = await call(`${svc.url}/user/health`);
        expect(health).toMatchObject({ status: 200, json: { ok: true, database: 'down' } });
        const early = await timed(() => call(`${svc.url}/user/early`));
        expect(early.value).toMatchObject({
          status: 503,
          json: { ok: false, error: 'database unavailable' },
        });
        expect(early.ms).toBeLessThan(1000);
      }
      await using pg = await startPostgres({ port });
      expect(pg.password).not.toBe(password);
      // The fixture generates its own password; give Postgres the one the services were
      // started with (until then they see authentication failures, and keep retrying).
      await queryPostgres(pg.connection, `ALTER USER postgres PASSWORD '${password}'`);
      await Promise.all(services.map((svc) => waitDatabaseUp(svc.url, 60_000)));
      const [first, second, third] = services.map((svc) => svc.url);
      expect(
        (await call(`${first}/user/late`, 'PUT', { fullname: 'Late', password: 'laterules' }))
          .status,
      ).toBe(201);
      expect((await call(`${second}/user/late`)).status).toBe(200);
      expect(
        (await call(`${third}/user/late`, 'PUT', { fullname: 'Late', password: 'laterules' }))
          .status,
      ).toBe(409);
      for (const svc of services) expect(svc.output()).not.toMatch(/"level":"error"/);
    } finally {
      await Promise.all(services.map((svc) => svc[Symbol.asyncDispose]()));
    }
  });

  it('answers 503 while Postgres restarts and recovers by itself', async () => {
    await using pg = await startPostgres();
    await using svc = await startService(databaseEnv(pg));
    await waitDatabaseUp(svc.url);
    const { json: before } = await call(`${svc.url}/user/health`);
    expect(
      (await call(`${svc.url}/user/keeper`, 'PUT', { fullname: 'Keeper', password: 'keeprules' }))
        .status,
    ).toBe(201);

    await pg.stop();
    // Every answer while the database is gone is quick; soon they are all 503s.
    let saw503 = false;
    for (let i = 0; i < 40 && !saw503; i++) {
      const { value, ms } = await timed(() => call(`${svc.url}/user/keeper`));
      expect(ms).toBeLessThan(7000);
      expect([200, 503]).toContain(value.status);
      saw503 = value.status === 503;
      if (!saw503) await new Promise((r) => setTimeout(r, 250));
    }
    expect(saw503).toBe(true);
    const health = await call(`${svc.url}/user/health`);
    expect(health).toMatchObject({ status: 200, json: { database: 'down' } });
    const quick = await timed(() =>
      call(`${svc.url}/user/keeper/login`, 'POST', { password: 'keeprules' }),
    );
    expect(quick.value.status).toBe(503);
    expect(quick.ms).toBeLessThan(1000);

    await pg.start();
    await pg.waitReady();
    await waitDatabaseUp(svc.url, 30_000);
    const after = await call(`${svc.url}/user/keeper`);
    expect(after).toMatchObject({ status: 200, json: { ok: true, fullname: 'Keeper' } });
    // Same process throughout: recovered without a restart.
    expect((await call(`${svc.url}/user/health`)).json?.pid).toBe(before?.pid);
    expect(svc.child.exitCode).toBeNull();
  });

  it('replicas started together on a fresh database are all ready at once, none backing off', async () => {
    await using pg = await startPostgres();
    const env = databaseEnv(pg);
    // Four processes create the database and the table at the same moment, as a new
    // container's two workers do on every first `up`.
    const services = await Promise.all([1, 2, 3, 4].map(() => startService(env)));
    try {
      await Promise.all(services.map((svc) => waitDatabaseUp(svc.url, 30_000)));
      for (const svc of services) {
        expect(svc.output()).toMatch(/"msg":"database ready"/);
        // A lost creation race is not a database that is down: no warning, no retry delay.
        expect(svc.output()).not.toMatch(/database not ready/);
      }
    } finally {
      await Promise.all(services.map((svc) => svc[Symbol.asyncDispose]()));
    }
  });

  it('answers 503 within the 5 s bound while Postgres hangs, and recovers', async () => {
    await using pg = await startPostgres();
    await using svc = await startService(databaseEnv(pg));
    await waitDatabaseUp(svc.url);
    const user = { fullname: 'Hung', password: 'hung-rules' };
    expect((await call(`${svc.url}/user/hung`, 'PUT', user)).status).toBe(201);
    // Paused, not stopped: connections stay open and nothing answers on them.
    await pg.container.pause();
    try {
      const read = await timed(() => call(`${svc.url}/user/hung`));
      expect(read.value).toMatchObject({
        status: 503,
        json: { ok: false, error: 'database unavailable' },
        headers: { 'retry-after': '1' },
      });
      expect(read.ms).toBeLessThan(5300);
      const login = await timed(() =>
        call(`${svc.url}/user/hung/login`, 'POST', { password: user.password }),
      );
      expect(login.value.status).toBe(503);
      expect(login.ms).toBeLessThan(5300);
    } finally {
      await pg.container.unpause();
    }
    await waitDatabaseUp(svc.url, 30_000);
    expect((await call(`${svc.url}/user/hung`)).status).toBe(200);
  });
});

describe('PUTs while Postgres hangs', () => {
  it('each answer 503 within the 5 s bound, not after the bounds of those before it', async () => {
    // The name check ran inside the hashing slot (one per core): each PUT waited for the
    // timeouts of those ahead of it, 503 after 5, 5, 10, 10, 15, 15, 20, 20 s (issue 24).
    await using pg = await startPostgres();
    await using svc = await startService(databaseEnv(pg));
    await waitDatabaseUp(svc.url);
    await pg.container.pause();
    try {
      const puts = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          timed(() =>
            call(`${svc.url}/user/hung-${i}`, 'PUT', { fullname: 'Hung', password: 'hung-rules' }),
          ),
        ),
      );
      const took = puts.map((p) => p.ms);
      console.log(`PUTs while Postgres hangs: ${took.join(', ')} ms`);
      for (const put of puts) {
        expect(put.value).toMatchObject({
          status: 503,
          json: { ok: false, error: 'database unavailable' },
          headers: { 'retry-after': '1' },
        });
      }
      expect(Math.max(...took)).toBeLessThan(6000);
    } finally {
      await pg.container.unpause();
    }
  });
});

describe('the database password from a file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'esteps-secret-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads PGPASSWORD_FILE, not the environment, and reaches Postgres with it', async () => {
    await using pg = await startPostgres();
    const secret = join(dir, 'db_password');
    writeFileSync(secret, `${pg.password}\n`, { mode: 0o600 });
    const { PGPASSWORD: _, ...env } = databaseEnv(pg);
    await using svc = await startService({
      ...env,
      PGPASSWORD: 'not-the-password',
      PGPASSWORD_FILE: secret,
    });
    await waitDatabaseUp(svc.url, 30_000);
    const created = await call(`${svc.url}/user/filed`, 'PUT', {
      fullname: 'Filed',
      password: 'filedrules',
    });
    expect(created.status).toBe(201);
    expect(svc.output()).not.toContain(pg.password);
  });

  it('exits 1 with one clear line when the file cannot be read, never logging a password', async () => {
    const missing = join(dir, 'missing');
    await using svc = await launchService({
      PGHOST: '127.0.0.1',
      PGPASSWORD: 'env-secret-value',
      PGPASSWORD_FILE: missing,
    });
    expect(await svc.exited).toBe(1);
    const lines = svc
      .output()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'error',
        msg: 'cannot start',
        code: 'CONFIG_INVALID',
        error: `cannot read the database password file PGPASSWORD_FILE=${missing} (ENOENT)`,
      }),
    ]);
    expect(svc.output()).not.toContain('env-secret-value');
  });
});
