import { EstepsError } from '../errors.js';
import type { ObservedContainer, ObservedState, UnownedResource } from './observed-state.js';

/**
 * Resources that have the project's names but were not created by esteps for it (no project
 * label, or another project's): adopting them would change what someone else made (a
 * volume's owner, a network's containers) while the plan says "no existing ...". `up`
 * refuses them all before changing anything.
 */
export function nameConflicts(observed: ObservedState): readonly UnownedResource[] {
  return observed.unowned ?? [];
}

const removeCommand: Record<UnownedResource['kind'], string> = {
  network: 'docker network rm',
  volume: 'docker volume rm',
  container: 'docker rm -f',
};

/** NAME_CONFLICT naming every such resource and the two ways out. */
export function nameConflict(project: string, conflicts: readonly UnownedResource[]): EstepsError {
  const described = conflicts.map(
    (c) =>
      `${c.kind} ${c.name} (${c.owner === undefined ? 'not created by esteps' : `of project ${c.owner}`})`,
  );
  const commands = conflicts.map((c) => `${removeCommand[c.kind]} ${c.name}`);
  const data = conflicts.some((c) => c.kind === 'volume')
    ? ' (a volume takes its data with it)'
    : '';
  return new EstepsError(
    'NAME_CONFLICT',
    `Project ${project} needs ${conflicts.length === 1 ? 'a name' : 'names'} already taken: ${described.join(', ')}. Nothing was changed.`,
    {
      hint: `Choose another project name (-p NAME), or, if nothing there is needed, remove ${conflicts.length === 1 ? 'it' : 'them'}${data}: ${commands.join('; ')}.`,
      details: { conflicts },
    },
  );
}

/**
 * The project's containers that another stack file made (a stack of the same name in another
 * folder): bringing this one up would remove or replace them. Containers made before the
 * label (an older esteps) carry none and are not counted. None when `stackFile` is not given.
 */
export function otherStackFiles(
  observed: ObservedState,
  stackFile: string | undefined,
): readonly ObservedContainer[] {
  if (stackFile === undefined) return [];
  return observed.containers.filter(
    (c) => c.replica >= 1 && c.stackFile !== undefined && c.stackFile !== stackFile,
  );
}

/** NAME_CONFLICT: the project is another stack file's, with the ways out. */
export function stackFileConflict(
  project: string,
  stackFile: string,
  others: readonly ObservedContainer[],
): EstepsError {
  const theirs = [...new Set(others.map((c) => c.stackFile!))];
  return new EstepsError(
    'NAME_CONFLICT',
    `Project ${project} was brought up from another stack file, ${theirs.map(showStackFile).join(', ')} (containers ${others.map((c) => c.name).join(', ')}), not ${showStackFile(stackFile)}. Nothing was changed.`,
    {
      hint: `Give this stack a project of its own (-p NAME, or ESTEPS_PROJECT in its .env); or, if this is the same project moved or copied, remove the running one first (esteps down -p ${project}; its volumes, the data, stay), then run esteps up here.`,
      details: { project, stackFile, madeBy: theirs, containers: others.map((c) => c.name) },
    },
  );
}

function showStackFile(stackFile: string): string {
  return stackFile.startsWith('builtin:')
    ? `the built-in stack ${stackFile.slice('builtin:'.length)}`
    : stackFile;
}
