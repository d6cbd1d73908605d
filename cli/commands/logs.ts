import type { Command } from 'commander';
import type { CommandContext, CommandResult, RegisterCommand } from '../command.js';
import { connectEngine } from '../engine/client.js';
import { followLogs, type LogLine, readLogs } from '../engine/container-logs.js';
import { listProjectContainers } from '../engine/observe.js';
import { readSwarmServiceLogs } from '../engine/swarm/swarm-service-logs.js';
import { EstepsError } from '../errors.js';
import { type ProjectOptions, readProject, withProjectOptions } from '../project-options.js';

export interface LogsOptions extends ProjectOptions {
  /** Keep streaming new lines. @default false */
  readonly follow?: boolean;
  /** Lines from the end of each container's log. @default all */
  readonly tail?: string;
  /** The project's services on the Swarm DOCKER_HOST points at. @default false */
  readonly swarm?: boolean;
}

/**
 * `esteps logs [SERVICE]`: container logs, demultiplexed (stdout and stderr), each line
 * prefixed with its container's name when several containers are shown. With `-f` it
 * streams until the containers stop or Ctrl-C.
 */
export async function logsCommand(
  ctx: CommandContext,
  options: LogsOptions,
  args: string[],
): Promise<CommandResult> {
  const service = args[0];
  const tail = parseTail(options.tail);
  const project = await readProject(ctx, options);
  const services = project.resolved.services.map((s) => s.name);
  if (service !== undefined && !services.includes(service)) {
    throw new EstepsError(
      'USAGE',
      `Stack "${project.resolved.name}" has no service "${service}"; its services: ${services.join(', ')}.`,
      { hint: `For example: esteps logs ${services[0]} -p ${project.name}` },
    );
  }
  const engine = await connectEngine(ctx.env);
  if (options.swarm) {
    const tail = parseTail(options.tail);
    const logs = await readSwarmServiceLogs(engine.docker, project.name, {
      ...(service && { service }),
      ...(tail !== undefined && { tail }),
    });
    if (logs.length === 0) {
      throw new EstepsError(
        'NOT_RUNNING',
        `Project ${project.name} has no services on the Swarm${service ? ` named ${service}` : ''}.`,
        {
          hint: 'Deploy it with esteps up --swarm; esteps ps --swarm lists its tasks.',
        },
      );
    }
    const text = logs.flatMap((l) => l.lines.map((line) => `${l.service} | ${line}`)).join('\n');
    return { data: { project: project.name, services: logs }, text };
  }
  const containers = (await listProjectContainers(engine.docker, project.name)).filter(
    (c) => !service || c.service === service,
  );
  if (containers.length === 0) {
    throw new EstepsError(
      'NOT_RUNNING',
      service
        ? `Project ${project.name} has no container of service ${service}.`
        : `Project ${project.name} has no containers.`,
      { hint: 'Start it with esteps up (esteps ps lists what exists).' },
    );
  }
  const prefixed = containers.length > 1;
  const width = Math.max(...containers.map((c) => c.name.length));
  const show = (name: string, line: LogLine) =>
    prefixed ? `${name.padEnd(width)} | ${line.text}` : line.text;
  if (options.follow && !ctx.json) {
    await Promise.all(
      containers.map((c) =>
        followLogs(engine.docker, c.id, { tail, signal: ctx.signal }, (line) =>
          process.stdout.write(`${show(c.name, line)}\n`),
        ),
      ),
    );
    return { data: {} };
  }
  const all = await Promise.all(
    containers.map(async (c) => {
      const lines = await readLogs(engine.docker, c.id, { tail, timestamps: true });
      return lines.map((l) => ({ container: c.name, service: c.service, ...splitTime(l) }));
    }),
  );
  const merged = all.flat().sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  return {
    data: {
      project: project.name,
      lines: merged.map(({ container, service: s, stream, text }) => ({
        container,
        service: s,
        stream,
        text,
      })),
    },
    text: merged.map((l) => show(l.container, l)).join('\n'),
  };
}

function parseTail(tail: string | undefined): number | undefined {
  if (tail === undefined || tail === 'all') return undefined;
  const n = Number(tail);
  if (!Number.isInteger(n) || n < 0) {
    throw new EstepsError('USAGE', `--tail must be a number of lines or "all", got "${tail}".`, {
      hint: 'For example: esteps logs usersvc --tail 50',
    });
  }
  return n;
}

/** Splits the engine's RFC 3339 timestamp off a line, normalised to sort as text. */
function splitTime(line: LogLine): LogLine & { time: string } {
  const space = line.text.indexOf(' ');
  const stamp = space > 0 ? line.text.slice(0, space) : '';
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/.exec(stamp);
  if (!m) return { ...line, time: '' };
  return {
    ...line,
    text: line.text.slice(space + 1),
    time: `${m[1]}.${(m[2] ?? '').padEnd(9, '0')}`,
  };
}

export const registerLogs: RegisterCommand = (program: Command, run) => {
  withProjectOptions(
    program
      .command('logs')
      .argument('[service]', 'only this service')
      .description("Show the project's container logs (demultiplexed)"),
    'print one JSON document on stdout',
    false,
  )
    .option('-f, --follow', 'keep streaming new lines')
    .option('--tail <lines>', 'lines from the end of each log (default: all)')
    .option('--swarm', "the project's service logs on the Swarm DOCKER_HOST points at (every task)")
    .action(run<LogsOptions>(logsCommand));
};
