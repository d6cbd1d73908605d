import type { ResolvedService, ResolvedSmoke, SmokeContext } from '../../stacks/model/model.js';
import { EstepsError } from '../errors.js';
import { formatChecks } from '../smoke/format-checks.js';
import { probeCheck, runSmoke, type SmokeCheck } from '../smoke/run-smoke.js';
import type { OperationContext } from './context.js';
import { openProject, type ProjectInput } from './project-input.js';

export interface SmokeOutcome {
  readonly project: string;
  /** Where the (first) checked service answers. */
  readonly url: string;
  /** The replica the checks went to (a container, or a Swarm node). */
  readonly replica: string;
  readonly checks: readonly SmokeCheck[];
}

/**
 * `esteps smoke`: runs the stack's smoke checks against the running stack (step 1: the user
 * story; step 2: the same story through the edge), over real HTTP, through a published port
 * of a running replica; a stack that declares none gets its services' readiness probes.
 * What the checks created is removed whatever happens. Throws SMOKE_FAILED if any check
 * fails (with every check in `details`), INTERRUPTED after cleaning up on Ctrl-C.
 */
export async function smoke(ctx: OperationContext, input: ProjectInput): Promise<SmokeOutcome> {
  await using opened = await openProject(ctx, input);
  const { project, target } = opened;
  const stack = project.resolved;
  const targets = smokeTargets(stack.name, stack.smoke, stack.services);
  const checks: SmokeCheck[] = [];
  let first: { url: string; replica: string } | undefined;
  for (const { service, checks: run, timeoutMs } of targets) {
    const address = (await target.addresses(stack, service))[0];
    if (!address) {
      const port = service.envoy ? 'its Envoy listener port' : 'its probe port';
      throw new EstepsError('NOT_RUNNING', `${service.name} publishes no port to reach it on.`, {
        hint: `Publish ${port} in the stack definition, then run esteps up again.`,
      });
    }
    first ??= { url: address.baseUrl, replica: address.replica };
    ctx.progress.start(`smoke ${address.baseUrl}`);
    checks.push(
      ...(await runSmoke({
        baseUrl: address.baseUrl,
        checks: run,
        timeoutMs,
        signal: ctx.signal,
        onCheck: (c) =>
          ctx.progress.update(`smoke ${address.baseUrl}: ${c.name} ${c.ok ? 'ok' : 'FAILED'}`),
      })),
    );
  }
  const { url, replica } = first!;
  // The table goes with the error: the CLI prints it under the message.
  const details = { project: project.name, url, checks, output: formatChecks(checks) };
  if (ctx.signal.aborted) {
    ctx.progress.fail('smoke interrupted; what it created was removed');
    throw new EstepsError('INTERRUPTED', 'Smoke was interrupted; the checks that ran are listed.', {
      details,
    });
  }
  const failed = checks.filter((c) => !c.ok);
  if (failed.length > 0) {
    ctx.progress.fail(`smoke: ${failed.length} of ${checks.length} checks failed`);
    throw new EstepsError(
      'SMOKE_FAILED',
      `Smoke failed against ${url}: ${failed.map((c) => c.name).join(', ')}.`,
      { hint: `Look at the services' logs: esteps logs -p ${project.name}.`, details },
    );
  }
  ctx.progress.succeed(`smoke: ${checks.length} checks passed`);
  return { project: project.name, url, replica, checks };
}

type Checks = (t: SmokeContext) => Promise<void>;

/**
 * The stack's checks and the service they go to; else each probed service's probe, bounded
 * by the probe's own timeout.
 */
function smokeTargets(
  stackName: string,
  smoke: ResolvedSmoke | undefined,
  services: readonly ResolvedService[],
): { service: ResolvedService; checks: Checks; timeoutMs: number }[] {
  const targets = smoke
    ? [
        {
          service: services.find((s) => s.name === smoke.service)!,
          checks: smoke.checks,
          timeoutMs: smoke.timeoutMs,
        },
      ]
    : services
        .filter((s) => s.httpProbe)
        .map((s) => ({ service: s, checks: probeCheck(s), timeoutMs: s.httpProbe!.timeoutMs }));
  if (targets.length === 0) {
    throw new EstepsError(
      'USAGE',
      `Stack "${stackName}" declares no smoke checks and no service has an httpProbe.`,
      { hint: 'Declare `smoke: { service, checks }` in the stack, or an httpProbe on a service.' },
    );
  }
  return targets;
}
