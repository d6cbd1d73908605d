import { randomBytes } from 'node:crypto';
import { httpRequest } from '../http.js';

/**
 * The user story, driven over real HTTP against a running user service: health, create two
 * users, read them back, a duplicate create, logins right and wrong, delete, read after
 * delete. Names are fresh on every run so a repeated smoke never collides with data already
 * there, and what a run created is deleted even when a check fails.
 */
export interface SmokeCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly durationMs: number;
  /** What the check wanted (on failure). */
  readonly expected?: string;
  /** What came back (on failure). */
  readonly received?: string;
}

export interface SmokeOptions {
  readonly baseUrl: string;
  /** Per-request bound. @default 5000 */
  readonly requestTimeoutMs?: number;
  /** Called as each check ends (progress). */
  readonly onCheck?: (check: SmokeCheck) => void;
}

interface Reply {
  readonly status: number;
  readonly body: Record<string, unknown> | undefined;
  readonly text: string;
}

type Expectation = (reply: Reply) => string | undefined;

export async function runSmoke(options: SmokeOptions): Promise<SmokeCheck[]> {
  const timeoutMs = options.requestTimeoutMs ?? 5000;
  const checks: SmokeCheck[] = [];
  const call = async (method: 'GET' | 'PUT' | 'DELETE' | 'POST', path: string, body?: unknown) => {
    const res = await httpRequest(`${options.baseUrl}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    const text = await res.body.text();
    let parsed: Record<string, unknown> | undefined;
    try {
      parsed = JSON.parse(text) as Record<string, unknown>;
    } catch {
      parsed = undefined;
    }
    return { status: res.statusCode, body: parsed, text };
  };
  const check = async (
    name: string,
    expected: string,
    send: () => Promise<Reply>,
    verify: Expectation,
  ): Promise<Reply | undefined> => {
    const started = performance.now();
    let reply: Reply | undefined;
    let problem: string | undefined;
    try {
      reply = await send();
      problem = verify(reply);
    } catch (err) {
      problem = `no answer: ${err instanceof Error ? err.message : String(err)}`;
    }
    const durationMs = Math.round(performance.now() - started);
    const result: SmokeCheck = problem
      ? { name, ok: false, durationMs, expected, received: problem }
      : { name, ok: true, durationMs };
    checks.push(result);
    options.onCheck?.(result);
    return problem ? undefined : reply;
  };

  const tag = randomBytes(4).toString('hex');
  const users = [
    {
      name: `smoke-${tag}-a`,
      fullname: 'Smoke Alice',
      password: `alice-${randomBytes(6).toString('hex')}`,
    },
    {
      name: `smoke-${tag}-b`,
      fullname: 'Smoke Bob',
      password: `bob-${randomBytes(6).toString('hex')}`,
    },
  ] as const;
  const uuids = new Map<string, string>();

  try {
    await check(
      'health',
      '200 {"ok": true}',
      () => call('GET', '/user/health'),
      (r) => expectStatus(r, 200) ?? (r.body?.ok === true ? undefined : describe(r)),
    );
    for (const user of users) {
      const reply = await check(
        `create ${user.name}`,
        '201 with a 32-hex-digit uuid',
        () =>
          call('PUT', `/user/${user.name}`, { fullname: user.fullname, password: user.password }),
        (r) =>
          expectStatus(r, 201) ??
          (typeof r.body?.uuid === 'string' && /^[0-9A-F]{32}$/.test(r.body.uuid)
            ? undefined
            : describe(r)),
      );
      if (reply) uuids.set(user.name, reply.body?.uuid as string);
    }
    for (const user of users) {
      await check(
        `read ${user.name}`,
        `200 with uuid ${uuids.get(user.name) ?? '(from create)'}, fullname "${user.fullname}", no password`,
        () => call('GET', `/user/${user.name}`),
        (r) =>
          expectStatus(r, 200) ??
          (r.body?.uuid === uuids.get(user.name) &&
          r.body?.fullname === user.fullname &&
          !('password' in (r.body ?? {})) &&
          !r.text.includes(user.password)
            ? undefined
            : describe(r)),
      );
    }
    const [alice] = users;
    await check(
      `create ${alice.name} again`,
      '409',
      () =>
        call('PUT', `/user/${alice.name}`, { fullname: alice.fullname, password: alice.password }),
      (r) => expectStatus(r, 409),
    );
    await check(
      `login ${alice.name}`,
      `200 with uuid ${uuids.get(alice.name) ?? '(from create)'}`,
      () => call('POST', `/user/${alice.name}/login`, { password: alice.password }),
      (r) =>
        expectStatus(r, 200) ?? (r.body?.uuid === uuids.get(alice.name) ? undefined : describe(r)),
    );
    await check(
      `login ${alice.name} with a wrong password`,
      '401',
      () => call('POST', `/user/${alice.name}/login`, { password: 'definitely-wrong' }),
      (r) => expectStatus(r, 401),
    );
    for (const user of users) {
      const deleted = await check(
        `delete ${user.name}`,
        '200',
        () => call('DELETE', `/user/${user.name}`),
        (r) => expectStatus(r, 200),
      );
      if (deleted) uuids.delete(user.name);
    }
    await check(
      `read ${alice.name} after delete`,
      '404',
      () => call('GET', `/user/${alice.name}`),
      (r) => expectStatus(r, 404),
    );
  } finally {
    // Whatever a failed run left behind: best effort, the checks already say what failed.
    await Promise.all(users.map((u) => call('DELETE', `/user/${u.name}`).catch(() => undefined)));
  }
  return checks;
}

function expectStatus(reply: Reply, status: number): string | undefined {
  return reply.status === status ? undefined : describe(reply);
}

function describe(reply: Reply): string {
  const text = reply.text.length > 200 ? `${reply.text.slice(0, 197)}...` : reply.text;
  return `${reply.status} ${text}`.trim();
}
