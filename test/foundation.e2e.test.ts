import { afterAll, describe, expect, it } from 'vitest';
import { labels } from '../cli/engine/labels.js';
import {
  removeTestResources,
  stackImage,
  testEngine,
  testLabels,
  uniqueName,
} from './support/engine.js';
import { queryPostgres, startPostgres } from './support/postgres.js';

describe('the ground holds: engine, network, Postgres image, pg', () => {
  afterAll(removeTestResources);

  it('runs the stack Postgres image on a fresh network and answers a query through pg', async () => {
    const { docker } = await testEngine();
    const network = uniqueName('esteps-test-net');
    await docker.createNetwork({ Name: network, Driver: 'bridge', Labels: testLabels() });

    await using pg = await startPostgres({ network });
    const info = await pg.container.inspect();
    expect(info.Config.Image).toBe(stackImage('ESTEPS_POSTGRES_IMAGE'));
    expect(Object.keys(info.NetworkSettings.Networks)).toContain(network);

    const result = await queryPostgres(
      pg.connection,
      'SELECT $1::int + 1 AS answer, current_user AS who',
      [41],
    );
    expect(result.rows).toEqual([{ answer: 42, who: 'postgres' }]);
  });

  it('finds what a test created by its label and removes all of it', async () => {
    const { docker } = await testEngine();
    const network = uniqueName('esteps-test-net');
    await docker.createNetwork({ Name: network, Labels: testLabels() });
    await removeTestResources();
    const left = await docker.listNetworks({
      filters: { label: [`${labels.test}`], name: [network] },
    });
    expect(left).toEqual([]);
  });
});
