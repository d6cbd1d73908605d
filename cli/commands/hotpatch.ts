import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { bundleServiceCode } from '../bundle/bundle-service.js';
import type { CommandContext, CommandResult, RegisterCommand } from '../command.js';
import { connectEngine } from '../engine/client.js';
import { type PatchedReplica, preparePatch } from '../engine/hotpatch.js';
import { findRunningService } from '../engine/running-service.js';
import { EstepsError } from '../errors.js';
import { packageRoot } from '../package-root.js';
import { readProject, withProjectOptions } from '../project-options.js';
import { formatTable } from '../ui/table.js';

export interface HotpatchOptions {
  readonly stack?: string;
  readonly project?: string;
  /** Directory holding the service code in `service/`. @default the esteps package */
  readonly source?: string;
}

export interface HotpatchResult {
  readonly project: string;
  readonly service: string;
  readonly version: string;
  /** From the command starting (after Node loaded it) to the last replica serving the new code. */
  readonly durationMs: number;
  /**
   * Where the time went, in ms: finding the running containers (project, engine), bundling
   * (the reload processes start meanwhile), then copying, reloading and verifying.
   */
  readonly phases: {
    readonly locateMs: number;
    readonly bundleMs: number;
    readonly patchMs: number;
  };
  readonly replicas: readonly PatchedReplica[];
}

/**
 * Bundles service/ as it is now, copies it into every running replica of the stack's
 * hot-patchable service and has each supervisor reload; returns once every replica serves
 * the new version. Replicas are patched one after another: a failure stops the rollout with
 * the old code serving where the new one did not start.
 */
export async function hotpatchCommand(
  ctx: CommandContext,
  options: HotpatchOptions,
): Promise<HotpatchResult> {
  const started = performance.now();
  const root = serviceRoot(ctx.cwd, options.source);
  // Both are independent; a problem with the project is reported before one with the engine.
  const [loaded, connected] = await Promise.allSettled([
    readProject(ctx, options),
    connectEngine(ctx.env),
  ]);
  if (loaded.status === 'rejected') throw loaded.reason;
  if (connected.status === 'rejected') throw connected.reason;
  const project = loaded.value;
  const { docker } = connected.value;
  const { service, replicas } = await findRunningService(docker, project.resolved);
  const located = performance.now();
  ctx.progress.start('bundling service/');
  // The reload processes start in the containers while esbuild bundles.
  const [bundled, ...prepared] = await Promise.allSettled([
    bundleServiceCode(root).then((bundle) => ({ bundle, at: performance.now() })),
    ...replicas.map((replica) => preparePatch(docker, replica)),
  ]);
  const patches = prepared.flatMap((p) => (p.status === 'fulfilled' ? [p.value] : []));
  const patched: PatchedReplica[] = [];
  try {
    if (bundled.status === 'rejected') throw bundled.reason;
    const refused = prepared.find((p) => p.status === 'rejected');
    if (refused) throw refused.reason;
    const { bundle, at: bundledAt } = bundled.value;
    for (const [i, patch] of patches.entries()) {
      ctx.progress.update(`patching ${replicas[i]?.container.name} to ${bundle.version}`);
      patched.push(await patch.apply(bundle.service, bundle.version, ctx.signal));
    }
    const durationMs = Math.round(performance.now() - started);
    const changed = patched.some((p) => !p.unchanged);
    ctx.progress.succeed(
      changed
        ? `${service.name} serves ${bundle.version} (${durationMs} ms)`
        : `${service.name} already serves ${bundle.version}`,
    );
    return {
      project: project.name,
      service: service.name,
      version: bundle.version,
      durationMs,
      phases: {
        locateMs: Math.round(located - started),
        bundleMs: Math.round(bundledAt - located),
        patchMs: Math.round(performance.now() - bundledAt),
      },
      replicas: patched,
    };
  } finally {
    for (const patch of patches) patch.cancel();
  }
}

/** Where the service code to patch from lives: `--source DIR` (holding service/), else ours. */
export function serviceRoot(cwd: string, source: string | undefined): string {
  if (source === undefined) return packageRoot();
  const root = resolve(cwd, source);
  if (!existsSync(join(root, 'service', 'main.ts'))) {
    throw new EstepsError('USAGE', `${root} holds no service/main.ts to patch from.`, {
      hint: '--source names the directory that contains service/ (by default, the esteps package).',
    });
  }
  return root;
}

export function formatHotpatch(result: HotpatchResult): string {
  const rows = result.replicas.map((r) => [
    r.container,
    r.previousVersion ?? '?',
    r.version,
    r.unchanged ? 'unchanged' : `${r.durationMs} ms`,
  ]);
  const { locateMs, bundleMs } = result.phases;
  const slowest = result.replicas.reduce<PatchedReplica | undefined>(
    (a, r) => (r.phases && (!a?.phases || r.durationMs > a.durationMs) ? r : a),
    undefined,
  )?.phases;
  const where = [`find ${locateMs}`, `bundle ${bundleMs}`];
  if (slowest) {
    const supervisor =
      slowest.supervisorMs === undefined ? '' : ` (supervisor ${slowest.supervisorMs})`;
    where.push(
      `copy ${slowest.copyMs}`,
      `reload ${slowest.reloadMs}${supervisor}`,
      `verify ${slowest.verifyMs}`,
    );
  }
  return `${formatTable(['CONTAINER', 'FROM', 'TO', 'TIME'], rows)}\npatched in ${result.durationMs} ms: ${where.join(', ')} ms`;
}

export const registerHotpatch: RegisterCommand = (program, run) => {
  withProjectOptions(
    program
      .command('hotpatch')
      .description('Copy the current service code into the running containers and reload it'),
    'print the result as one JSON document',
  )
    .option(
      '--source <dir>',
      'directory holding the service code in service/ (default: this package)',
    )
    .action(
      run(async (ctx, options: HotpatchOptions): Promise<CommandResult> => {
        const result = await hotpatchCommand(ctx, options);
        return { data: { ...result }, text: formatHotpatch(result) };
      }),
    );
};
