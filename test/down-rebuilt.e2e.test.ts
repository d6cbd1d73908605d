/**
 * `down --volumes` after several rebuilds of a project's image: the old builds (untagged,
 * still carrying the project's label) share parent layers with the new one, and removing
 * them all at once raced in the engine ("unrecognized image ID", exit 1, 2 runs in 6 of
 * issue 24). They all go, and the command exits 0. The builds are made here as `up` makes
 * them (the legacy builder, esteps' labels), a dozen, in seconds.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labels } from '../cli/engine/labels.js';
import { ensureVolumeHelperImage, volumeHelperImage } from '../cli/engine/secrets/volume-helper.js';
import { runCli } from './support/cli.js';
import { removeProject, testEngine, uniqueName } from './support/engine.js';

const project = uniqueName('e2e-rebuilt');
const tag = `esteps/${project}-app:latest`;
let dir: string;

// Shared parents, then a layer that differs per build: each build leaves an image behind.
const dockerfile = `FROM ${volumeHelperImage}
LABEL shared=1
ARG ROUND
LABEL round=\${ROUND}
`;

async function projectImages(): Promise<string[]> {
  const { docker } = await testEngine();
  const images = await docker.listImages({
    all: true,
    filters: { label: [`${labels.project}=${project}`] },
  });
  return images.map((i) => i.Id);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'esteps-rebuilt-'));
  await writeFile(join(dir, 'Dockerfile'), dockerfile);
  await ensureVolumeHelperImage((await testEngine()).docker);
});

afterAll(async () => {
  await removeProject(project);
  const { docker } = await testEngine();
  for (const id of await projectImages()) {
    await docker
      .getImage(id)
      .remove({ force: true })
      .catch(() => undefined);
  }
  await rm(dir, { recursive: true, force: true });
});

describe('down --volumes after several rebuilds', () => {
  it('removes every image the project built, and exits 0', async () => {
    for (let round = 1; round <= 12; round++) {
      await execa(
        'docker',
        [
          'build',
          '-q',
          '--build-arg',
          `ROUND=${round}`,
          '--label',
          `${labels.project}=${project}`,
          '--label',
          `${labels.image}=${tag}`,
          '-t',
          tag,
          '.',
        ],
        { cwd: dir, env: { DOCKER_BUILDKIT: '0' } },
      );
    }
    expect((await projectImages()).length).toBe(12);
    const down = await runCli(['down', '-p', project, '--volumes', '--json'], { cwd: dir });
    expect(down.exitCode, `${down.stdout}\n${down.stderr}`).toBe(0);
    expect((down.json.removed as { images: string[] }).images).toContain(tag);
    expect(await projectImages()).toEqual([]);
  });
});
