/**
 * The supervisor as the container runs it: reload under steady keep-alive load loses no
 * request, a reload to code that throws or never becomes ready leaves the old code serving
 * and reports why, and SIGTERM drains in-flight requests and exits 0 within its bound.
 */
import { appendFileSync, copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bundled,
  call,
  databaseEnv,
  loadTest,
  type RunningSupervisor,
  startSupervisor,
  waitDatabaseUp,
} from './service-harness.js';
import { removeTestResources } from './support/engine.js';
import { type PostgresFixture, queryPostgres, startPostgres } from './support/postgres.js';

let pg: PostgresFixture;

beforeAll(async () => {
  pg = await startPostgres();
});

afterAll(async () => {
  await pg?.[Symbol.asyncDispose]();
  await removeTestResources();
});

/** A copy of the bundled service with a different version (one comment line appended). */
async function variant(dir: string, tag: string): Promise<string> {
  const { service } = await bundled();
  const file = join(dir, `service-${tag}.js`);
  copyFileSync(service, file);
  appendFileSync(file, `\n// ${tag}\n`);
  return file;
}

/** The supervisor's warning about a draining worker that did not wait for its release. */
const notReleased = 'a draining worker exited without waiting for esteps:released';

async function healthVersion(sup: RunningSupervisor): Promise<unknown> {
  return (await call(`${sup.url}/user/health`)).json?.version;
}

/** Steady keep-alive GETs through undici (honours Keep-Alive hints) until `stop` is set. */
async function undiciLoad(url: string, until: Promise<unknown>) {
  const pool = new Pool(url, { connections: 10 });
  let done = false;
  void until.then(() => (done = true));
  const counts = { ok: 0, failed: [] as string[] };
  await Promise.all(
    Array.from({ length: 10 }, async () => {
      while (!done) {
        try {
          const res = await pool.request({ path: '/user/loaded', method: 'GET' });
          await res.body.text();
          if (res.statusCode === 200) counts.ok++;
          else counts.failed.push(`status ${res.statusCode}`);
        } catch (err) {
          counts.failed.push(String(err));
        }
      }
    }),
  );
  await pool.close();
  return counts;
}

/**
 * A new connection per request, one every 5 ms, each bounded (3 s), until `until` settles:
 * connections made while the workers switch must be answered too, not only kept-alive ones.
 */
async function newConnectionLoad(url: string, until: Promise<unknown>) {
  let done = false;
  void until.then(() => (done = true));
  const counts = { ok: 0, failed: [] as string[] };
  const pending: Promise<void>[] = [];
  while (!done) {
    pending.push(
      new Promise<void>((resolve) => {
        const req = http.get(`${url}/user/health`, { agent: false, timeout: 3000 }, (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode === 200) counts.ok++;
            else counts.failed.push(`status ${res.statusCode}`);
            resolve();
          });
        });
        req.on('timeout', () => req.destroy(new Error('no answer within 3 s')));
        req.on('error', (err) => {
          counts.failed.push(String(err));
          resolve();
        });
      }),
    );
    await new Promise((r) => setTimeout(r, 5));
  }
  await Promise.all(pending);
  return counts;
}

describe('supervisor', () => {
  it('runs the bundled code and reports its version', async () => {
    await using sup = await startSupervisor(databaseEnv(pg));
    const { version } = await bundled();
    expect(await healthVersion(sup)).toBe(version);
    const status = await sup.client('status');
    expect(status.code).toBe(0);
    expect(status.answer).toMatchObject({ ok: true, version, pid: sup.child.pid });
    expect(status.answer.workers).toEqual([{ pid: expect.any(Number), version, state: 'serving' }]);
  });

  it('reloads under steady keep-alive load without losing a request', async () => {
    await using sup = await startSupervisor(databaseEnv(pg));
    await waitDatabaseUp(sup.url);
    await call(`${sup.url}/user/loaded`, 'PUT', { fullname: 'Loaded', password: 'loadrules' });
    const [v2, v3] = [await variant(sup.dir, 'v2'), await variant(sup.dir, 'v3')];

    const cannon = loadTest({
      url: `${sup.url}/user/loaded`,
      connections: 50,
      duration: 10,
    });
    const undici = undiciLoad(sup.url, cannon);
    const reloads = [];
    for (const file of [v2, v3, v2]) {
      await new Promise((r) => setTimeout(r, 2500));
      reloads.push(await sup.client('reload', file));
    }
    const result = await cannon;
    const viaUndici = await undici;

    for (const reload of reloads) {
      expect(reload.code, reload.raw).toBe(0);
      expect(reload.answer).toMatchObject({ ok: true, durationMs: expect.any(Number) });
    }
    const versions = reloads.map((r) => r.answer.version);
    expect(versions[0]).not.toBe(versions[1]);
    expect(versions[2]).toBe(versions[0]);
    expect(result.requests.total).toBeGreaterThan(1000);
    expect({
      errors: result.errors,
      timeouts: result.timeouts,
      non2xx: result.non2xx,
      resets: result.resets,
    }).toEqual({ errors: 0, timeouts: 0, non2xx: 0, resets: 0 });
    expect(viaUndici.failed).toEqual([]);
    expect(viaUndici.ok).toBeGreaterThan(100);
    // The last reload's code serves, and is installed for restarts.
    expect(await healthVersion(sup)).toBe(reloads[2]!.answer.version);
    expect(readFileSync(sup.serviceFile).equals(readFileSync(v2))).toBe(true);
  });

  it('answers every request on a new connection while it reloads', async () => {
    await using sup = await startSupervisor({ ...databaseEnv(pg), SERVICE_WORKERS: '2' });
    await waitDatabaseUp(sup.url);
    const files = [await variant(sup.dir, 'nc2'), await variant(sup.dir, 'nc3')];
    let stop: () => void = () => undefined;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    const load = newConnectionLoad(sup.url, stopped);
    for (let i = 0; i < 8; i += 1) {
      await new Promise((r) => setTimeout(r, 400));
      expect((await sup.client('reload', files[i % 2]!)).answer).toMatchObject({ ok: true });
    }
    stop();
    const counts = await load;
    expect(counts.failed).toEqual([]);
    expect(counts.ok).toBeGreaterThan(200);
    expect(sup.output()).not.toContain(notReleased);
  });

  it('answers every PUT waiting for a hash across a reload: 201, or 503 with Retry-After', async () => {
    // A drain shorter than the queue of hashes: the old code closed what was still waiting
    // when its drain ended, with no answer (issue 24: 30 PUTs, 10 connections closed ~10 s
    // later). One hash at a time per worker, two workers, as in the image.
    await using sup = await startSupervisor({
      ...databaseEnv(pg),
      SERVICE_WORKERS: '2',
      DRAIN_TIMEOUT_MS: '3000',
    });
    await waitDatabaseUp(sup.url);
    const v2 = await variant(sup.dir, 'hashing-v2');
    const names = Array.from({ length: 30 }, (_, i) => `drained-${i}`);
    const puts = names.map((name) =>
      call(`${sup.url}/user/${name}`, 'PUT', { fullname: name, password: 'drained-rules' }).then(
        (answer) => ({ name, status: answer.status, retryAfter: answer.headers['retry-after'] }),
        (err: Error) => ({ name, status: 0, retryAfter: String(err) }),
      ),
    );
    await new Promise((r) => setTimeout(r, 1000));
    expect((await sup.client('reload', v2)).answer).toMatchObject({ ok: true });
    const answers = await Promise.all(puts);
    const byStatus = (status: number) => answers.filter((a) => a.status === status);
    console.log(
      `PUTs across a reload: ${byStatus(201).length} × 201, ${byStatus(503).length} × 503`,
    );
    const unanswered = answers.filter((a) => a.status !== 201 && a.status !== 503);
    expect(unanswered).toEqual([]);
    expect(byStatus(503).every((a) => a.retryAfter === '1')).toBe(true);
    // A 503 means not done: those users do not exist, and every 201 does.
    const { rows } = await queryPostgres(
      { ...pg.connection, database: 'users' },
      'SELECT username FROM users WHERE username = ANY($1::varchar[]) ORDER BY username',
      [names],
    );
    const created = byStatus(201).map((a) => a.name);
    expect(rows.map((r: { username: string }) => r.username)).toEqual([...created].sort());
  });

  it('warns when code exits after its drain without waiting for the release', async () => {
    await using sup = await startSupervisor(databaseEnv(pg));
    const text = readFileSync((await bundled()).service, 'utf8');
    expect(text).toContain('function released() {');
    const noRelease = join(sup.dir, 'no-release.js');
    // The service as it was before the release step: it exits as soon as it drained.
    writeFileSync(
      noRelease,
      text.replace('function released() {', 'function released() {\n  return Promise.resolve();'),
    );
    expect((await sup.client('reload', noRelease)).answer).toMatchObject({ ok: true });
    await new Promise((r) => setTimeout(r, 1000));
    expect(sup.output()).not.toContain(notReleased);
    const back = await variant(sup.dir, 'back');
    expect((await sup.client('reload', back)).answer).toMatchObject({ ok: true });
    for (let i = 0; i < 50 && !sup.output().includes(notReleased); i += 1) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(sup.output()).toContain(notReleased);
  });

  it('keeps the old code serving when the new code throws at start-up', async () => {
    await using sup = await startSupervisor(databaseEnv(pg));
    const before = await healthVersion(sup);
    const broken = join(sup.dir, 'broken.js');
    writeFileSync(
      broken,
      "console.error('about to fail');\nthrow new Error('boom at start-up');\n",
    );
    const reload = await sup.client('reload', broken);
    expect(reload.code).toBe(1);
    expect(reload.answer).toMatchObject({ ok: false, error: expect.stringMatching(/exited/) });
    expect(reload.answer.output).toContain('about to fail');
    expect(reload.answer.output).toContain('boom at start-up');
    expect(await healthVersion(sup)).toBe(before);
    const status = await sup.client('status');
    expect(status.answer.workers).toEqual([
      { pid: expect.any(Number), version: before, state: 'serving' },
    ]);
    expect(readFileSync(sup.serviceFile, 'utf8')).not.toContain('boom');
  });

  it('runs a reload in a standby worker started ahead, broken code included', async () => {
    await using sup = await startSupervisor(databaseEnv(pg));
    const standbyPids = async (): Promise<number[]> => {
      for (let i = 0; i < 100; i += 1) {
        const pids = (await sup.client('status')).answer.standby as number[];
        if (pids.length > 0) return pids;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`no standby worker started\n${sup.output()}`);
    };
    const waiting = await standbyPids();
    const v2 = await variant(sup.dir, 'standby-v2');
    const reload = await sup.client('reload', v2);
    expect(reload.answer).toMatchObject({ ok: true });
    const version = reload.answer.version;
    // A connection made as the answer leaves may still reach an old worker that is closing.
    for (let i = 0; i < 20 && (await healthVersion(sup)) !== version; i += 1);
    expect(await healthVersion(sup)).toBe(version);
    const status = await sup.client('status');
    // The new code runs in the process that was waiting, not in a newly forked one.
    expect(status.answer.workers).toContainEqual({
      pid: waiting[0],
      version,
      state: 'serving',
    });

    // A new standby is started for the next reload; code that throws in it is reported.
    const next = await standbyPids();
    expect(next).not.toContain(waiting[0]);
    const broken = join(sup.dir, 'broken-in-standby.js');
    writeFileSync(broken, "console.error('standby about to fail');\nthrow new Error('boom');\n");
    const failed = await sup.client('reload', broken);
    expect(failed.answer).toMatchObject({ ok: false, error: expect.stringMatching(/exited/) });
    expect(failed.answer.output).toContain('standby about to fail');
    expect(failed.answer.output).toContain('boom');
    expect(await healthVersion(sup)).toBe(version);
  });

  it('keeps the old code serving when the new code never becomes ready', async () => {
    await using sup = await startSupervisor({ ...databaseEnv(pg), READY_TIMEOUT_MS: '3000' });
    const before = await healthVersion(sup);
    const stuck = join(sup.dir, 'stuck.js');
    writeFileSync(stuck, "console.log('waiting forever');\nsetInterval(() => {}, 1000);\n");
    const started = Date.now();
    const reload = await sup.client('reload', stuck);
    expect(Date.now() - started).toBeLessThan(8000);
    expect(reload.code).toBe(1);
    expect(reload.answer).toMatchObject({
      ok: false,
      error: 'the new code was not ready within 3000 ms',
    });
    expect(reload.answer.output).toContain('waiting forever');
    expect(await healthVersion(sup)).toBe(before);
    const missing = await sup.client('reload', join(sup.dir, 'no-such-file.js'));
    expect(missing).toMatchObject({ code: 1, answer: { ok: false } });
    expect(await healthVersion(sup)).toBe(before);
  });

  it('on SIGTERM finishes in-flight requests and exits 0 within its bound', async () => {
    await using sup = await startSupervisor(databaseEnv(pg));
    await waitDatabaseUp(sup.url);
    // An idle keep-alive connection, and a request whose body is still on its way.
    const idle = net.connect(sup.port, '127.0.0.1');
    idle.on('error', () => undefined);
    const inflight = net.connect(sup.port, '127.0.0.1');
    let answer = '';
    inflight.on('data', (chunk) => (answer += chunk.toString()));
    const body = JSON.stringify({ fullname: 'Last', password: 'lastrules' });
    await new Promise<void>((resolve) => inflight.once('connect', () => resolve()));
    inflight.write(
      `PUT /user/last HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
    );
    await new Promise((r) => setTimeout(r, 300));

    const started = Date.now();
    sup.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    // New connections are refused once draining started.
    const refused = await new Promise<boolean>((resolve) => {
      const probe = net.connect(sup.port, '127.0.0.1');
      probe.once('connect', () => {
        probe.destroy();
        resolve(false);
      });
      probe.once('error', () => resolve(true));
    });
    expect(refused).toBe(true);
    inflight.write(body);
    const code = await sup.exited;
    const elapsedMs = Date.now() - started;
    expect(code).toBe(0);
    // The idle connection is closed once the advertised keep-alive time (5 s) has passed.
    expect(elapsedMs).toBeLessThan(8000);
    expect(answer).toMatch(/^HTTP\/1\.1 201 /);
    expect(answer.toLowerCase()).toContain('connection: close');
    idle.destroy();
    inflight.destroy();
  });
});
