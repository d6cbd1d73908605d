import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { ResolvedService } from '../../stacks/model/model.js';
import { EstepsError } from '../errors.js';
import type { Project } from './load-project.js';

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
