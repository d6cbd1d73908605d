import type { ResolvedStack } from '../model/model.js';
import { type ComposeDocument, type RenderedCompose, renderCompose } from './render-compose.js';

export interface SwarmStackOptions {
  /** Where the nodes pull built images from: `<registry>/<name>:<tag>`; a variable reference is kept. */
  readonly registry: string;
  readonly endpointMode: 'vip' | 'dnsrr';
  readonly publishMode: 'ingress' | 'host';
}

/**
 * The stack as a file `docker stack deploy` takes (compose file format 3.8): the compose
 * rendering, with what a Swarm needs instead of what one engine does. Built images are named
 * in the registry (push them first: `esteps up --swarm` does), `build:`, `depends_on:` and
 * `restart:` give way to `deploy:` (replicas, placement, start-first or stop-first rolling
 * updates with rollback, restart policy, limits), ports use the long syntax with their
 * publish mode, networks are overlays, secrets stay files beside it. A service with a volume
 * runs on a manager (`node.role==manager`): `up --swarm` pins it to one node, which a file
 * written before the deployment cannot know. tmpfs mounts are long-syntax volumes (the
 * service key `tmpfs:` is dropped by `docker stack deploy`). `docker stack deploy` ignores
 * `security_opt` (it says so). Pure.
 */
export function renderSwarmStack(
  stack: ResolvedStack,
  options: SwarmStackOptions,
): RenderedCompose & {
  document: ComposeDocument & { version: string };
  /** What the file cannot say as the stack does, one line each (render puts them in its header). */
  notes: readonly string[];
} {
  const rendered = renderCompose(stack);
  const notes: string[] = [];
  const services: ComposeDocument['services'] = {};
  for (const s of stack.services) {
    const {
      build: _build,
      depends_on: _deps,
      restart: _restart,
      mem_limit: _mem,
      pids_limit: _pids,
      scale: _scale,
      ports: _ports,
      tmpfs: _tmpfs,
      ...out
    } = rendered.document.services[s.name]!;
    if (s.build) out.image = `${options.registry}/${repository(s.image)}`;
    if (s.ports.length > 0) {
      out.ports = s.ports.map((p, i) => ({
        target: p.containerPort,
        published: portValue(rendered.document.services[s.name]!.ports, i) ?? p.hostPort,
        protocol: p.protocol,
        mode: options.publishMode,
      }));
    }
    // `docker stack deploy` drops a service's `tmpfs:` key without a word, and a read-only
    // root then has no writable /tmp: tmpfs mounts are long-syntax volumes, which carry only
    // a size in format 3.8 (a tmpfs is then mode 1777, owned by root).
    if (s.tmpfs.length > 0) {
      out.volumes = [
        ...((out.volumes as unknown[] | undefined) ?? []),
        ...s.tmpfs.map((t) => ({
          type: 'tmpfs',
          target: t.target,
          ...(t.sizeBytes !== undefined && { tmpfs: { size: t.sizeBytes } }),
        })),
      ];
      for (const t of s.tmpfs) {
        if (t.mode !== 0o1777 || t.uid !== undefined || t.gid !== undefined)
          notes.push(
            `${s.name}: tmpfs ${t.target} is mode 1777, owned by root (format 3.8 has no tmpfs mode, uid or gid)`,
          );
      }
    }
    const r = s.rollout;
    const update = {
      parallelism: r.parallelism,
      delay: duration(r.delayMs),
      order: r.order[options.publishMode],
      monitor: duration(r.monitorMs),
      max_failure_ratio: r.maxFailureRatio,
    };
    // No pids limit in format 3.8 (the Swarm API has one: `up --swarm` sets it).
    const limits = {
      ...(s.limits.memoryBytes !== undefined && { memory: `${s.limits.memoryBytes}` }),
    };
    out.deploy = {
      mode: 'replicated',
      replicas: s.replicas,
      endpoint_mode: options.endpointMode,
      update_config: { ...update, failure_action: r.failureAction },
      rollback_config: { ...update, failure_action: r.rollbackFailureAction },
      restart_policy: { condition: r.restartCondition, delay: duration(r.restartDelayMs) },
      ...((s.volumes.length > 0 || s.maxReplicasPerNode !== undefined) && {
        placement: {
          ...(s.volumes.length > 0 && { constraints: ['node.role==manager'] }),
          ...(s.maxReplicasPerNode !== undefined && {
            max_replicas_per_node: s.maxReplicasPerNode,
          }),
        },
      }),
      ...(Object.keys(limits).length > 0 && { resources: { limits } }),
    };
    services[s.name] = out;
  }
  const networks = Object.fromEntries(
    Object.keys(stack.networks).map((n) => [n, { driver: 'overlay', attachable: true }]),
  );
  return {
    ...rendered,
    notes,
    document: {
      version: '3.8',
      ...rendered.document,
      services,
      ...(Object.keys(networks).length > 0 && { networks }),
    },
  };
}

/** The published part of a short-syntax port (`127.0.0.1:${VAR:-5000}:5000`), as rendered. */
function portValue(ports: unknown, i: number): string | undefined {
  const short = Array.isArray(ports) ? (ports[i] as string | undefined) : undefined;
  if (!short) return undefined;
  const parts = short.replace(/\/(tcp|udp)$/, '').split(':');
  // hostIp:hostPort:containerPort, where hostPort may be `${VAR:-default}` (no colon in it
  // other than the one after VAR).
  const inner = short.match(/^[^:]*:(\$\{[^}]*\}|\d+):\d+/);
  return inner?.[1] ?? parts[1];
}

/** Compose durations: `5s`, `1500ms`. */
function duration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** `esteps/demo-usersvc:latest` (any registry part dropped). */
function repository(image: string): string {
  const first = image.split('/')[0]!;
  const hasRegistry =
    image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  return hasRegistry ? image.slice(first.length + 1) : image;
}
