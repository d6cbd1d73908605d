import { EstepsError } from '../errors.js';
import type { ObservedState, UnownedResource } from './observed-state.js';

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
