import { randomBytes } from 'node:crypto';
import type { SmokeContext, SmokeReply } from 'esteps';

/**
 * Step 1's user story, as `esteps smoke` drives it over HTTP: health, create two users, read
 * them back, a duplicate create, logins right and wrong, delete, read after delete. Names are
 * fresh on every run so a repeated smoke never collides with data already there, and what a
 * run created is deleted even when a check fails.
 */
export async function userStory(t: SmokeContext): Promise<void> {
  const tag = randomBytes(4).toString('hex');
  const users = [
    { name: `smoke-${tag}-a`, fullname: 'Smoke Alice', password: `alice-${secret()}` },
    { name: `smoke-${tag}-b`, fullname: 'Smoke Bob', password: `bob-${secret()}` },
  ] as const;
  const uuids = new Map<string, string>();
  for (const user of users) t.cleanup(() => t.request('DELETE', `/user/${user.name}`));

  await t.check('health', '200 {"ok": true}', async () => {
    const r = await t.request('GET', '/user/health');
    expect(r, r.status === 200 && field(r, 'ok') === true);
  });
  for (const user of users) {
    const created = await t.check(
      `create ${user.name}`,
      '201 with a 32-hex-digit uuid',
      async () => {
        const r = await t.request('PUT', `/user/${user.name}`, {
          fullname: user.fullname,
          password: user.password,
        });
        const uuid = field(r, 'uuid');
        expect(r, r.status === 201 && typeof uuid === 'string' && /^[0-9A-F]{32}$/.test(uuid));
        return uuid as string;
      },
    );
    if (created) uuids.set(user.name, created);
  }
  for (const user of users) {
    const uuid = uuids.get(user.name);
    await t.check(
      `read ${user.name}`,
      `200 with uuid ${uuid ?? '(from create)'}, fullname "${user.fullname}", no password`,
      async () => {
        const r = await t.request('GET', `/user/${user.name}`);
        const json = (r.json ?? {}) as Record<string, unknown>;
        expect(
          r,
          r.status === 200 &&
            json.uuid === uuid &&
            json.fullname === user.fullname &&
            !('password' in json) &&
            !r.text.includes(user.password),
        );
      },
    );
  }
  const [alice] = users;
  await t.check(`create ${alice.name} again`, '409', async () => {
    const body = { fullname: alice.fullname, password: alice.password };
    const r = await t.request('PUT', `/user/${alice.name}`, body);
    expect(r, r.status === 409);
  });
  const aliceUuid = uuids.get(alice.name);
  await t.check(
    `login ${alice.name}`,
    `200 with uuid ${aliceUuid ?? '(from create)'}`,
    async () => {
      const r = await t.request('POST', `/user/${alice.name}/login`, { password: alice.password });
      expect(r, r.status === 200 && field(r, 'uuid') === aliceUuid);
    },
  );
  await t.check(`login ${alice.name} with a wrong password`, '401', async () => {
    const r = await t.request('POST', `/user/${alice.name}/login`, {
      password: 'definitely-wrong',
    });
    expect(r, r.status === 401);
  });
  for (const user of users) {
    await t.check(`delete ${user.name}`, '200', async () => {
      const r = await t.request('DELETE', `/user/${user.name}`);
      expect(r, r.status === 200);
    });
  }
  await t.check(`read ${alice.name} after delete`, '404', async () => {
    const r = await t.request('GET', `/user/${alice.name}`);
    expect(r, r.status === 404);
  });
}

function secret(): string {
  return randomBytes(6).toString('hex');
}

function field(reply: SmokeReply, name: string): unknown {
  return (reply.json as Record<string, unknown> | undefined)?.[name];
}

/** Fails the check with what came back, unless `ok`. */
function expect(reply: SmokeReply, ok: boolean): void {
  if (ok) return;
  const text = reply.text.length > 200 ? `${reply.text.slice(0, 197)}...` : reply.text;
  throw new Error(`${reply.status} ${text}`.trim());
}
