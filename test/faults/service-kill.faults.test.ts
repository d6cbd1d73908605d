import { describe, expect, it } from 'vitest';
import { testEngine } from '../support/engine.js';
import {
  type Answered,
  execIn,
  healthLoad,
  sleep,
  step1Project,
  upOk,
  waitDatabaseUp,
} from './fault-support.js';

/** Bound on the service answering again after its container's main process was killed. */
const restartBoundMs = 15_000;

const noAnswer = (answers: readonly Answered[]) => answers.filter((a) => a.status !== 200);

/** The longest stretch, in ms, between the first and last failed request of `answers`. */
function outage(answers: readonly Answered[]): number {
  const failed = noAnswer(answers);
  if (failed.length === 0) return 0;
  return failed[failed.length - 1]!.sentAt - failed[0]!.sentAt;
}

describe('the user service killed', () => {
  it('a worker killed inside the container is replaced without dropping requests', async () => {
    await using p = await step1Project('fault-worker');
    await upOk(p);
    const usersvc = await p.container('usersvc');
    const status = JSON.parse(
      await execIn(usersvc.id, ['node', '/app/supervisor.js', 'status'], 'usersvc'),
    ) as { workers: { pid: number }[] };
    expect(status.workers.length).toBeGreaterThanOrEqual(2);

    const load = healthLoad(p.url(''), 40);
    await sleep(2000);
    // The image has no kill(1): Node sends the signal, as the service's own user (the
    // container drops every capability: root in an exec may not signal another user's process).
    const pid = status.workers[0]!.pid;
    await execIn(usersvc.id, ['node', '-e', `process.kill(${pid}, 'SIGKILL')`], 'usersvc');
    await sleep(4000);
    const report = await load.stop();
    console.log(`worker-kill: ${report.answers.length} requests ${JSON.stringify(report.counts)}`);

    // The other worker kept serving, and the supervisor replaced the dead one. Only a
    // request already on a connection of the dead worker can be lost (at most one per
    // connection it held, all at the moment it died); with one worker, every connection was
    // refused until its replacement listened (~200 ms, 8 of these requests).
    const lost = noAnswer(report.answers);
    // README "When things fail": 0 to 1 lost.
    expect(lost.length, JSON.stringify(lost)).toBeLessThanOrEqual(1);
    // No refused connection (counted above) is what shows the other worker kept serving; the
    // longest gap between answers is only bounded loosely: on a machine busy with other
    // suites the surviving worker itself may pause for 200 ms.
    expect(outage(report.answers)).toBeLessThan(1000);
    const after = JSON.parse(
      await execIn(usersvc.id, ['node', '/app/supervisor.js', 'status'], 'usersvc'),
    ) as { workers: { pid: number }[] };
    expect(after.workers.length).toBe(status.workers.length);
    expect(after.workers.map((w) => w.pid)).not.toContain(status.workers[0]!.pid);
    expect((await p.container('usersvc')).restartCount).toBe(usersvc.restartCount);
  });

  it('its main process killed: the engine restarts the container; killed by docker: up reports it and converges', async () => {
    await using p = await step1Project('fault-svckill');
    await upOk(p);
    const { docker } = await testEngine();
    const usersvc = await p.container('usersvc');

    // The container's main process (the supervisor) dies: the restart policy brings it back.
    const load = healthLoad(p.url(''), 20);
    await sleep(1000);
    const { State } = await docker.getContainer(usersvc.id).inspect();
    process.kill(State.Pid, 'SIGKILL');
    const killedAt = Date.now();
    const backAfterMs = await waitDatabaseUp(p.url(''), restartBoundMs);
    await sleep(1000);
    const report = await load.stop();
    console.log(
      `supervisor-kill: answering again ${Date.now() - killedAt - 1000} ms after the kill ` +
        `(health up ${backAfterMs} ms), outage ${outage(report.answers)} ms, ${JSON.stringify(report.counts)}`,
    );
    const restarted = await p.container('usersvc');
    expect(restarted.id).toBe(usersvc.id);
    expect(restarted.restartCount).toBe(usersvc.restartCount + 1);
    expect(report.answers.slice(-5).map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);

    // `docker kill` is a deliberate stop: the engine leaves it down, `ps` says so, and `up`
    // names it in its plan, starts it and waits for it.
    await docker.getContainer(usersvc.id).kill();
    const ps = await p.cli(['ps', '--json']);
    const containers = ps.json.containers as { service: string; state: string }[];
    expect(containers.find((c) => c.service === 'usersvc')?.state).toBe('exited');
    const up = await p.cli(['up', '--json']);
    expect(up.exitCode, up.stderr).toBe(0);
    const plan = up.json.plan as { action: string; target: string; cause: string }[];
    const acted = plan.filter((o) => o.action !== 'unchanged' && o.action !== 'wait');
    expect(acted.map((o) => o.target)).toEqual([`container ${p.project}-usersvc-1`]);
    expect(up.json.changed).toBe(true);
    expect(await waitDatabaseUp(p.url(''), 1000)).toBeLessThan(1000);
    const again = await p.cli(['up', '--json']);
    expect([again.exitCode, again.json.changed]).toEqual([0, false]);
  });
});
