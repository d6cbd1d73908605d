import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { ResolvedService } from '../../stacks/model/model.js';
import { bundleCode, type IncrementalBundler } from '../bundle/bundle-code.js';
import type { Engine } from '../engine/client.js';
import { type HotpatchOutcome, hotpatchServices } from '../engine/hotpatch-services.js';
import type { PatchedReplica } from '../engine/patch-replica.js';
import type { PatchesAhead } from '../engine/patches-ahead.js';
import { EstepsError } from '../errors.js';
import type { Progress } from '../ui/progress.js';
import type { Project } from './load-project.js';
import { acquireProjectLock } from './project-lock.js';

export interface HotpatchProjectOptions {
  /** Only these services. @default every hot-patchable service of the stack */
  readonly services?: readonly string[];
  /**
   * Take the code from this folder instead (`--source`, absolute): each source path is taken
   * at the same place relative to it as it has relative to the project's source root.
   */
  readonly source?: string;
  readonly progress: Progress;
  readonly signal?: AbortSignal;
  /** Bundles incrementally with this (`esteps watch`). @default a build from scratch */
  readonly bundler?: IncrementalBundler;
  /** Patch processes started ahead in the containers (`esteps watch`). @default none */
  readonly ahead?: PatchesAhead;
}

/** What `esteps hotpatch --json` prints (a stable shape: fields are only ever added). */
export interface HotpatchResult {
  readonly project: string;
  /** The first (in step 1: the only) patched service, its version and replicas. */
  readonly service: string;
  readonly version: string;
  /** From the command starting to the last replica serving the new code. */
  readonly durationMs: number;
  readonly phases: HotpatchOutcome['phases'];
  readonly replicas: readonly PatchedReplica[];
  /** Every patched service. */
  readonly services: HotpatchOutcome['services'];
}

/**
 * Hot-patches a loaded project: takes its lock, bundles each service's code as it is now
 * and has the engine side take it into every running replica. `esteps hotpatch` calls it
 * once; `esteps watch` once per burst of saves.
 */
export async function hotpatchProject(
  project: Project,
  engine: Engine,
  options: HotpatchProjectOptions,
): Promise<HotpatchResult> {
  const started = performance.now();
  const services = hotpatchableServices(project, options.services);
  const rebase = sourceRebase(project, options.source);
  await using _lock = await acquireProjectLock(project.dir, project.name, 'hotpatch');
  const outcome = await hotpatchServices({
    docker: engine.docker,
    stack: project.resolved,
    services,
    bundle: (service) => {
      const bundle = service.build!.bundles[service.hotpatch!.bundle]!;
      return bundleCode({ ...bundle, entry: rebase(bundle.entry) }, rebase(project.resolved.root), {
        changed: true,
        ...(options.bundler && { bundler: options.bundler }),
      });
    },
    progress: options.progress,
    ...(options.signal && { signal: options.signal }),
    ...(options.ahead && { ahead: options.ahead }),
  });
  const first = outcome.services[0]!;
  return {
    project: project.name,
    service: first.service,
    version: first.version,
    durationMs: Math.round(performance.now() - started),
    phases: outcome.phases,
    replicas: first.replicas,
    services: outcome.services,
  };
}

/** The stack's hot-patchable services, or the named ones (each must be hot-patchable). */
export function hotpatchableServices(
  project: Project,
  names: readonly string[] | undefined,
): ResolvedService[] {
  const patchable = project.resolved.services.filter((s) => s.hotpatch);
  if (patchable.length === 0) {
    throw new EstepsError(
      'USAGE',
      `Stack "${project.resolved.name}" has no hot-patchable service.`,
      {
        hint: 'Give the service that runs your code a `hotpatch` section in the stack (see the README).',
      },
    );
  }
  if (names === undefined || names.length === 0) return patchable;
  return names.map((name) => {
    const found = patchable.find((s) => s.name === name);
    if (!found) {
      throw new EstepsError(
        'USAGE',
        `Service "${name}" of stack "${project.resolved.name}" is not hot-patchable.`,
        {
          hint: `Hot-patchable services: ${patchable.map((s) => s.name).join(', ')}.`,
        },
      );
    }
    return found;
  });
}

/** Maps a source path of the project to the same place under `--source DIR`. */
export function sourceRebase(
  project: Project,
  source: string | undefined,
): (path: string) => string {
  if (source === undefined) return (path) => path;
  if (source === '') {
    throw new EstepsError('USAGE', 'The folder given with --source is empty.', {
      hint: "Give a folder, or leave --source out to patch from the stack's own sources.",
    });
  }
  const root = resolve(source);
  if (!existsSync(root)) {
    throw new EstepsError('USAGE', `--source ${root} does not exist.`, {
      hint: `--source names a copy of ${project.sourceRoot}, holding the code at the same paths.`,
    });
  }
  return (path) =>
    path.startsWith('esteps/') ? path : join(root, relative(project.sourceRoot, path));
}

/** The folders to watch for a project's hot-patchable services, under `--source` if given. */
export function watchedFolders(
  services: readonly ResolvedService[],
  rebase: (path: string) => string,
): { readonly service: string; readonly folders: readonly string[] }[] {
  return services.map((s) => ({ service: s.name, folders: s.hotpatch!.watch.map(rebase) }));
}
