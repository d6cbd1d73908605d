import { describe, expect, it } from 'vitest';
import { testEngine } from '../support/engine.js';
import {
  missingUsers,
  sleep,
  step1Project,
  unexpectedAnswers,
  upOk,
  waitDatabaseUp,
  writeLoad,
} from './fault-support.js';

/** Bound on the service writing again after Postgres is started (measured: see README). */
const recoveryBoundMs = 20_000;

describe('Postgres killed and started again under a steady load of writes', () => {
  it('answers every request, recovers by itself, and keeps every write it acknowledged', async () => {
    await using p = await step1Project('fault-dbkill');
    await upOk(p);
    const { docker } = await testEngine();
    const usersvcBefore = await p.container('usersvc');

    const load = writeLoad(p.url(''), { perSecond: 3, prefix: 'k' });
    await sleep(4000);
    const postgres = await p.container('postgres');
    await docker.getContainer(postgres.id).kill();
    const killedAt = Date.now() - load.startedAt;
    await sleep(4000);
    await docker.getContainer(postgres.id).start();
    const startedAt = Date.now() - load.startedAt;
    const healthyAfterMs = await waitDatabaseUp(p.url(''), recoveryBoundMs);
    await sleep(4000);
    const report = await load.stop();

    const firstWriteAfterStart = report.answers
      .filter((a) => a.status === 201 && a.sentAt >= startedAt)
      .reduce((min, a) => Math.min(min, a.answeredAt), Number.POSITIVE_INFINITY);
    const writesAgainAfterMs = firstWriteAfterStart - startedAt;
    console.log(
      `db-kill: ${report.answers.length} requests ${JSON.stringify(report.counts)}; ` +
        `health up ${healthyAfterMs} ms and first write ${writesAgainAfterMs} ms after docker start`,
    );

    // Every request got an answer a client can act on, and the outage was seen as 503s.
    expect(unexpectedAnswers(report.answers).slice(0, 5)).toEqual([]);
    expect(report.counts['503+retry-after'] ?? 0).toBeGreaterThan(0);
    // No write is acknowledged while Postgres is away; one sent then may wait (within the
    // 5 s bound) for the database to come back and be acknowledged once it has.
    const during = report.answers.filter(
      (a) => a.sentAt > killedAt + 500 && a.answeredAt < startedAt,
    );
    expect(during.filter((a) => a.status === 201)).toEqual([]);
    // Writes before the kill and after the restart were acknowledged, and the service came
    // back by itself (nobody touched it) within the bound.
    expect(report.answers.some((a) => a.status === 201 && a.sentAt < killedAt)).toBe(true);
    expect(writesAgainAfterMs).toBeLessThan(recoveryBoundMs);
    const usersvcAfter = await p.container('usersvc');
    expect(usersvcAfter.id).toBe(usersvcBefore.id);
    expect(usersvcAfter.restartCount).toBe(usersvcBefore.restartCount);
    // Every 201 is in the table.
    expect(report.created.length).toBeGreaterThan(5);
    expect(await missingUsers(p.url(''), report.created)).toEqual([]);
  });
});
