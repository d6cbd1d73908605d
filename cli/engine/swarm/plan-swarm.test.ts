import { describe, expect, it } from 'vitest';
import step3 from '../../../stacks/builtin/step3.js';
import { resolveStack } from '../../../stacks/resolve/resolve-stack.js';
import type { ObservedSwarm } from './observe-swarm.js';
import { formatSwarmPlan, planSwarm } from './plan-swarm.js';

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
const base = {
  stack,
  images: { usersvc: 'reg:5000/esteps/demo-usersvc:latest@sha256:aa' },
  secretValues: { dbPassword: 'not-printed' },
  scale: {},
  modes: { endpointMode: 'dnsrr', publishMode: 'host' } as const,
  version: '0.1.0',
};

/** The Swarm after applying `plan`'s creations, as observe would read it. */
function afterApplying(plan: ReturnType<typeof planSwarm>): ObservedSwarm {
  const services = plan.operations.flatMap((op, i) =>
    op.kind === 'create-service'
      ? [
          {
            id: `s${i}`,
            name: op.spec.Name as string,
            service: op.service,
            versionIndex: 10,
            configHash: (op.spec.Labels as Record<string, string>)['com.esteps.config-hash'],
            pinnedNode: (op.spec.Labels as Record<string, string>)['com.esteps.swarm-node'],
            spec: op.spec,
          },
        ]
      : [],
  );
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
      /^plan for project demo:\n {2}create {2}network demo_appmesh \(overlay\) +no network\n {2}create {2}secret demo_db_password_[0-9a-f]{12} \(dbPassword\)/,
    );
    expect(text).toMatch(/create {2}service postgres x1 on manager-1 +no service/);
    expect(text).toMatch(/create {2}service usersvc x3 +no service/);
    expect(text).not.toContain('not-printed');
    const usersvc = plan.operations.find(
      (o) => o.kind === 'create-service' && o.service === 'usersvc',
    );
    expect(usersvc?.kind === 'create-service' && usersvc.spec).toMatchObject({
      Mode: { Replicated: { Replicas: 3 } },
      TaskTemplate: {
        Placement: { MaxReplicas: 1 },
        ContainerSpec: { Image: base.images.usersvc },
      },
      UpdateConfig: { Order: 'stop-first', FailureAction: 'rollback' },
      EndpointSpec: { Mode: 'dnsrr', Ports: [{ PublishedPort: 30000, PublishMode: 'host' }] },
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
    expect(op.kind === 'update-service' && op.spec).toMatchObject({
      TaskTemplate: { Placement: { MaxReplicas: 2 } },
    });
  });

  it('rolls to a new secret when the value changes and removes the old one', () => {
    const observed = afterApplying(planSwarm({ ...base, observed: empty }));
    const plan = planSwarm({ ...base, observed, secretValues: { dbPassword: 'another' } });
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
