import { describe, expect, it } from 'vitest';
import type { ResolvedStack } from '../../stacks/model/model.js';
import { missingContainers } from './converge.js';
import type { ObservedContainer } from './observed-state.js';

const stack = {
  project: 'p',
  services: [
    { name: 'db', replicas: 1, restart: 'unless-stopped' },
    { name: 'web', replicas: 2, restart: 'unless-stopped' },
    { name: 'job', replicas: 1, restart: 'no' },
  ],
} as unknown as ResolvedStack;

const container = (name: string, state: ObservedContainer['state']) =>
  ({ name, state }) as ObservedContainer;

describe('missingContainers', () => {
  it('names every container of the stack that is gone or not running after up', () => {
    expect(
      missingContainers(stack, [
        container('p-web-1', 'running'),
        container('p-web-2', 'exited'),
        container('p-job-1', 'exited'),
      ]),
    ).toEqual(['p-db-1', 'p-web-2']);
    expect(
      missingContainers(stack, [
        container('p-db-1', 'running'),
        container('p-web-1', 'running'),
        container('p-web-2', 'running'),
        container('p-job-1', 'running'),
      ]),
    ).toEqual([]);
  });
});
