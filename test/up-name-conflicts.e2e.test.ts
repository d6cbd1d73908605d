/**
 * Names the project needs, taken by resources esteps did not create for it: `up` refuses
 * (NAME_CONFLICT, exit 15) before changing anything, naming the resource and the ways out,
 * and leaves the foreign resource as it was. Once the name is free, `up` works; `down
 * --volumes` then removes the project's data and the image it built, and says so.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labels } from '../cli/engine/labels.js';
import {
  projectLeftovers,
  removeTestResources,
  stackImage,
  testEngine,
  testLabels,
} from './support/engine.js';
import { type ProjectFixture, projectFixture } from './up-fixture.js';

let p: ProjectFixture;

beforeAll(async () => {
  p = await projectFixture('e2e-conflict');
});

afterAll(async () => {
  await p?.[Symbol.asyncDispose]();
  await removeTestResources();
});

describe('esteps up with names it does not own', () => {
  it('refuses an unlabelled <project>_pgdata volume and leaves it untouched', async () => {
    const { docker } = await testEngine();
    const name = `${p.project}_pgdata`;
    // Someone else's volume (only the test's cleanup label, no esteps project label).
    await docker.createVolume({ Name: name, Labels: testLabels({ owner: 'someone' }) });
    const before = await docker.getVolume(name).inspect();

    const run = await p.cli(['up', '--json']);
    expect(run.exitCode, run.stderr).toBe(15);
    expect(run.json).toMatchObject({
      ok: false,
      error: { code: 'NAME_CONFLICT', conflicts: [{ kind: 'volume', name }] },
    });
    const error = run.json.error as { message: string; hint: string };
    expect(error.message).toContain(`volume ${name} (not created by esteps)`);
    expect(error.hint).toContain(`docker volume rm ${name}`);
    expect(error.hint).toContain('-p NAME');
    const text = await p.cli(['up']);
    expect(text.exitCode).toBe(15);
    expect(text.stderr).toMatch(
      new RegExp(`^esteps: Project ${p.project} needs a name already taken: volume ${name}`, 'm'),
    );

    // Nothing was created, and the volume is as it was (no project label added).
    expect(await projectLeftovers(p.project)).toEqual([]);
    const after = await docker.getVolume(name).inspect();
    expect(after.Labels).toEqual(before.Labels);
    expect(after.Labels?.[labels.project]).toBeUndefined();
    await docker.getVolume(name).remove();
  });

  it('refuses an unlabelled <project>_appmesh network the same way', async () => {
    const { docker } = await testEngine();
    const name = `${p.project}_appmesh`;
    const network = await docker.createNetwork({ Name: name, Labels: testLabels() });
    try {
      const run = await p.cli(['up', '--json']);
      expect(run.exitCode, run.stderr).toBe(15);
      expect(run.json).toMatchObject({
        ok: false,
        error: { code: 'NAME_CONFLICT', conflicts: [{ kind: 'network', name }] },
      });
      expect((run.json.error as { hint: string }).hint).toContain(`docker network rm ${name}`);
      // Refused from the plan, so --dry-run says so too.
      const dry = await p.cli(['up', '--dry-run', '--json']);
      expect(dry.exitCode).toBe(15);
      expect(await projectLeftovers(p.project)).toEqual([]);
    } finally {
      await network.remove();
    }
  });

  it('with the names free, up works, and down --volumes removes the data and the built image', async () => {
    const up = await p.cli(['up', '--json']);
    expect(up.exitCode, up.stderr).toBe(0);
    const image = `esteps/${p.project}-usersvc:latest`;
    expect(await projectLeftovers(p.project)).toContain(`image ${image}`);

    const down = await p.cli(['down', '--volumes', '--json']);
    expect(down.exitCode, down.stderr).toBe(0);
    expect(down.json).toMatchObject({
      ok: true,
      removed: {
        containers: [`${p.project}-postgres-1`, `${p.project}-usersvc-1`],
        networks: [`${p.project}_appmesh`],
        volumes: [
          `${p.project}.secrets`,
          `${p.project}.secrets.postgres`,
          `${p.project}.secrets.usersvc`,
          `${p.project}_pgdata`,
        ],
        images: [image],
      },
    });
    expect(await projectLeftovers(p.project)).toEqual([]);
    // The base images it was built from stay.
    const { docker } = await testEngine();
    for (const variable of ['ESTEPS_ENVOY_IMAGE', 'ESTEPS_NODE_IMAGE'] as const) {
      const base = await docker.getImage(stackImage(variable)).inspect();
      expect(base.Id).toMatch(/^sha256:/);
    }
  });
});
