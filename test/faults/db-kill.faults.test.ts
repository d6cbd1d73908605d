import { describe, expect, it } from 'vitest';
import { testEngine } from '../support/engine.js';
import {
  type LoadReport,
  missingUsers,
  type Step1Project,
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
    await expectOutageHandled(p, report, { killedAt, startedAt, healthyAfterMs, usersvcBefore });
  });

  it('crashed (its process killed outside Docker), it is restarted by its restart policy, and the same holds', async () => {
    await using p = await step1Project('fault-dbcrash');
    await upOk(p);
    const { docker } = await testEngine();
    const usersvcBefore = await p.container('usersvc');

    const load = writeLoad(p.url(''), { perSecond: 3, prefix: 'c' });
    await sleep(4000);
    const postgres = await p.container('postgres');
    const { State } = await docker.getContainer(postgres.id).inspect();
    // A crash, not a stop: the engine did not ask for it, so `unless-stopped` restarts it.
    process.kill(State.Pid, 'SIGKILL');
    const killedAt = Date.now() - load.startedAt;
    let startedAt = Number.POSITIVE_INFINITY;
    const deadline = Date.now() + recoveryBoundMs;
    while (Date.now() < deadline) {
      const again = await p.container('postgres');
      if (again.restartCount > postgres.restartCount && again.state === 'running') {
        startedAt = Date.now() - load.startedAt;
        break;
      }
      await sleep(100);
    }
    expect(startedAt, 'the restart policy started Postgres again').toBeLessThan(
      Number.POSITIVE_INFINITY,
    );
    const healthyAfterMs = await waitDatabaseUp(p.url(''), recoveryBoundMs);
    await sleep(4000);
    const report = await load.stop();
    expect((await p.container('postgres')).id).toBe(postgres.id);
    await expectOutageHandled(p, report, { killedAt, startedAt, healthyAfterMs, usersvcBefore });
  });
});

/**
 * What the README promises of a database outage, from a load report whose times are ms since
 * the load started: every request answered, no write acknowledged while Postgres was away,
 * writes again within the bound after it started, the user service untouched, every
 * acknowledged write kept.
 */
async function expectOutageHandled(
  p: Step1Project,
  report: LoadReport,
  at: {
    killedAt: number;
    startedAt: number;
    healthyAfterMs: number;
    usersvcBefore: { id: string; restartCount: number };
  },
): Promise<void> {
  const { killedAt, startedAt } = at;
  const firstWriteAfterStart = report.answers
    .filter((a) => a.status === 201 && a.sentAt >= startedAt)
    .reduce((min, a) => Math.min(min, a.answeredAt), Number.POSITIVE_INFINITY);
  const writesAgainAfterMs = firstWriteAfterStart - startedAt;
  console.log(
    `${p.project}: ${report.answers.length} requests ${JSON.stringify(report.counts)}; ` +
      `health up ${at.healthyAfterMs} ms and first write ${writesAgainAfterMs} ms after Postgres started`,
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
  expect(usersvcAfter.id).toBe(at.usersvcBefore.id);
  expect(usersvcAfter.restartCount).toBe(at.usersvcBefore.restartCount);
  // Every 201 is in the table.
  expect(report.created.length).toBeGreaterThan(5);
  expect(await missingUsers(p.url(''), report.created)).toEqual([]);
}
