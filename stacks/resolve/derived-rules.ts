/**
 * What follows from a stack, derived once when it is resolved so that every consumer (the
 * compose renderer, the Swarm renderer, the engine's container specs, the Swarm's service
 * specs) translates keys and none decides a rule of its own.
 */
import type {
  ResolvedHealth,
  ResolvedRollout,
  ResolvedService,
  ResolvedTmpfs,
} from '../model/model.js';
import { readinessScript } from './readiness.js';

/** A resolved service before these rules are derived. */
type PlainService = Omit<ResolvedService, 'rollout' | 'health'>;

/**
 * An HTTP probe run as a Docker health check, where esteps is not there to wait on it (an
 * ejected compose file, a Swarm's rolling update): every second, so a replica is seen ready
 * within a second of answering, each try bounded by 2 s (a Node.js start on a busy node).
 */
export const probeHealthRule = { intervalMs: 1000, timeoutMs: 2000, startPeriodMs: 0 } as const;

/** The service's Docker health check: its own, or its HTTP probe's; none without either. */
export function effectiveHealth(service: PlainService): ResolvedHealth | undefined {
  if (service.healthcheck) {
    const { test, intervalMs, timeoutMs, retries, startPeriodMs } = service.healthcheck;
    return { source: 'healthcheck', test, intervalMs, timeoutMs, retries, startPeriodMs };
  }
  if (!service.httpProbe) return undefined;
  return {
    source: 'httpProbe',
    test: ['CMD', 'node', '-e', readinessScript(service.httpProbe)],
    ...probeHealthRule,
    // The probe's whole bound, in tries.
    retries: Math.max(1, Math.ceil(service.httpProbe.timeoutMs / probeHealthRule.intervalMs)),
  };
}

/**
 * How an orchestrator replaces the service's replicas (a Swarm; `render --swarm`): one at a
 * time, each watched 5 s, a failed update rolled back, and a restart 5 s after an exit.
 * start-first keeps the old replica serving until the new one is healthy; stop-first is for
 * what cannot run twice side by side: a database on its volume, or a fixed port published in
 * host mode (a second task on the node cannot bind it).
 */
export function rollout(service: PlainService): ResolvedRollout {
  const volume = service.volumes.length > 0;
  const publishes = service.ports.length > 0;
  return {
    parallelism: 1,
    delayMs: 0,
    monitorMs: 5000,
    maxFailureRatio: 0,
    failureAction: 'rollback',
    rollbackFailureAction: 'pause',
    order: {
      host: volume || publishes ? 'stop-first' : 'start-first',
      ingress: volume ? 'stop-first' : 'start-first',
    },
    restartCondition:
      service.restart === 'no' ? 'none' : service.restart === 'on-failure' ? 'on-failure' : 'any',
    restartDelayMs: 5000,
  };
}

/**
 * A tmpfs mount's options as the engine, `docker run --tmpfs` and compose's short syntax take
 * them: `size=65536,mode=1777,uid=10001,gid=10001`.
 */
export function tmpfsOptions(t: Omit<ResolvedTmpfs, 'options'>): string {
  return [
    t.sizeBytes !== undefined && `size=${t.sizeBytes}`,
    `mode=${t.mode.toString(8)}`,
    t.uid !== undefined && `uid=${t.uid}`,
    t.gid !== undefined && `gid=${t.gid}`,
  ]
    .filter(Boolean)
    .join(',');
}

/** The service with what follows from it: its effective health check and its rollout. */
export function withDerivedRules(service: PlainService): ResolvedService {
  const health = effectiveHealth(service);
  return { ...service, ...(health && { health }), rollout: rollout(service) };
}
