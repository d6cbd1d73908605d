import type { ResolvedStack } from '../../../stacks/model/model.js';
import { renderSwarmStack } from '../../../stacks/render/render-swarm-stack.js';
import type { SwarmSettings } from '../../engine/swarm/swarm-settings.js';
import type { Ejected } from '../target.js';

/**
 * A file for `docker stack deploy` (`esteps render --swarm`): the registry and the modes are
 * those `up --swarm` would use; an unset registry stays a reference the deploy reads.
 */
export function swarmEject(stack: ResolvedStack, settings: SwarmSettings): Ejected {
  const rendered = renderSwarmStack(stack, {
    registry: settings.registry ?? `\${ESTEPS_REGISTRY:?set ESTEPS_REGISTRY}`,
    ...settings.modes,
  });
  return {
    rendered,
    header: [
      `Rendered by esteps from stack "${stack.name}" for project "${stack.project}", for a Swarm.`,
      `Run it with: docker stack deploy -c FILE ${stack.project}`,
      'Built images must be in the registry first (esteps up --swarm pushes them).',
      'Variables come from the environment of docker stack deploy (it reads no .env); secrets',
      'from the files under secrets/.',
      ...rendered.notes.map((n) => `Note: ${n}.`),
    ].join('\n'),
    run: (file, project) =>
      `Run (images pushed by esteps up --swarm): ${standInVariables(stack, settings.registry)}docker stack deploy -c ${file} ${project}`,
  };
}

/**
 * `ESTEPS_POSTGRES_IMAGE=<registry>/esteps-local/postgres:15-bookworm ` for each image a
 * variable names that is a stand-in of setup (`esteps-local/...`): no registry but the Swarm's
 * serves it (`up --swarm` pushed it there), and docker stack deploy reads no `.env`.
 */
function standInVariables(stack: ResolvedStack, registry: string | undefined): string {
  const assignments = stack.services.flatMap((s) => {
    const origin = stack.origins[`services.${s.name}.image`];
    return !s.build && origin && s.image.startsWith('esteps-local/')
      ? [`${origin.variable}=${registry ?? '$ESTEPS_REGISTRY'}/${s.image} `]
      : [];
  });
  return [...new Set(assignments)].join('');
}
