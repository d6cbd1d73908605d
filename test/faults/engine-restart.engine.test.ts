import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../support/engine.js';
import { call } from '../up-fixture.js';
import { sleep, step1Project, upOk, waitDatabaseUp } from './fault-support.js';

/**
 * The Docker engine stopped and started again, as a machine's reboot or a package upgrade
 * would. This stops the engine every other test uses: it is its own vitest project
 * (`npm run test:engine-restart`), run last, on a machine where `npm run setup` started a
 * local dockerd (scripts/engine.sh), which it uses again to start the engine. It always
 * leaves the engine running.
 */
const pidFile = '/var/run/docker.pid';
/** Bounds: the engine stopping (it stops every container), and everything being back. */
const stopBoundMs = 90_000;
const backBoundMs = 90_000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Starts the engine the way `npm run setup` does; a no-op when it answers. */
async function startEngine(): Promise<void> {
  const run = await execa('bash', [join(repoRoot, 'scripts/engine.sh')], {
    reject: false,
    timeout: 120_000,
  });
  if (run.exitCode !== 0) throw new Error(`scripts/engine.sh failed:\n${run.stderr}`);
}

afterAll(startEngine, 150_000);

describe('the Docker engine stopped and started again', () => {
  it('brings the project back by its restart policy: ps shows it, smoke passes, up changes nothing', async () => {
    expect(process.env.DOCKER_HOST ?? '', 'this test restarts a local engine only').toBe('');
    expect(existsSync(pidFile), `${pidFile}: no local dockerd (start it with npm run setup)`).toBe(
      true,
    );
    await using p = await step1Project('fault-engine');
    await upOk(p);
    const created = await call('PUT', p.url('/user/enginefault'), {
      fullname: 'Engine Fault',
      password: 'enginerules',
    });
    expect(created.status).toBe(201);
    // Whatever fails, the engine runs again before the project is removed.
    try {
      const before = {
        postgres: await p.container('postgres'),
        usersvc: await p.container('usersvc'),
      };

      // Stop: SIGTERM, as a service manager does; dockerd stops the containers, then exits.
      const pid = Number(readFileSync(pidFile, 'utf8').trim());
      expect(alive(pid)).toBe(true);
      const stoppingAt = Date.now();
      process.kill(pid, 'SIGTERM');
      while (alive(pid)) {
        if (Date.now() - stoppingAt > stopBoundMs) throw new Error(`dockerd ${pid} still runs`);
        await sleep(200);
      }
      const stoppedMs = Date.now() - stoppingAt;
      const down = await p.cli(['ps']);
      expect(down.exitCode, down.stderr).toBe(4); // ENGINE_UNAVAILABLE, while it is away

      // Start it again, as setup does: the containers come back by themselves.
      const startingAt = Date.now();
      await startEngine();
      const engineMs = Date.now() - startingAt;
      let states: string[] = [];
      while (Date.now() - startingAt < backBoundMs) {
        const ps = await p.cli(['ps', '--json']);
        const containers = (ps.json.containers ?? []) as { service: string; state: string }[];
        states = containers.map((c) => `${c.service} ${c.state}`).sort();
        if (states.join() === 'postgres running,usersvc running') break;
        await sleep(500);
      }
      expect(states).toEqual(['postgres running', 'usersvc running']);
      const readyMs = (await waitDatabaseUp(p.url(''), backBoundMs)) + (Date.now() - startingAt);
      console.log(
        `engine-restart: engine stopped in ${stoppedMs} ms, answered ${engineMs} ms after start, ` +
          `service ready about ${readyMs} ms after start`,
      );

      // The same containers (restarted, not recreated), the data kept, the user story passes.
      expect((await p.container('postgres')).id).toBe(before.postgres.id);
      expect((await p.container('usersvc')).id).toBe(before.usersvc.id);
      expect((await call('GET', p.url('/user/enginefault'))).status).toBe(200);
      const smoke = await p.cli(['smoke']);
      expect(smoke.exitCode, smoke.stdout + smoke.stderr).toBe(0);
      const up = await p.cli(['up', '--json']);
      expect([up.exitCode, up.json.changed], up.stderr).toEqual([0, false]);
    } finally {
      await startEngine();
    }
  });
});
