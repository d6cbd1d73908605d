import type { Command } from 'commander';
import {
  bothInOrder,
  type CommandContext,
  type CommandResult,
  type RegisterCommand,
} from '../command.js';
import { connectEngine } from '../engine/client.js';
import { hostUrl } from '../engine/inspect-state.js';
import { listProjectContainers } from '../engine/observe.js';
import type { ObservedContainer } from '../engine/observed-state.js';
import { type ProjectOptions, readProject, withProjectOptions } from '../project-options.js';
import { psSwarmCommand } from '../swarm/swarm-read-commands.js';
import { formatTable } from '../ui/table.js';

/**
 * One row of `esteps ps --json` (a stable shape: fields are only ever added).
 * `health` is 'healthy' | 'unhealthy' | 'starting' | 'none'; `state` is the engine's
 * ('running', 'exited', 'restarting', ...); `uptimeSeconds` is null unless running.
 */
export interface PsContainer {
  readonly service: string;
  readonly name: string;
  readonly state: string;
  readonly health: string;
  readonly ports: readonly {
    hostIp: string;
    hostPort: number;
    containerPort: number;
    url?: string;
  }[];
  readonly image: string;
  readonly startedAt: string | null;
  readonly uptimeSeconds: number | null;
}

/** `esteps ps`: the project's containers, from labels alone. */
export async function psCommand(
  ctx: CommandContext,
  options: ProjectOptions,
): Promise<CommandResult> {
  const [project, engine] = await bothInOrder(readProject(ctx, options), connectEngine(ctx.env));
  const probes = new Map(
    project.resolved.services.flatMap((s) => (s.httpProbe ? [[s.name, s.httpProbe]] : [])),
  );
  const now = Date.now();
  // The services' containers: esteps' short-lived ones (a build's steps, which carry the
  // image's labels, and volume helpers) have no replica number.
  const containers = (await listProjectContainers(engine.docker, project.name))
    .filter((c) => c.replica >= 1)
    .map((c) => toPsContainer(c, probes.get(c.service), now));
  const rows = containers.map((c) => [
    c.service,
    c.name,
    c.state,
    c.health === 'none' ? '-' : c.health,
    c.ports.map((p) => p.url ?? `${p.hostIp}:${p.hostPort}->${p.containerPort}`).join(', ') || '-',
    c.image,
    c.uptimeSeconds === null ? '-' : formatUptime(c.uptimeSeconds),
  ]);
  const text =
    containers.length === 0
      ? `project ${project.name}: no containers`
      : formatTable(['SERVICE', 'NAME', 'STATE', 'HEALTH', 'ADDRESS', 'IMAGE', 'UPTIME'], rows);
  return { data: { project: project.name, containers }, text };
}

function toPsContainer(
  c: ObservedContainer,
  probe: { path: string; containerPort: number } | undefined,
  now: number,
): PsContainer {
  const running = c.state === 'running' && c.startedAt !== undefined;
  return {
    service: c.service,
    name: c.name,
    state: c.state,
    health: c.health,
    ports: c.ports.map((p) => ({
      hostIp: p.hostIp,
      hostPort: p.hostPort,
      containerPort: p.containerPort,
      ...(p.protocol === 'tcp' && {
        url: hostUrl(p, probe?.containerPort === p.containerPort ? probe.path : ''),
      }),
    })),
    image: c.imageRef,
    startedAt: c.startedAt ?? null,
    uptimeSeconds: running
      ? Math.max(0, Math.round((now - Date.parse(c.startedAt!)) / 1000))
      : null,
  };
}

export function formatUptime(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${seconds % 60}s`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h${Math.floor((seconds % 3600) / 60)}m`;
  return `${Math.floor(seconds / 86400)}d${Math.floor((seconds % 86400) / 3600)}h`;
}

export const registerPs: RegisterCommand = (program: Command, run) => {
  withProjectOptions(
    program.command('ps').description("List the project's containers: state, health, address"),
  )
    .option('--swarm', "list the project's tasks on the Swarm DOCKER_HOST points at")
    .action(
      run<ProjectOptions & { swarm?: boolean }>((ctx, options) =>
        options.swarm ? psSwarmCommand(ctx, options) : psCommand(ctx, options),
      ),
    );
};
