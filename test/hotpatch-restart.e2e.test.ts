/**
 * A hot patch outlives the restarts the engine makes of its container, on the hardened
 * container (read-only root, user 10001, no capability): `docker restart`, and its main
 * process dying (the restart policy brings it back). A container that `esteps up` recreates
 * runs its image's code again, not an older container's patch. (The engine's own restart
 * restarts the same container with the same volume: the case `docker restart` covers.)
 */
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  copyService,
  esteps,
  eventually,
  health,
  type ServiceCopy,
  setHealthMessage,
  type UpProject,
  upProject,
} from './hotpatch-support.js';
import { freePort, testEngine } from './support/engine.js';

let stack: UpProject | undefined;
let source: ServiceCopy | undefined;

beforeAll(async () => {
  source = await copyService();
  stack = await upProject('e2e-hp-restart');
});

afterAll(async () => {
  await stack?.down();
  await source?.remove();
});

const container = () => `${stack!.project}-usersvc-1`;

async function inspect() {
  const { docker } = await testEngine();
  return docker.getContainer(container()).inspect();
}

/** The service's published address now: an engine-picked port changes when it restarts. */
async function baseUrl(): Promise<string> {
  const ports = (await inspect()).NetworkSettings.Ports['5000/tcp'] ?? [];
  const port = ports.find((p) => p.HostIp === '127.0.0.1')?.HostPort;
  if (!port) throw new Error(`${container()} publishes no port yet`);
  return `http://127.0.0.1:${port}`;
}

/** Waits for the service to answer with `version`; its health answer. */
async function servesVersion(version: string) {
  await eventually(
    `${container()} to serve version ${version}`,
    async () => (await health(await baseUrl())).version === version,
    60_000,
  );
  return health(await baseUrl());
}

describe('a hot-patched container restarted by the engine', () => {
  it('runs the patched code after docker restart and after its main process died', async () => {
    const image = await health(stack!.baseUrl);
    await source!.edit('app.ts', (text) => setHealthMessage(text, 'kept across restarts'));
    const run = await esteps(['hotpatch', '-p', stack!.project, '--source', source!.dir, '--json']);
    expect(run.exitCode, run.stderr).toBe(0);
    const version = String(run.json.version);
    expect(version).not.toBe(image.version);
    // Said to be kept: no warning (before: EROFS, the patch lost at the next restart).
    const [replica] = run.json.replicas as { warning?: string }[];
    expect(replica?.warning).toBeUndefined();
    expect(run.stderr).not.toContain('until the container restarts');

    await execa('docker', ['restart', container()]);
    expect(await servesVersion(version)).toMatchObject({
      msg: 'kept across restarts',
      database: 'up',
    });

    const before = await inspect();
    process.kill(before.State.Pid, 'SIGKILL');
    await eventually(
      'the engine to restart the container',
      async () => (await inspect()).RestartCount === before.RestartCount + 1,
      60_000,
    );
    expect(await servesVersion(version)).toMatchObject({
      msg: 'kept across restarts',
    });

    // All along on the hardened container: nothing of the image was written.
    const after = await inspect();
    expect(after.Id).toBe(before.Id);
    expect(after.HostConfig.ReadonlyRootfs).toBe(true);
    expect(after.Config.User).toBe('10001:10001');
    expect(after.HostConfig.CapDrop).toEqual(['ALL']);
    const sum = await execa('docker', ['exec', container(), 'sha256sum', '/app/service.js']);
    expect(sum.stdout.slice(0, 12)).toBe(image.version);
  });

  it('runs its image code again once esteps up recreated it', async () => {
    const patched = await health(await baseUrl());
    expect(patched.msg).toBe('kept across restarts');
    // Another published port: a new configuration, so up recreates the container (which
    // is handed the old one's volumes, the releases one included).
    const port = await freePort();
    const up = await esteps(['up', '-p', stack!.project, '--json'], {
      ESTEPS_USERSVC_PORT: String(port),
    });
    expect(up.exitCode, up.stderr).toBe(0);
    const plan = up.json.plan as { action: string; target: string }[];
    expect(plan).toContainEqual(
      expect.objectContaining({ action: 'recreate', target: `container ${container()}` }),
    );
    const fresh = await health(`http://127.0.0.1:${port}`);
    expect(fresh.msg).toBe('user health check OK');
    expect(fresh.version).not.toBe(patched.version);
  });
});
