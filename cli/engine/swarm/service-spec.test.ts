import { describe, expect, it } from 'vitest';
import step3 from '../../../stacks/builtin/step3.js';
import { renderCompose } from '../../../stacks/render/render-compose.js';
import { renderSwarmStack } from '../../../stacks/render/render-swarm-stack.js';
import { resolveStack } from '../../../stacks/resolve/resolve-stack.js';
import { swarmServiceSpec } from './service-spec.js';

const stack = resolveStack(step3, { file: '/repo/stacks/builtin/step3.ts', project: 'p', env: {} });
const usersvc = stack.services.find((s) => s.name === 'usersvc')!;

describe('rules derived once, translated by every renderer', () => {
  it('gives an HTTP probe one health check: the same interval, timeout and tries everywhere', () => {
    expect(usersvc.health).toMatchObject({
      source: 'httpProbe',
      intervalMs: 1000,
      timeoutMs: 2000,
    });
    const compose = renderCompose(stack).document.services.usersvc!.healthcheck;
    const swarmFile = renderSwarmStack(stack, {
      registry: 'r',
      endpointMode: 'dnsrr',
      publishMode: 'host',
    }).document.services.usersvc!.healthcheck;
    const { spec } = swarmServiceSpec({
      stack,
      service: usersvc,
      image: 'r/u:1',
      secrets: [],
      replicas: 3,
      nodeCount: 3,
      modes: { endpointMode: 'dnsrr', publishMode: 'host' },
      version: '0',
    });
    const swarm = (
      spec as { TaskTemplate: { ContainerSpec: { HealthCheck: Record<string, unknown> } } }
    ).TaskTemplate.ContainerSpec.HealthCheck;
    expect(compose).toMatchObject({
      interval: '1s',
      timeout: '2s',
      retries: usersvc.health!.retries,
    });
    expect(swarmFile).toEqual(compose);
    expect(swarm).toMatchObject({
      Interval: 1_000_000_000,
      Timeout: 2_000_000_000,
      Retries: usersvc.health!.retries,
      Test: usersvc.health!.test,
    });
  });

  it('gives the Swarm service and the Swarm file the same rollout', () => {
    const file = renderSwarmStack(stack, {
      registry: 'r',
      endpointMode: 'vip',
      publishMode: 'ingress',
    }).document.services.usersvc!.deploy as Record<string, Record<string, unknown>>;
    const { spec } = swarmServiceSpec({
      stack,
      service: usersvc,
      image: 'r/u:1',
      secrets: [],
      replicas: 3,
      nodeCount: 3,
      modes: { endpointMode: 'vip', publishMode: 'ingress' },
      version: '0',
    });
    const s = spec as {
      UpdateConfig: Record<string, unknown>;
      TaskTemplate: { RestartPolicy: Record<string, unknown> };
    };
    expect(file.update_config).toMatchObject({
      order: 'start-first',
      monitor: '5s',
      failure_action: 'rollback',
    });
    expect(s.UpdateConfig).toMatchObject({
      Order: 'start-first',
      Monitor: 5_000_000_000,
      FailureAction: 'rollback',
    });
    expect(file.restart_policy).toEqual({ condition: 'any', delay: '5s' });
    expect(s.TaskTemplate.RestartPolicy).toMatchObject({ Condition: 'any', Delay: 5_000_000_000 });
  });
});
