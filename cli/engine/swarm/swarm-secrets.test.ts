import { describe, expect, it } from 'vitest';
import step3 from '../../../stacks/builtin/step3.js';
import { resolveStack } from '../../../stacks/resolve/resolve-stack.js';
import type { ObservedSwarm, ObservedSwarmSecret } from './observe-swarm.js';
import { provedRevisions, swarmSecretName } from './swarm-secrets.js';

const stack = resolveStack(step3, {
  file: '/repo/stacks/builtin/step3.ts',
  project: 'demo',
  env: {},
});

function observed(secrets: ObservedSwarmSecret[], volumeId = 'vol1'): ObservedSwarm {
  return {
    nodes: [],
    services: [],
    networks: {},
    secrets: Object.fromEntries(secrets.map((s) => [s.name, s.id])),
    secretInfo: secrets,
    valuesVolumeId: volumeId,
  };
}

const secret = (revision: string, volumeId: string | null = 'vol1'): ObservedSwarmSecret => ({
  id: revision,
  name: swarmSecretName('demo', 'dbPassword', revision),
  secret: 'dbPassword',
  volumeId: volumeId ?? undefined,
});

describe('secret revisions proved by the Swarm', () => {
  it('names a secret by its project, name and revision', () => {
    expect(swarmSecretName('demo', 'dbPassword', '0123456789abcdef')).toBe(
      'demo_db_password_0123456789ab',
    );
  });

  it('takes the revision of the one Swarm secret made from the values volume as it is', () => {
    expect(provedRevisions(stack, observed([secret('0123456789ab')]))).toEqual({
      dbPassword: '0123456789ab',
    });
  });

  it('proves nothing from another volume, no volume, an unlabelled secret, or two revisions', () => {
    expect(provedRevisions(stack, observed([secret('0123456789ab')], 'vol2'))).toBeUndefined();
    const noVolume = { ...observed([secret('0123456789ab')]), valuesVolumeId: undefined };
    expect(provedRevisions(stack, noVolume)).toBeUndefined();
    expect(provedRevisions(stack, observed([secret('0123456789ab', null)]))).toBeUndefined();
    expect(
      provedRevisions(stack, observed([secret('0123456789ab'), secret('ba9876543210')])),
    ).toBeUndefined();
    expect(provedRevisions(stack, observed([]))).toBeUndefined();
  });
});
