/**
 * The user API against a real Postgres container: every route and status, the concurrency
 * guarantee on usernames, a corpus of malformed requests, and what lands in the table.
 */
import { randomBytes, scryptSync } from 'node:crypto';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bundled,
  call,
  databaseEnv,
  type RunningProcess,
  residentBytes,
  startService,
  waitDatabaseUp,
} from './service-harness.js';
import { removeTestResources } from './support/engine.js';
import { type PostgresFixture, queryPostgres, startPostgres } from './support/postgres.js';

let pg: PostgresFixture;
let svc: RunningProcess;
let url: string;

beforeAll(async () => {
  pg = await startPostgres();
  svc = await startService(databaseEnv(pg));
  url = svc.url;
  await waitDatabaseUp(url);
});

afterAll(async () => {
  await svc?.[Symbol.asyncDispose]();
  await pg?.[Symbol.asyncDispose]();
  await removeTestResources();
});

const alice = { fullname: 'Alice Liddell', password: 'alicerules' };

describe('routes', () => {
  it('GET /user/health answers 200 with the running version and database state', async () => {
    const { version } = await bundled();
    const answer = await call(`${url}/user/health`);
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(answer.json).toMatchObject({ ok: true, msg: 'user health check OK', database: 'up' });
    expect(typeof answer.json?.hostname).toBe('string');
    expect('resolvedname' in (answer.json ?? {})).toBe(true);
    // Run outside the supervisor, the service reports SERVICE_VERSION's default.
    expect(answer.json?.version).toBe('dev');
    expect(version).toMatch(/^[0-9a-f]{12}$/);
  });

  it('creates, reads, logs in, refuses a duplicate, deletes', async () => {
    const created = await call(`${url}/user/alice`, 'PUT', alice);
    expect(created.status).toBe(201);
    expect(created.json).toEqual({
      ok: true,
      fullname: alice.fullname,
      uuid: expect.stringMatching(/^[0-9A-F]{32}$/),
    });
    const uuid = created.json?.uuid;

    const read = await call(`${url}/user/alice`);
    expect(read).toMatchObject({ status: 200, json: { ok: true, fullname: alice.fullname, uuid } });

    const duplicate = await call(`${url}/user/alice`, 'PUT', alice);
    expect(duplicate).toMatchObject({
      status: 409,
      json: { ok: false, error: 'user already exists' },
    });

    const login = await call(`${url}/user/alice/login`, 'POST', { password: alice.password });
    expect(login).toMatchObject({
      status: 200,
      json: { ok: true, uuid, fullname: alice.fullname },
    });

    const deleted = await call(`${url}/user/alice`, 'DELETE');
    expect(deleted).toMatchObject({ status: 200, json: { ok: true, uuid } });
    expect((await call(`${url}/user/alice`)).status).toBe(404);
    expect((await call(`${url}/user/alice`, 'DELETE')).status).toBe(404);
  });

  it('answers unknown users 404 and failed logins 401 with one message', async () => {
    await call(`${url}/user/carol`, 'PUT', { fullname: 'Carol', password: 'carolrules' });
    const unknown = await call(`${url}/user/nobody`);
    expect(unknown).toMatchObject({ status: 404, json: { ok: false, error: 'user not found' } });
    const wrong = await call(`${url}/user/carol/login`, 'POST', { password: 'not-carols' });
    const nobody = await call(`${url}/user/nobody/login`, 'POST', { password: 'not-carols' });
    expect(wrong.status).toBe(401);
    expect(nobody.status).toBe(401);
    expect(nobody.json).toEqual(wrong.json);
  });

  it('costs about the same to fail a login for an unknown user as for a wrong password', async () => {
    const once = async (name: string) => {
      const started = process.hrtime.bigint();
      await call(`${url}/user/${name}/login`, 'POST', { password: 'wrong-password' });
      return Number(process.hrtime.bigint() - started) / 1e6;
    };
    const wrong: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 8; i++) {
      wrong.push(await once('carol'));
      unknown.push(await once('nobody-at-all'));
    }
    const median = (values: number[]) => values.sort((a, b) => a - b)[values.length >> 1]!;
    // Both verify one scrypt hash of the same cost: several ms each. Without the dummy hash,
    // the unknown user would answer in well under a millisecond.
    expect(median(wrong)).toBeGreaterThan(5);
    expect(median(unknown)).toBeGreaterThan(median(wrong) * 0.4);
    expect(median(unknown)).toBeLessThan(median(wrong) * 2.5);
  });

  it('stores passwords as salted scrypt hashes, never the password', async () => {
    await call(`${url}/user/dave`, 'PUT', { fullname: 'Dave', password: 'daverules' });
    await call(`${url}/user/erin`, 'PUT', { fullname: 'Erin', password: 'daverules' });
    const { rows } = await queryPostgres(
      { ...pg.connection, database: 'users' },
      "SELECT username, password FROM users WHERE username IN ('dave', 'erin') ORDER BY username",
    );
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(row.password).toMatch(/^scrypt\$131072\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
      expect(row.password).not.toContain('daverules');
    }
    expect(rows[0].password).not.toBe(rows[1].password);
    expect(svc.output()).not.toContain('daverules');
  });

  it('gives exactly one 201 and 49 409s for 50 concurrent PUTs of one username', async () => {
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        call(`${url}/user/race`, 'PUT', { fullname: `Racer ${i}`, password: 'racerules' }),
      ),
    );
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(49);
    const { rows } = await queryPostgres(
      { ...pg.connection, database: 'users' },
      "SELECT count(*)::int AS n FROM users WHERE username = 'race'",
    );
    expect(rows[0].n).toBe(1);
  });
});

async function timedCall<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  const value = await work();
  return { value, ms: Date.now() - started };
}

describe('password work', () => {
  const users = () => ({ ...pg.connection, database: 'users' });
  const storedHash = async (name: string) =>
    (await queryPostgres(users(), 'SELECT password FROM users WHERE username = $1', [name])).rows[0]
      ?.password as string | undefined;

  it('re-hashes a password stored at an older cost on the next successful login', async () => {
    const salt = randomBytes(16);
    const key = scryptSync('oldcostrules', salt, 32, { N: 16384, r: 8, p: 1 });
    const old = `scrypt$16384$8$1$${salt.toString('base64')}$${key.toString('base64')}`;
    await queryPostgres(
      users(),
      'INSERT INTO users (uuid, username, fullname, password) VALUES ($1, $2, $3, $4)',
      ['0123456789ABCDEF0123456789ABCDEF', 'olduser', 'Old User', old],
    );
    const wrong = await call(`${url}/user/olduser/login`, 'POST', { password: 'not-the-one' });
    expect(wrong.status).toBe(401);
    expect(await storedHash('olduser')).toBe(old);

    const right = await call(`${url}/user/olduser/login`, 'POST', { password: 'oldcostrules' });
    expect(right).toMatchObject({
      status: 200,
      json: { uuid: '0123456789ABCDEF0123456789ABCDEF' },
    });
    const rehashed = await storedHash('olduser');
    expect(rehashed).toMatch(/^scrypt\$131072\$8\$1\$/);
    expect(rehashed).not.toContain('oldcostrules');

    const again = await call(`${url}/user/olduser/login`, 'POST', { password: 'oldcostrules' });
    expect(again.status).toBe(200);
    expect(await storedHash('olduser')).toBe(rehashed);
    expect(svc.output()).not.toContain('oldcostrules');
  });

  it('holds at most two hashes of memory under 300 concurrent logins; the excess gets 429', async () => {
    await call(`${url}/user/crowd`, 'PUT', { fullname: 'Crowd', password: 'crowdrules' });
    const pid = svc.child.pid!;
    const baseline = residentBytes(pid);
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, residentBytes(pid));
    }, 20);
    const body = JSON.stringify({ password: 'crowdrules' });
    const login =
      'POST /user/crowd/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
      `Content-Length: ${body.length}\r\n\r\n${body}`;
    const answers: string[] = [];
    const sockets = Array.from({ length: 300 }, () => {
      const socket = net.connect(svc.port, '127.0.0.1', () => socket.write(login));
      let received = '';
      socket.on('data', (chunk: Buffer) => {
        received += chunk.toString();
        if (/\r\n\r\n\{.*\}$/s.test(received)) answers.push(received);
      });
      socket.on('error', () => undefined);
      return socket;
    });
    const refused = () => answers.filter((a) => a.startsWith('HTTP/1.1 429 '));
    try {
      // 2 hashing and 256 waiting: the rest are refused at once.
      const deadline = Date.now() + 30_000;
      while (refused().length < 30 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      await new Promise((r) => setTimeout(r, 2000));
    } finally {
      // Clients that went away (reset): their queued work is skipped, no CPU burnt on it.
      for (const socket of sockets) socket.resetAndDestroy();
      clearInterval(sampler);
    }
    expect(refused().length).toBeGreaterThanOrEqual(30);
    for (const answer of refused()) {
      expect(answer).toMatch(/\r\nretry-after: 1\r\n/i);
      expect(answer).toContain('"ok":false');
    }
    const mib = (bytes: number) => Math.round(bytes / 2 ** 20);
    console.log(`RSS MiB under 300 logins: baseline ${mib(baseline)}, peak ${mib(peak)}`);
    // Two hashes at 128 MiB each, and room for 300 connections and their requests.
    expect(peak - baseline).toBeLessThan((2 * 129 + 48) * 2 ** 20);
    const after = await timedCall(() =>
      call(`${url}/user/crowd/login`, 'POST', { password: 'crowdrules' }),
    );
    expect(after.value.status).toBe(200);
    // Behind at most the two hashes that were running.
    expect(after.ms).toBeLessThan(10_000);
  });
});

type Malformed = [
  label: string,
  method: string,
  path: string,
  body?: string | Buffer,
  headers?: Record<string, string>,
];

const json = { 'content-type': 'application/json' };
const longName = 'x'.repeat(65);
const corpus: Malformed[] = [
  ['invalid JSON', 'PUT', '/user/m1', '{"fullname": "A",', json],
  [
    'JSON with trailing garbage',
    'PUT',
    '/user/m1',
    '{"fullname":"A","password":"12345678"} x',
    json,
  ],
  ['empty body', 'PUT', '/user/m1', '', json],
  ['JSON null', 'PUT', '/user/m1', 'null', json],
  ['JSON array', 'PUT', '/user/m1', '[{"fullname":"A","password":"12345678"}]', json],
  ['JSON string', 'PUT', '/user/m1', '"hello"', json],
  ['JSON number', 'PUT', '/user/m1', '42', json],
  ['no content type', 'PUT', '/user/m1', '{"fullname":"A","password":"12345678"}', {}],
  [
    'text/plain',
    'PUT',
    '/user/m1',
    '{"fullname":"A","password":"12345678"}',
    { 'content-type': 'text/plain' },
  ],
  [
    'form encoding',
    'PUT',
    '/user/m1',
    'fullname=A&password=12345678',
    { 'content-type': 'application/x-www-form-urlencoded' },
  ],
  [
    'latin1 charset',
    'PUT',
    '/user/m1',
    '{"fullname":"A","password":"12345678"}',
    { 'content-type': 'application/json; charset=latin1' },
  ],
  ['missing fullname', 'PUT', '/user/m1', '{"password":"12345678"}', json],
  ['missing password', 'PUT', '/user/m1', '{"fullname":"A"}', json],
  ['fullname number', 'PUT', '/user/m1', '{"fullname":1,"password":"12345678"}', json],
  ['fullname object', 'PUT', '/user/m1', '{"fullname":{"$ne":1},"password":"12345678"}', json],
  ['fullname null', 'PUT', '/user/m1', '{"fullname":null,"password":"12345678"}', json],
  ['password array', 'PUT', '/user/m1', '{"fullname":"A","password":["12345678"]}', json],
  ['password bool', 'PUT', '/user/m1', '{"fullname":"A","password":true}', json],
  ['short password', 'PUT', '/user/m1', '{"fullname":"A","password":"1234567"}', json],
  [
    'long password',
    'PUT',
    '/user/m1',
    JSON.stringify({ fullname: 'A', password: 'p'.repeat(257) }),
    json,
  ],
  [
    'long fullname',
    'PUT',
    '/user/m1',
    JSON.stringify({ fullname: 'f'.repeat(2049), password: '12345678' }),
    json,
  ],
  ['NUL in fullname', 'PUT', '/user/m1', '{"fullname":"a\\u0000b","password":"12345678"}', json],
  ['lone surrogate', 'PUT', '/user/m1', '{"fullname":"a\\ud800","password":"12345678"}', json],
  [
    'invalid UTF-8 bytes',
    'PUT',
    '/user/m1',
    Buffer.concat([
      Buffer.from('{"fullname":"'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('","password":"12345678"}'),
    ]),
    json,
  ],
  [
    'huge body',
    'PUT',
    '/user/m1',
    JSON.stringify({ fullname: 'A', password: '12345678', pad: 'z'.repeat(100_000) }),
    json,
  ],
  ['empty fullname', 'PUT', '/user/m1', '{"fullname":"","password":"12345678"}', json],
  [
    'prototype pollution',
    'PUT',
    '/user/m1',
    '{"__proto__":{"fullname":"A","password":"12345678"}}',
    json,
  ],
  ['login without password', 'POST', '/user/m1/login', '{}', json],
  ['login password number', 'POST', '/user/m1/login', '{"password":12345678}', json],
  ['login invalid JSON', 'POST', '/user/m1/login', "{'password':'x'}", json],
  [
    'login huge password',
    'POST',
    '/user/m1/login',
    JSON.stringify({ password: 'p'.repeat(600) }),
    json,
  ],
  ['SQL injection in username', 'GET', "/user/alice'%20OR%20'1'='1", undefined, {}],
  [
    'SQL injection with semicolon',
    'PUT',
    '/user/x;DROP%20TABLE%20users',
    '{"fullname":"A","password":"12345678"}',
    json,
  ],
  [
    'SQL in fullname is only text, but username is bad',
    'PUT',
    "/user/'--",
    '{"fullname":"\'); DROP TABLE users;--","password":"12345678"}',
    json,
  ],
  ['encoded slash', 'GET', '/user/a%2Fb', undefined, {}],
  ['dot-dot segment', 'GET', '/user/..', undefined, {}],
  ['encoded dot-dot', 'DELETE', '/user/%2e%2e', undefined, {}],
  ['bad percent encoding', 'GET', '/user/%zz', undefined, {}],
  ['unicode username', 'PUT', '/user/%C3%A9lodie', '{"fullname":"A","password":"12345678"}', json],
  ['emoji username', 'GET', '/user/%F0%9F%98%80', undefined, {}],
  ['username too long', 'GET', `/user/${longName}`, undefined, {}],
  ['reserved username', 'PUT', '/user/health', '{"fullname":"A","password":"12345678"}', json],
  ['empty username', 'GET', '/user/', undefined, {}],
  ['unknown route', 'GET', '/users', undefined, {}],
  ['deeper path', 'GET', '/user/a/b/c', undefined, {}],
  ['root', 'GET', '/', undefined, {}],
  ['wrong method on user', 'POST', '/user/alice', '{}', json],
  ['PATCH', 'PATCH', '/user/alice', '{}', json],
  ['GET on login', 'GET', '/user/alice/login', undefined, {}],
  ['DELETE on health', 'DELETE', '/user/health', undefined, {}],
];

describe('malformed requests', () => {
  it(`answers all ${corpus.length} with a 4xx JSON error and keeps serving`, async () => {
    expect(corpus.length).toBeGreaterThanOrEqual(40);
    const failures: string[] = [];
    for (const [label, method, path, body, headers] of corpus) {
      const answer = await call(`${url}${path}`, method, body, headers ?? {});
      const ok =
        answer.status >= 400 &&
        answer.status < 500 &&
        answer.json?.ok === false &&
        typeof answer.json.error === 'string';
      if (!ok) failures.push(`${label}: ${answer.status} ${answer.text.slice(0, 200)}`);
    }
    expect(failures).toEqual([]);
    expect((await call(`${url}/user/health`)).status).toBe(200);
    const { rows } = await queryPostgres(
      { ...pg.connection, database: 'users' },
      "SELECT count(*)::int AS n FROM users WHERE username = 'm1'",
    );
    expect(rows[0].n).toBe(0);
  });

  it('uses the precise status for each kind of mistake', async () => {
    expect((await call(`${url}/user/m2`, 'PUT', '{', json)).status).toBe(400);
    expect(
      (await call(`${url}/user/m2`, 'PUT', '{}', { 'content-type': 'text/plain' })).status,
    ).toBe(415);
    const big = await call(`${url}/user/m2`, 'PUT', 'x'.repeat(40_000), json);
    expect(big.status).toBe(413);
    const wrongMethod = await call(`${url}/user/m2`, 'POST', '{}', json);
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.allow).toBe('GET, HEAD, PUT, DELETE');
    expect((await call(`${url}/nothing`)).status).toBe(404);
  });

  it('answers broken HTTP with JSON too: bad request lines and oversized headers', async () => {
    const raw = (text: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = net.connect(svc.port, '127.0.0.1', () => socket.end(text));
        let received = '';
        socket.on('data', (chunk) => (received += chunk.toString()));
        socket.on('close', () => resolve(received));
        socket.on('error', reject);
      });
    const garbage = await raw('NONSENSE\r\n\r\n');
    expect(garbage).toMatch(/^HTTP\/1\.1 400 /);
    expect(garbage).toContain('{"ok":false,"error":"malformed request"}');
    const headers = await raw(
      `GET /user/health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    expect(headers).toMatch(/^HTTP\/1\.1 431 /);
    expect(headers).toContain('"ok":false');
    const cases: [string, number][] = [
      ['CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n', 405],
      ['GET /user/bob HTTP/1.1\r\n\r\n', 400],
      [
        'GET /user/bob HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n',
        400,
      ],
      ['GET /user/bob HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n', 400],
      ['PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 400],
      ['GET /user/b\u0000ob HTTP/1.1\r\nHost: x\r\n\r\n', 400],
    ];
    for (const [request, status] of cases) {
      const answer = await raw(request);
      expect(answer, request).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
      expect(answer, request).toContain('"ok":false');
    }
    expect((await call(`${url}/user/health`)).status).toBe(200);
  });
});
