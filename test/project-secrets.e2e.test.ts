/**
 * Project secrets on the engine (cli/engine/secrets/): generated once into the labelled
 * volume `<project>.secrets`, read back equal by a second call (a second checkout), never
 * regenerated; imported values are stored when the engine has none; the helper container
 * leaves nothing behind.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { labels } from '../cli/engine/labels.js';
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
    const first = await loadProjectSecrets(docker, project, ['dbPassword']);
    expect(first.created).toEqual(['dbPassword']);
    expect(first.values.dbPassword).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const second = await loadProjectSecrets(docker, project, ['dbPassword', 'apiKey'], {
      imports: { dbPassword: 'ignored', apiKey: 'imported-value' },
    });
    expect(second.created).toEqual(['apiKey']);
    expect(second.values).toEqual({
      dbPassword: first.values.dbPassword,
      apiKey: 'imported-value',
    });
    expect(await readProjectSecrets(docker, project)).toEqual(second.values);
    const volume = await docker.getVolume(secretsVolumeName(project)).inspect();
    expect(volume.Labels[labels.project]).toBe(project);
    const left = await docker.listContainers({
      all: true,
      filters: { label: [`${labels.project}=${project}`] },
    });
    expect(left).toEqual([]);
  });
});
