/**
 * Project secrets on the engine (cli/engine/secrets/): generated once into the labelled
 * volume `<project>.secrets`, read back equal by a second call (a second checkout), never
 * regenerated; imported values are stored when the engine has none; the volume carries an
 * id its folder also holds (this machine's engine is local: the test reads the folder); the
 * helper container leaves nothing behind.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { labels } from '../cli/engine/labels.js';
import { volumeIdFile } from '../cli/engine/secrets/local-volume-read.js';
import {
  loadProjectSecrets,
  readProjectSecrets,
  secretsVolumeName,
} from '../cli/engine/secrets/project-secrets.js';
import { removeProject, testEngine, uniqueName } from './support/engine.js';

const project = uniqueName('esteps-psecrets');
afterAll(() => removeProject(project));

describe('project secrets on the engine', () => {
  it('generates once, then every caller reads the same values from the labelled volume', async () => {
    const { docker } = await testEngine();
    expect(await readProjectSecrets(docker, project)).toEqual({});
    const lengthBytes = { dbPassword: 32, apiKey: 32 };
    const first = await loadProjectSecrets(docker, project, ['dbPassword'], { lengthBytes });
    expect(first.created).toEqual(['dbPassword']);
    expect(first.values.dbPassword).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const second = await loadProjectSecrets(docker, project, ['dbPassword', 'apiKey'], {
      imports: { dbPassword: 'ignored', apiKey: 'imported-value' },
      lengthBytes,
    });
    expect(second.created).toEqual(['apiKey']);
    expect(second.values).toEqual({
      dbPassword: first.values.dbPassword,
      apiKey: 'imported-value',
    });
    expect(await readProjectSecrets(docker, project)).toEqual(second.values);
    const volume = await docker.getVolume(secretsVolumeName(project)).inspect();
    expect(volume.Labels[labels.project]).toBe(project);
    // Its id, which its folder also holds: what lets `up` on the engine's host read it there.
    expect(volume.Labels[labels.volumeId]).toMatch(/^[0-9a-f]{32}$/);
    expect(await readFile(join(volume.Mountpoint, volumeIdFile), 'utf8')).toBe(
      volume.Labels[labels.volumeId],
    );
    const left = await docker.listContainers({
      all: true,
      filters: { label: [`${labels.project}=${project}`] },
    });
    expect(left).toEqual([]);
  });
});
