import { describe, expect, it } from 'vitest';
import { type ServiceInfo, swarmServiceLook, type TaskInfo } from './wait-swarm-service.js';

// What the manager showed on a live test Swarm right after `docker service update` of a
// 2-replica service's environment: the previous update's status and the old tasks.
const oldSpec = { ContainerSpec: { Image: 'r/svc:1', Env: ['A=1'] }, ForceUpdate: 0 };
const newSpec = { ContainerSpec: { Image: 'r/svc:1', Env: ['A=2'] }, ForceUpdate: 0 };

function service(spec: object, update?: { State: string; StartedAt: string }): ServiceInfo {
  return {
    Spec: {
      Mode: { Replicated: { Replicas: 2 } },
      TaskTemplate: { ...spec, Runtime: 'container' },
    },
    ...(update && { UpdateStatus: update }),
  } as ServiceInfo;
}

function task(spec: object, state = 'running', desired = 'running'): TaskInfo {
  return {
    ID: Math.random().toString(36),
    DesiredState: desired,
    CreatedAt: '2026-11-29T12:00:00Z',
    Spec: spec,
    Status: { State: state },
  } as TaskInfo;
}

const before = '2026-11-29T11:00:00Z';
const old = [task(oldSpec), task(oldSpec)];

describe('one look at a Swarm service during an update', () => {
  it('waits while the manager still shows the old tasks and the previous update as completed', () => {
    const look = swarmServiceLook(
      service(newSpec, { State: 'completed', StartedAt: before }),
      old,
      before,
    );
    expect(look.verdict).toBe('waiting');
  });

  it('waits when the service had no update before and the old tasks still run', () => {
    expect(swarmServiceLook(service(newSpec), old, '').verdict).toBe('waiting');
  });

  it("does not take a previous update's rollback for this one's", () => {
    const stale = service(newSpec, { State: 'rollback_completed', StartedAt: before });
    expect(swarmServiceLook(stale, old, before).verdict).toBe('waiting');
  });

  it('says rolled back when this update was', () => {
    const now = service(oldSpec, {
      State: 'rollback_completed',
      StartedAt: '2026-11-29T12:00:01Z',
    });
    expect(swarmServiceLook(now, old, before).verdict).toBe('rolled-back');
  });

  it('waits while this update is in progress, converges once it completed on new tasks', () => {
    const started = '2026-11-29T12:00:01Z';
    const mixed = [task(newSpec), task(oldSpec, 'running', 'shutdown'), task(oldSpec)];
    expect(
      swarmServiceLook(service(newSpec, { State: 'updating', StartedAt: started }), mixed, before)
        .verdict,
    ).toBe('waiting');
    const done = [task(newSpec), task(newSpec), task(oldSpec, 'shutdown', 'shutdown')];
    expect(
      swarmServiceLook(service(newSpec, { State: 'completed', StartedAt: started }), done, before)
        .verdict,
    ).toBe('converged');
  });

  it('converges at once on a change that needs no rolling update (every task on the current spec)', () => {
    const look = swarmServiceLook(
      service(oldSpec, { State: 'completed', StartedAt: before }),
      old,
      before,
    );
    expect(look).toMatchObject({ verdict: 'converged', running: 2, wanted: 2 });
  });

  it('a new service converges once as many tasks run as it wants, and not with too many', () => {
    expect(swarmServiceLook(service(newSpec), [task(newSpec, 'starting')]).verdict).toBe('waiting');
    expect(swarmServiceLook(service(newSpec), [task(newSpec), task(newSpec)]).verdict).toBe(
      'converged',
    );
    const three = [task(newSpec), task(newSpec), task(newSpec)];
    expect(swarmServiceLook(service(newSpec), three).verdict).toBe('waiting');
  });
});
