import { describe, expect, it } from 'vitest';
import step3 from '../../../stacks/builtin/step3.js';
import { resolveStack } from '../../../stacks/resolve/resolve-stack.js';
import type { ObservedSwarm } from './observe-swarm.js';
import { formatSwarmPlan, planSwarm, type SwarmPlan } from './plan-swarm.js';
import { swarmServiceSpec } from './service-spec.js';
import type { ImageChoice } from './swarm-images.js';

const stack = resolveStack(step3, {
  file: '/repo/stacks/builtin/step3.ts',
  project: 'demo',
  env: {},
});
const nodes = [
  { id: 'n1', hostname: 'manager-1', role: 'manager', ready: true, address: '10.0.0.1' },
  { id: 'n2', hostname: 'worker-1', role: 'worker', ready: true, address: '10.0.0.2' },
  { id: 'n3', hostname: 'worker-2', role: 'worker', ready: true, address: '10.0.0.3' },
];
const empty: ObservedSwarm = { nodes, services: [], networks: {}, secrets: {} };
const pushed = 'reg:5000/esteps/demo-usersvc:latest@sha256:aa';
const kept: Record<string, ImageChoice> = {
  usersvc: { kind: 'kept', ref: pushed, source: 'build:h1' },
};
const base = {
  stack,
  images: kept,
  revisions: { dbPassword: '0123456789abcdef' },
  scale: {},
  modes: { endpointMode: 'dnsrr', publishMode: 'host' } as const,
  version: '0.1.0',
};
const pushUsersvc = (cause: string, build: boolean): Record<string, ImageChoice> => ({
  usersvc: {
    kind: 'push',
    source: 'build:h2',
    image: 'esteps/demo-usersvc:latest',
    pushRef: '127.0.0.1:5000/esteps/demo-usersvc:latest',
    ref: 'reg:5000/esteps/demo-usersvc:latest',
    ...(build && { build: { hash: 'h2' } }),
    cause,
  },
});

/** A printed plan's lines as their columns (action, target, cause). */
function columns(text: string): string[][] {
  return text.split('\n').map((l) => l.trim().split(/ {2,}/));
}

/** The Swarm after applying `plan`'s creations (pushes gave `digest`), as observe reads it. */
function afterApplying(plan: SwarmPlan, digest = 'sha256:aa'): ObservedSwarm {
  const services = plan.operations.flatMap((op, i) => {
    if (op.kind !== 'create-service') return [];
    const image =
      'ref' in op.image ? op.image.ref : `reg:5000/esteps/demo-usersvc:latest@${digest}`;
    const { spec } = swarmServiceSpec({ ...op.input, image });
    const l = spec.Labels as Record<string, string>;
    return [
      {
        id: `s${i}`,
        name: spec.Name as string,
        service: op.service,
        versionIndex: 10,
        configHash: l['com.esteps.config-hash'],
        pinnedNode: l['com.esteps.swarm-node'],
        imageSource: l['com.esteps.image-source'],
        codeVersion: l['com.esteps.code-version'],
        spec,
      },
    ];
  });
  const secrets = Object.fromEntries(
    plan.operations.flatMap((op) => (op.kind === 'create-secret' ? [[op.name, 'id']] : [])),
  );
  return { nodes, services, networks: { demo_appmesh: 'net' }, secrets };
}

describe('planSwarm', () => {
  it('creates the network, the secret and every service, the database pinned to the manager', () => {
    const plan = planSwarm({ ...base, observed: empty });
    const text = formatSwarmPlan('demo', plan);
    expect(text).toMatch(
      /^plan for project demo:\n {2}create {2}network demo_appmesh \(overlay\) +no network\n {2}create {2}secret demo_db_password_0123456789ab \(dbPassword\)/,
    );
    expect(text).toMatch(/create {2}service postgres x1 on manager-1 +no service/);
    expect(text).toMatch(/create {2}service usersvc x3 +no service/);
    const usersvc = plan.operations.find(
      (o) => o.kind === 'create-service' && o.service === 'usersvc',
    );
    expect(usersvc?.kind === 'create-service' && usersvc.image).toEqual({ ref: pushed });
    const spec =
      usersvc?.kind === 'create-service' &&
      swarmServiceSpec({ ...usersvc.input, image: pushed }).spec;
    expect(spec).toMatchObject({
      Labels: { 'com.esteps.image-source': 'build:h1' },
      Mode: { Replicated: { Replicas: 3 } },
      TaskTemplate: {
        Placement: { MaxReplicas: 1 },
        ContainerSpec: { Image: pushed },
      },
      UpdateConfig: { Order: 'stop-first', FailureAction: 'rollback' },
      EndpointSpec: { Mode: 'dnsrr', Ports: [{ PublishedPort: 30000, PublishMode: 'host' }] },
    });
  });

  it('builds and pushes first on a cold deploy; the service takes the pushed digest', () => {
    const plan = planSwarm({
      ...base,
      observed: empty,
      images: pushUsersvc('no service runs it yet', true),
    });
    expect(formatSwarmPlan('demo', plan).split('\n').slice(0, 3)).toEqual([
      'plan for project demo:',
      expect.stringMatching(
        /^ {2}build {3}image esteps\/demo-usersvc:latest +no image built from these inputs$/,
      ),
      expect.stringMatching(
        /^ {2}push {4}image 127\.0\.0\.1:5000\/esteps\/demo-usersvc:latest +no service runs it yet$/,
      ),
    ]);
    const create = plan.operations.find(
      (o) => o.kind === 'create-service' && o.service === 'usersvc',
    );
    expect(create?.kind === 'create-service' && create.image).toEqual({ pushedFor: 'usersvc' });
    // Pulled onto the nodes while the database it waits for starts.
    expect(plan.operations.find((o) => o.kind === 'pull-image')).toMatchObject({
      service: 'usersvc',
      cause: 'while postgres starts',
    });
  });

  it('changes nothing the second time, and updates in place what changed', () => {
    const observed = afterApplying(planSwarm({ ...base, observed: empty }));
    const again = planSwarm({ ...base, observed });
    expect(again.changed).toBe(false);
    expect(formatSwarmPlan('demo', again)).toBe(
      [
        'plan for project demo:',
        '  unchanged  service postgres  same spec',
        '  unchanged  service usersvc   same spec',
        'nothing to do',
      ].join('\n'),
    );
    const scaled = planSwarm({ ...base, observed, scale: { usersvc: 5 } });
    expect(formatSwarmPlan('demo', scaled)).toBe(
      [
        'plan for project demo:',
        '  update     service usersvc x5 (rolling)  configuration changed',
        '  unchanged  service postgres              same spec',
      ].join('\n'),
    );
    const op = scaled.operations[0]!;
    expect(op.kind === 'update-service' && op.versionIndex).toBe(10);
    // 5 replicas on 3 nodes: the per-node bound lifts to what fits.
    expect(
      op.kind === 'update-service' && swarmServiceSpec({ ...op.input, image: pushed }).spec,
    ).toMatchObject({ TaskTemplate: { Placement: { MaxReplicas: 2 } } });
  });

  it('new build inputs: build (when not built yet), push, pull ahead, then a rolling update with its cause', () => {
    const observed = afterApplying(planSwarm({ ...base, observed: empty }));
    for (const build of [true, false]) {
      const plan = planSwarm({
        ...base,
        observed,
        images: pushUsersvc('build inputs changed', build),
      });
      expect(columns(formatSwarmPlan('demo', plan))).toEqual([
        ['plan for project demo:'],
        ...(build
          ? [
              [
                'build',
                'image esteps/demo-usersvc:latest',
                'no image built from these inputs (build inputs changed)',
              ],
            ]
          : []),
        ['push', 'image 127.0.0.1:5000/esteps/demo-usersvc:latest', 'build inputs changed'],
        [
          'pull',
          'image of usersvc onto its nodes (a one-shot job)',
          'the update replaces 1 task at a time',
        ],
        ['update', 'service usersvc x3 (rolling)', 'new image: build inputs changed'],
        ['unchanged', 'service postgres', 'same spec'],
      ]);
    }
  });

  it('rolls to a new secret when the value changes and removes the old one', () => {
    const observed = afterApplying(planSwarm({ ...base, observed: empty }));
    const plan = planSwarm({ ...base, observed, revisions: { dbPassword: 'fedcba9876543210' } });
    expect(plan.operations.map((o) => o.kind)).toEqual([
      'create-secret',
      'update-service',
      'update-service',
      'remove-secret',
    ]);
  });

  it('keeps the database on the node it was first pinned to', () => {
    const observed = afterApplying(planSwarm({ ...base, observed: empty }));
    const moved = { ...observed, nodes: [{ ...nodes[0]!, ready: false }, nodes[1]!, nodes[2]!] };
    expect(planSwarm({ ...base, observed: moved }).pinned).toEqual({ postgres: 'manager-1' });
  });
});
