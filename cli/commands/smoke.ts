import type { CommandContext, CommandResult, RegisterCommand } from '../command.js';
import { connectEngine } from '../engine/client.js';
import { findRunningService } from '../engine/running-service.js';
import { EstepsError } from '../errors.js';
import { readProject, withProjectOptions } from '../project-options.js';
import { runSmoke, type SmokeCheck } from '../smoke/run-smoke.js';
import { formatTable } from '../ui/table.js';

export interface SmokeOptions {
  readonly stack?: string;
  readonly project?: string;
}

export interface SmokeResult {
  readonly project: string;
  readonly url: string;
  readonly checks: readonly SmokeCheck[];
}

/** Drives the running stack through the user story; throws SMOKE_FAILED if any check fails. */
export async function smokeCommand(
  ctx: CommandContext,
  options: SmokeOptions,
): Promise<SmokeResult> {
  const project = await readProject(ctx, options);
  const { docker } = await connectEngine(ctx.env);
  const { service, replicas } = await findRunningService(docker, project.resolved);
  const url = replicas.find((r) => r.baseUrl)?.baseUrl;
  if (!url) {
    throw new EstepsError('NOT_RUNNING', `${service.name} publishes no port to reach it on.`, {
      hint: 'Publish its port in the stack definition, then run esteps up again.',
    });
  }
  ctx.progress.start(`smoke ${url}`);
  const checks = await runSmoke({
    baseUrl: url,
    onCheck: (c) => ctx.progress.update(`smoke ${url}: ${c.name} ${c.ok ? 'ok' : 'FAILED'}`),
  });
  const failed = checks.filter((c) => !c.ok);
  if (failed.length > 0) {
    ctx.progress.fail(`smoke ${url}: ${failed.length} of ${checks.length} checks failed`);
    throw new EstepsError(
      'SMOKE_FAILED',
      `Smoke failed against ${url}: ${failed.map((c) => c.name).join(', ')}.`,
      {
        hint: `Look at the service's logs: esteps logs ${service.name} -p ${project.name}.`,
        details: { project: project.name, url, checks, output: formatChecks(checks) },
      },
    );
  }
  ctx.progress.succeed(`smoke ${url}: ${checks.length} checks passed`);
  return { project: project.name, url, checks };
}

export function formatChecks(checks: readonly SmokeCheck[]): string {
  return formatTable(
    ['CHECK', 'RESULT', 'TIME', 'DETAIL'],
    checks.map((c) => [
      c.name,
      c.ok ? 'ok' : 'FAILED',
      `${c.durationMs} ms`,
      c.ok ? '' : `expected ${c.expected}, got ${c.received}`,
    ]),
  );
}

export const registerSmoke: RegisterCommand = (program, run) => {
  withProjectOptions(
    program
      .command('smoke')
      .description('Check the running service: health, create, read, login, delete'),
    'print one JSON document with a record per check',
  ).action(
    run(async (ctx, options: SmokeOptions): Promise<CommandResult> => {
      const result = await smokeCommand(ctx, options);
      return { data: { ...result }, text: formatChecks(result.checks) };
    }),
  );
};
