import type { ResolvedService } from '../../stacks/model/model.js';
import type { CommandContext, CommandResult, RegisterCommand } from '../command.js';
import { connectEngine } from '../engine/client.js';
import { listProjectContainers } from '../engine/observe.js';
import { runningReplicas } from '../engine/running-service.js';
import { EstepsError } from '../errors.js';
import { type ProjectOptions, readProject, withProjectOptions } from '../project-options.js';
import { probeCheck, runSmoke, type SmokeCheck } from '../smoke/run-smoke.js';
import { smokeSwarmCommand } from '../swarm/swarm-read-commands.js';
import { formatTable } from '../ui/table.js';

export interface SmokeResult {
  readonly project: string;
  /** Where the (first) checked service answers. */
  readonly url: string;
  readonly checks: readonly SmokeCheck[];
}

/**
 * `esteps smoke`: runs the stack's smoke checks against the running stack (step 1: the user
 * story; step 2: the same story through the edge); a stack that declares none gets its
 * services' readiness probes. Throws
 * SMOKE_FAILED if any check fails, INTERRUPTED after cleaning up on Ctrl-C.
 */
export async function smokeCommand(
  ctx: CommandContext,
  options: ProjectOptions,
): Promise<SmokeResult> {
  const project = await readProject(ctx, options);
  const { docker } = await connectEngine(ctx.env);
  const stack = project.resolved;
  const containers = await listProjectContainers(docker, stack.project);
  const targets: { service: ResolvedService; checks: Parameters<typeof runSmoke>[0]['checks'] }[] =
    stack.smoke
      ? [
          {
            service: stack.services.find((s) => s.name === stack.smoke!.service)!,
            checks: stack.smoke.checks,
          },
        ]
      : stack.services
          .filter((s) => s.httpProbe)
          .map((s) => ({ service: s, checks: probeCheck(s) }));
  if (targets.length === 0) {
    throw new EstepsError(
      'USAGE',
      `Stack "${stack.name}" declares no smoke checks and no service has an httpProbe.`,
      {
        hint: 'Declare `smoke: { service, checks }` in the stack, or an httpProbe on a service.',
      },
    );
  }
  const checks: SmokeCheck[] = [];
  let firstUrl: string | undefined;
  for (const { service, checks: run } of targets) {
    const url = runningReplicas(stack, service, containers).find((r) => r.baseUrl)?.baseUrl;
    if (!url) {
      const port = service.envoy ? 'its Envoy listener port' : 'its probe port';
      throw new EstepsError('NOT_RUNNING', `${service.name} publishes no port to reach it on.`, {
        hint: `Publish ${port} in the stack definition, then run esteps up again.`,
      });
    }
    firstUrl ??= url;
    ctx.progress.start(`smoke ${url}`);
    checks.push(
      ...(await runSmoke({
        baseUrl: url,
        checks: run,
        signal: ctx.signal,
        onCheck: (c) => ctx.progress.update(`smoke ${url}: ${c.name} ${c.ok ? 'ok' : 'FAILED'}`),
      })),
    );
  }
  const url = firstUrl!;
  if (ctx.signal.aborted) {
    ctx.progress.fail('smoke interrupted; what it created was removed');
    throw new EstepsError('INTERRUPTED', 'Smoke was interrupted; the checks that ran are listed.', {
      details: { project: project.name, url, checks, output: formatChecks(checks) },
    });
  }
  const failed = checks.filter((c) => !c.ok);
  if (failed.length > 0) {
    ctx.progress.fail(`smoke: ${failed.length} of ${checks.length} checks failed`);
    throw new EstepsError(
      'SMOKE_FAILED',
      `Smoke failed against ${url}: ${failed.map((c) => c.name).join(', ')}.`,
      {
        hint: `Look at the services' logs: esteps logs -p ${project.name}.`,
        details: { project: project.name, url, checks, output: formatChecks(checks) },
      },
    );
  }
  ctx.progress.succeed(`smoke: ${checks.length} checks passed`);
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
      .description(
        "Run the stack's smoke checks against it (step 1: the user story; step 2: through the edge)",
      ),
    'print one JSON document with a record per check',
  )
    .option('--swarm', 'run the checks against the project on the Swarm DOCKER_HOST points at')
    .action(
      run(async (ctx, options: ProjectOptions & { swarm?: boolean }): Promise<CommandResult> => {
        if (options.swarm) return smokeSwarmCommand(ctx, options);
        const result = await smokeCommand(ctx, options);
        return { data: { ...result }, text: formatChecks(result.checks) };
      }),
    );
};
