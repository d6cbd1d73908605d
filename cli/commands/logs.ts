import type { Command } from 'commander';
import type { RegisterCommand } from '../command.js';
import { EstepsError } from '../errors.js';
import { logs } from '../operations/logs.js';
import type { ReplicaLogLine } from '../targets/target.js';
import {
  type ProjectOptions,
  projectInput,
  type TargetOptions,
  withProjectOptions,
  withTargetOption,
} from './project-options.js';

export interface LogsOptions extends ProjectOptions, TargetOptions {
  /** Keep streaming new lines. @default false */
  readonly follow?: boolean;
  /** Lines from the end of each replica's log. @default all */
  readonly tail?: string;
}

/** `--tail N` or `all`. */
export function parseTail(tail: string | undefined): number | undefined {
  if (tail === undefined || tail === 'all') return undefined;
  const n = Number(tail);
  if (!/^\d+$/.test(tail.trim()) || !Number.isInteger(n) || n < 0) {
    throw new EstepsError('USAGE', `--tail must be a number of lines or "all", got "${tail}".`, {
      hint: 'For example: esteps logs usersvc --tail 50',
    });
  }
  return n;
}

/** Each line as shown: prefixed with its replica's name when there are several replicas. */
function lineFormat(replicas: readonly string[]): (line: ReplicaLogLine) => string {
  const width = Math.max(0, ...replicas.map((r) => r.length));
  return replicas.length > 1 ? (l) => `${l.replica.padEnd(width)} | ${l.text}` : (l) => l.text;
}

export const registerLogs: RegisterCommand = (program: Command, run) => {
  withTargetOption(
    withProjectOptions(
      program
        .command('logs')
        .argument('[service]', 'only this service')
        .description("Show the project's container logs (demultiplexed)"),
      'print one JSON document on stdout',
      false,
    ),
    "the project's service logs on the Swarm the engine is a manager of (every task)",
  )
    .option('-f, --follow', 'keep streaming new lines')
    .option('--tail <lines>', 'lines from the end of each log (default: all)')
    .action(
      run<LogsOptions>(async (ctx, options, args) => {
        const input = {
          ...projectInput(options),
          ...(args[0] !== undefined && { service: args[0] }),
          ...(options.tail !== undefined && { tail: parseTail(options.tail) }),
        };
        if (options.follow && !ctx.json) {
          await logs(ctx, {
            ...input,
            follow: (replicas) => {
              const show = lineFormat(replicas);
              return (line) => ctx.output(show(line));
            },
          });
          return { data: {} };
        }
        const outcome = await logs(ctx, input);
        const show = lineFormat(outcome.replicas);
        return {
          data: {
            project: outcome.project,
            lines: outcome.lines.map(({ replica, service, stream, text }) => ({
              container: replica,
              service,
              stream,
              text,
            })),
          },
          text: outcome.lines.map(show).join('\n'),
        };
      }),
    );
};
