/**
 * HTTP/1.1 on the wire, against a real Postgres: pipelined requests take effect in order and
 * each gets its answer, in order, before any error answer for a later one (RFC 9112 9.3.2);
 * a client that half-closes after its request still gets the answer; expectations,
 * absolute-form targets and CONNECT; and the memory a flood of pipelined requests may take.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  call,
  databaseEnv,
  parseResponses,
  type RunningProcess,
  rawExchange,
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

async function userExists(name: string): Promise<boolean> {
  const { rows } = await queryPostgres(
    { ...pg.connection, database: 'users' },
    'SELECT count(*)::int AS n FROM users WHERE username = $1',
    [name],
  );
  return rows[0].n === 1;
}

function put(name: string, user: { fullname: string; password: string }): string {
  const body = JSON.stringify(user);
  return (
    `PUT /user/${name} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}

function login(name: string, password: string): string {
  const body = JSON.stringify({ password });
  return (
    `POST /user/${name}/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}

const bare = (method: string, path: string) => `${method} ${path} HTTP/1.1\r\nHost: x\r\n\r\n`;

/** Counts status lines in what arrived so far (answers are small JSON, never containing one). */
const answersIn = (received: Buffer) => received.toString('latin1').split('HTTP/1.1 ').length - 1;

describe('pipelined requests', () => {
  it('answers a request before the error answer for a malformed one after it', async () => {
    await call(`${url}/user/pipe-a`, 'PUT', { fullname: 'A', password: 'pipe-a-rules' });
    const { received, closedByServer } = await rawExchange(
      svc.port,
      bare('DELETE', '/user/pipe-a') + bare('BREW', '/user/x'),
    );
    const answers = parseResponses(received);
    expect(answers.map((a) => a.status)).toEqual([200, 400]);
    expect(answers[0]!.json).toMatchObject({ ok: true });
    expect(answers[1]!.json).toEqual({ ok: false, error: 'malformed request' });
    expect(closedByServer).toBe(true);
    expect(await userExists('pipe-a')).toBe(false);
  });

  it('runs them one after the other: create, log in, delete, read', async () => {
    const user = { fullname: 'Pipelined', password: 'pipe-p-rules' };
    const { received } = await rawExchange(
      svc.port,
      put('pipe-p', user) +
        login('pipe-p', user.password) +
        bare('DELETE', '/user/pipe-p') +
        bare('GET', '/user/pipe-p'),
      { until: (r) => answersIn(r) >= 4 && parseable(r, 4), timeoutMs: 30_000 },
    );
    const answers = parseResponses(received);
    expect(answers.map((a) => a.status)).toEqual([201, 200, 200, 404]);
    expect(answers[1]!.json?.uuid).toBe(answers[0]!.json?.uuid);
    expect(await userExists('pipe-p')).toBe(false);
  });

  it('runs nothing sent after a request that asked to close the connection', async () => {
    await call(`${url}/user/pipe-c`, 'PUT', { fullname: 'C', password: 'pipe-c-rules' });
    const { received, closedByServer } = await rawExchange(
      svc.port,
      `GET /user/pipe-c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n${bare('DELETE', '/user/pipe-c')}`,
    );
    expect(parseResponses(received).map((a) => a.status)).toEqual([200]);
    expect(closedByServer).toBe(true);
    await new Promise((r) => setTimeout(r, 200));
    expect(await userExists('pipe-c')).toBe(true);
  });

  it('answers the requests before an oversized header block, then 431', async () => {
    await call(`${url}/user/pipe-h`, 'PUT', { fullname: 'H', password: 'pipe-h-rules' });
    const { received } = await rawExchange(
      svc.port,
      bare('GET', '/user/pipe-h') +
        bare('DELETE', '/user/pipe-h') +
        `GET /user/health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    const answers = parseResponses(received);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 431]);
    expect(answers[2]!.json).toMatchObject({ ok: false });
    expect(await userExists('pipe-h')).toBe(false);
  });
});

/** True once `count` complete responses are in `received`. */
function parseable(received: Buffer, count: number): boolean {
  try {
    return parseResponses(received).length >= count;
  } catch {
    return false;
  }
}

describe('a client that half-closes after its request', () => {
  it('gets its answers, and what asks for no password takes effect', async () => {
    await call(`${url}/user/half`, 'PUT', { fullname: 'Half', password: 'half-rules' });
    const deleted = await rawExchange(
      svc.port,
      bare('DELETE', '/user/half') + bare('GET', '/user/half'),
      { halfClose: true },
    );
    expect(parseResponses(deleted.received).map((a) => a.status)).toEqual([200, 404]);
    expect(deleted.closedByServer).toBe(true);
    expect(await userExists('half')).toBe(false);
  });

  it('gets a 400 for password work, before any hash: a reset client looks the same', async () => {
    // Through a port docker-proxy publishes, a client that reset its connection reaches the
    // service as one that half-closed it (the proxy turns the RST into a FIN): hashing for it
    // would spend the CPU live clients wait for (issue 24: 300 reset logins held a real
    // user's login for 113 s).
    await call(`${url}/user/half-login`, 'PUT', { fullname: 'H', password: 'half-login-rules' });
    const { received, closedByServer } = await rawExchange(
      svc.port,
      put('half-put', { fullname: 'Half', password: 'half-rules' }) +
        login('half-login', 'half-login-rules'),
      { halfClose: true, timeoutMs: 30_000 },
    );
    const answers = parseResponses(received);
    expect(answers.map((a) => a.status)).toEqual([400]);
    expect(String(answers[0]!.json?.error)).toContain('half-closed');
    expect(closedByServer).toBe(true);
    expect(await userExists('half-put')).toBe(false);
  });

  it('gets a 400 for a body it cut short, and nothing happens', async () => {
    const request = put('half-cut', { fullname: 'Cut', password: 'half-cut-rules' });
    const { received } = await rawExchange(svc.port, request.slice(0, -5), { halfClose: true });
    const answers = parseResponses(received);
    expect(answers.map((a) => a.status)).toEqual([400]);
    expect(answers[0]!.json).toMatchObject({ ok: false });
    expect(await userExists('half-cut')).toBe(false);
  });
});

describe('RFC 9112 and 9110: Host, HEAD, Date', () => {
  const withHost = (host: string) => `GET /user/health HTTP/1.1\r\nHost: ${host}\r\n\r\n`;

  it('answers 400 to a request with two Host lines or a malformed one (RFC 9112 3.2)', async () => {
    const cases: [string, string][] = [
      ['GET /user/health HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n', 'more than one Host header'],
      ['GET /user/health HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n', 'more than one Host header'],
      ['GET /user/health HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n', 'more than one Host header'],
      [withHost('exa mple.com'), 'invalid Host header'],
      [withHost('example.com:port'), 'invalid Host header'],
      [withHost('user@example.com'), 'invalid Host header'],
      [withHost('[::1'), 'invalid Host header'],
      [withHost('a/b'), 'invalid Host header'],
      ['GET /user/health HTTP/1.1\r\n\r\n', 'missing Host header'],
    ];
    for (const [request, error] of cases) {
      const { received } = await rawExchange(svc.port, request, { until: (r) => parseable(r, 1) });
      const [answer] = parseResponses(received);
      expect([answer?.status, answer?.json], request).toEqual([400, { ok: false, error }]);
    }
    for (const host of ['127.0.0.1:5000', '[::1]:80', 'usersvc', '']) {
      const { received } = await rawExchange(svc.port, withHost(host), {
        until: (r) => parseable(r, 1),
      });
      expect(parseResponses(received)[0]?.status, host).toBe(200);
    }
  });

  it('serves HEAD /user/<name> as GET without the body (RFC 9110 9.3.2)', async () => {
    await call(`${url}/user/headed`, 'PUT', { fullname: 'Headed', password: 'headed-rules' });
    const get = await call(`${url}/user/headed`);
    const head = await call(`${url}/user/headed`, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
    expect(head.headers['content-length']).toBe(get.headers['content-length']);
    expect(head.headers['content-type']).toBe(get.headers['content-type']);
    const missing = await call(`${url}/user/nobody-headed`, 'HEAD');
    expect([missing.status, missing.text]).toEqual([404, '']);
    // Answered in order with the requests around it: no body to frame, none sent.
    const { received } = await rawExchange(
      svc.port,
      bare('HEAD', '/user/headed') + bare('GET', '/user/headed'),
      { until: (r) => r.toString().includes('"fullname":"Headed"') },
    );
    const text = received.toString();
    expect(text.match(/^HTTP\/1\.1 \d+/gm)).toEqual(['HTTP/1.1 200', 'HTTP/1.1 200']);
    expect(text.indexOf('{')).toBeGreaterThan(text.lastIndexOf('HTTP/1.1 200'));
    const wrong = await call(`${url}/user/headed`, 'PATCH');
    expect(wrong.headers.allow).toBe('GET, HEAD, PUT, DELETE');
  });

  it('dates every answer, the ones written by hand included (RFC 9110 6.6.1)', async () => {
    const requests = [
      bare('GET', '/user/health'),
      bare('GET', '/user/nobody-dated'),
      bare('BREW', '/user/x'),
      'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n',
      `GET /user/health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      'GET /user/health HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\n\r\n',
    ];
    for (const request of requests) {
      const { received } = await rawExchange(svc.port, request, { until: (r) => parseable(r, 1) });
      const [answer] = parseResponses(received);
      const date = answer?.headers.date ?? '';
      expect(date, request.slice(0, 40)).toMatch(
        /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/,
      );
      expect(Math.abs(Date.parse(date) - Date.now())).toBeLessThan(60_000);
    }
  });
});

describe('request targets, expectations, CONNECT', () => {
  it('routes absolute-form targets by their path (RFC 9112 3.2.2)', async () => {
    const { received } = await rawExchange(
      svc.port,
      `GET http://127.0.0.1:${svc.port}/user/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n` +
        `GET HTTP://Elsewhere.example/user/nobody-here?x=1 HTTP/1.1\r\nHost: x\r\n\r\n`,
      { until: (r) => parseable(r, 2) },
    );
    const answers = parseResponses(received);
    expect(answers.map((a) => a.status)).toEqual([200, 404]);
    expect(answers[0]!.json).toMatchObject({ ok: true, msg: 'user health check OK' });
    expect(answers[1]!.json).toEqual({ ok: false, error: 'user not found' });
  });

  it('answers an expectation it cannot meet with 417 and a JSON error', async () => {
    const { received } = await rawExchange(
      svc.port,
      `GET /user/health HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\n\r\n${bare('GET', '/user/health')}`,
      { until: (r) => parseable(r, 2) },
    );
    const answers = parseResponses(received);
    expect(answers.map((a) => a.status)).toEqual([417, 200]);
    expect(answers[0]!.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(answers[0]!.json).toEqual({
      ok: false,
      error: 'only the expectation 100-continue is supported',
    });
  });

  it('still honours Expect: 100-continue', async () => {
    const body = JSON.stringify({ fullname: 'Continue', password: 'continue-rules' });
    const head =
      'PUT /user/continued HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
      `Expect: 100-continue\r\nContent-Length: ${body.length}\r\n\r\n`;
    // The body goes only once the server said 100 Continue.
    const text = await new Promise<string>((resolve, reject) => {
      let received = '';
      const socket = net.connect(svc.port, '127.0.0.1', () => socket.write(head));
      socket.on('data', (chunk: Buffer) => {
        received += chunk.toString();
        if (received === 'HTTP/1.1 100 Continue\r\n\r\n') socket.write(body);
        if (/\r\n\r\n\{.*\}$/s.test(received)) {
          socket.destroy();
          resolve(received);
        }
      });
      socket.on('error', reject);
    });
    expect(text.startsWith('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 ')).toBe(true);
  });

  it('answers CONNECT 405 with Allow, after what was asked before it', async () => {
    const { received } = await rawExchange(
      svc.port,
      `${bare('GET', '/user/health')}CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n`,
    );
    const answers = parseResponses(received);
    expect(answers.map((a) => a.status)).toEqual([200, 405]);
    expect(answers[1]!.headers.allow).toBe('GET, HEAD, PUT, DELETE, POST');
    expect(answers[1]!.json).toEqual({ ok: false, error: 'method not allowed' });
  });
});

describe('login passwords', () => {
  it('has one rule for their length, with one message', async () => {
    for (const length of [257, 300, 512, 513, 600, 5000]) {
      const answer = await call(`${url}/user/anyone/login`, 'POST', {
        password: 'p'.repeat(length),
      });
      expect(answer.status, `length ${length}`).toBe(400);
      expect(answer.json, `length ${length}`).toEqual({
        ok: false,
        error: 'password must be at most 256 characters',
      });
    }
    const longest = await call(`${url}/user/anyone/login`, 'POST', { password: 'p'.repeat(256) });
    expect(longest.status).toBe(401);
  });
});

describe('memory under pipelined floods', () => {
  it('takes under 64 MiB through two bursts of 20,000 pipelined GETs', async () => {
    // Without the bound on unanswered requests per connection: +113 to +129 MiB at the
    // peak, +40 MiB still 30 s later. With it: +15 to +35 MiB, the same after eight bursts,
    // and back under the baseline after about 30 s idle (V8's memory reducer).
    await call(`${url}/user/flood`, 'PUT', { fullname: 'Flood', password: 'flood-rules' });
    const pid = svc.child.pid!;
    const burst = bare('GET', '/user/flood').repeat(20_000);
    // Warm up the paths and the heap first, so the baseline is the running service's own.
    for (let i = 0; i < 3; i++) {
      await rawExchange(svc.port, bare('GET', '/user/flood').repeat(2000), {
        until: (r) => answersIn(r) >= 2000,
      });
    }
    const baseline = residentBytes(pid);
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, residentBytes(pid));
    }, 20);
    const after: number[] = [];
    try {
      for (let round = 0; round < 2; round++) {
        let seen = 0;
        const { received } = await rawExchange(svc.port, burst, {
          until: (r) => {
            seen = answersIn(r);
            return seen >= 20_000;
          },
          timeoutMs: 120_000,
        });
        const answers = parseResponses(received);
        expect(answers).toHaveLength(20_000);
        expect(answers.every((a) => a.status === 200)).toBe(true);
        after.push(residentBytes(pid));
      }
    } finally {
      clearInterval(sampler);
    }
    await new Promise((r) => setTimeout(r, 3000));
    // Not a leak either: what is left after the bursts is no more than what a burst takes.
    const settled = residentBytes(pid);
    const mb = (bytes: number) => Math.round(bytes / 2 ** 20);
    console.log(
      `RSS MiB: baseline ${mb(baseline)}, peak ${mb(peak)}, after bursts ${after.map(mb).join(', ')}, 3 s later ${mb(settled)}`,
    );
    expect(peak - baseline).toBeLessThan(64 * 2 ** 20);
    expect(settled - baseline).toBeLessThan(48 * 2 ** 20);
    expect((await call(`${url}/user/health`)).status).toBe(200);
  });
});
