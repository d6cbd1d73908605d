import { describe, expect, it } from 'vitest';
import { type ServiceInfo, swarmServiceLook, type TaskInfo } from './wait-swarm-service.js';

// Looks as a live test Swarm (engine 20.10) gave them: a 2-replica service, its tasks, and
// the IDs of those the manager lists as up to date (`_up-to-date`) with its current spec.

function service(update?: { State: string; StartedAt: string }): ServiceInfo {
  return {
    Spec: { Mode: { Replicated: { Replicas: 2 } } },
    ...(update && { UpdateStatus: update }),
  };
}

let next = 0;
function task(state = 'running', desired = 'running'): TaskInfo {
  next += 1;
  return {
    ID: `task${next}`,
    DesiredState: desired,
    CreatedAt: '2026-11-29T12:00:00Z',
    Status: { State: state },
  };
}

const ids = (tasks: readonly TaskInfo[]) => new Set(tasks.map((t) => t.ID));
const none = new Set<string>();
const before = '2026-11-29T11:00:00Z';
const started = '2026-11-29T12:00:01Z';
const old = [task(), task()];

describe('one look at a Swarm service during an update', () => {
  it('waits right after an update, before the rolling update started: no status, the old tasks run', () => {
    // The manager clears UpdateStatus when it accepts the new spec and sets it again when its
    // updater starts, a moment later: the old tasks still run and none is up to date.
    const look = swarmServiceLook(service(), old, none, before);
    expect(look).toMatchObject({ verdict: 'waiting', running: 0, wanted: 2 });
  });

  it('waits while a service still shows the previous update as completed and the old tasks', () => {
    const stale = service({ State: 'completed', StartedAt: before });
    expect(swarmServiceLook(stale, old, none, before).verdict).toBe('waiting');
  });

  it('waits when the service had no update before and the old tasks still run', () => {
    expect(swarmServiceLook(service(), old, none, '').verdict).toBe('waiting');
  });

  it("does not take a previous update's rollback for this one's", () => {
    const stale = service({ State: 'rollback_completed', StartedAt: before });
    expect(swarmServiceLook(stale, old, none, before).verdict).toBe('waiting');
  });

  it('says rolled back when this update was', () => {
    const now = service({ State: 'rollback_completed', StartedAt: started });
    expect(swarmServiceLook(now, old, ids(old), before).verdict).toBe('rolled-back');
  });

  it('waits while this update is in progress, converges once it completed on new tasks', () => {
    const fresh = task();
    const mixed = [fresh, task('running', 'shutdown'), task()];
    const updating = service({ State: 'updating', StartedAt: started });
    expect(swarmServiceLook(updating, mixed, ids([fresh]), before)).toMatchObject({
      verdict: 'waiting',
      running: 1,
    });
    const done = [task(), task()];
    const completed = service({ State: 'completed', StartedAt: started });
    const all = [...done, task('shutdown', 'shutdown')];
    expect(swarmServiceLook(completed, all, ids(done), before).verdict).toBe('converged');
  });

  it('waits while the last new task runs but the update still monitors it', () => {
    const updating = service({ State: 'updating', StartedAt: started });
    const done = [task(), task()];
    expect(swarmServiceLook(updating, done, ids(done), before).verdict).toBe('waiting');
  });

  it('converges at once on a change that needs no rolling update (every task up to date, no status)', () => {
    const look = swarmServiceLook(service(), old, ids(old), before);
    expect(look).toMatchObject({ verdict: 'converged', running: 2, wanted: 2 });
  });

  it('a new service converges once as many tasks run as it wants, and not with too many', () => {
    const starting = [task('starting')];
    expect(swarmServiceLook(service(), starting, ids(starting)).verdict).toBe('waiting');
    const two = [task(), task()];
    expect(swarmServiceLook(service(), two, ids(two)).verdict).toBe('converged');
    const three = [task(), task(), task()];
    expect(swarmServiceLook(service(), three, ids(three)).verdict).toBe('waiting');
  });
});
