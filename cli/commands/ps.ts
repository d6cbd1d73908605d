import type { Command } from 'commander';
import type { RegisterCommand } from '../command.js';
import { type PsOutcome, ps } from '../operations/ps.js';
import type { Replica } from '../targets/target.js';
import { formatTable } from '../ui/table.js';
import {
  type ProjectOptions,
  projectInput,
  type TargetOptions,
  withProjectOptions,
  withTargetOption,
} from './project-options.js';

/**
 * `ps --json`: `containers` on one engine, `tasks` on a Swarm (stable shapes: fields are only
 * ever added), both the outcome's replicas.
 */
function psJson({ project, target, replicas }: PsOutcome): object {
  if (target === 'swarm') {
    return {
      project,
      tasks: replicas.map((r) => ({
        service: r.service,
        node: r.node,
        state: r.state,
        desiredState: r.desiredState,
        slot: r.slot,
        id: r.id,
        image: r.image,
        error: r.error,
        updatedAt: r.updatedAt,
      })),
    };
  }
  return {
    project,
    containers: replicas.map(
      ({ service, name, state, health, ports, image, startedAt, uptimeSeconds }) => ({
        service,
        name,
        state,
        health,
        ports,
        image,
        startedAt,
        uptimeSeconds,
      }),
    ),
  };
}

function psText({ project, replicas }: PsOutcome): string {
  if (replicas.length === 0) return `project ${project}: nothing running`;
  const nodes = replicas.some((r) => r.node !== undefined);
  const rows = replicas.map((r) => [
    r.service,
    r.name,
    ...(nodes ? [r.node ?? '-'] : []),
    r.state,
    r.health === 'none' ? '-' : r.health,
    address(r),
    r.image,
    r.uptimeSeconds === null ? (r.error ?? '-') : formatUptime(r.uptimeSeconds),
  ]);
  const head = [
    'SERVICE',
    'NAME',
    ...(nodes ? ['NODE'] : []),
    'STATE',
    'HEALTH',
    'ADDRESS',
    'IMAGE',
    'UPTIME',
  ];
  return formatTable(head, rows);
}

function address(r: Replica): string {
  return (
    r.ports.map((p) => p.url ?? `${p.hostIp}:${p.hostPort}->${p.containerPort}`).join(', ') || '-'
  );
}

export function formatUptime(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${seconds % 60}s`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h${Math.floor((seconds % 3600) / 60)}m`;
  return `${Math.floor(seconds / 86400)}d${Math.floor((seconds % 86400) / 3600)}h`;
}

export const registerPs: RegisterCommand = (program: Command, run) => {
  withTargetOption(
    withProjectOptions(
      program.command('ps').description("List the project's containers: state, health, address"),
    ),
    "list the project's tasks on the Swarm the engine is a manager of",
  ).action(
    run<ProjectOptions & TargetOptions>(async (ctx, options) => {
      const outcome = await ps(ctx, projectInput(options));
      return { data: psJson(outcome), text: psText(outcome) };
    }),
  );
};
