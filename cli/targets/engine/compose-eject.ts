import type { ResolvedStack } from '../../../stacks/model/model.js';
import type { RenderedCompose } from '../../../stacks/render/render-compose.js';
import type { Ejected } from '../target.js';

/** A compose file for docker compose (`esteps render`), with its header and run line. */
export function composeEject(stack: ResolvedStack, rendered: RenderedCompose): Ejected {
  return {
    rendered,
    header: [
      `Rendered by esteps from stack "${stack.name}" for project "${stack.project}".`,
      `Run it with: docker-compose -p ${stack.project} -f FILE up -d --build`,
      'Variables come from the .env beside this file; secrets from the files under secrets/.',
    ].join('\n'),
    run: (file, project) => `Run: docker-compose -p ${project} -f ${file} up -d --build`,
  };
}
