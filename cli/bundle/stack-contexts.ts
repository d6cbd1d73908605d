import type { ResolvedStack } from '../../stacks/model.js';
import { bundleAll } from './bundle-code.js';
import { type ContextFile, contextFiles } from './context-files.js';

/** What goes into one service's build context: the context folder's files and the bundles. */
export interface ServiceContext {
  readonly files: readonly ContextFile[];
  readonly bundles: Readonly<Record<string, Buffer>>;
}

/**
 * The build contexts of every built service of a stack, by service name: what `up` sends
 * the engine and what `render -o` writes beside an ejected compose file. Bundles are made
 * from the stack's root (deterministic paths).
 */
export async function stackContexts(stack: ResolvedStack): Promise<Record<string, ServiceContext>> {
  const workingDir = stack.root;
  const built = stack.services.filter((s) => s.build);
  const contexts = await Promise.all(
    built.map(async (s) => {
      const build = s.build!;
      const [files, bundles] = await Promise.all([
        contextFiles(build.context, build.dockerfile),
        bundleAll(build.bundles, workingDir),
      ]);
      return [s.name, { files, bundles }] as const;
    }),
  );
  return Object.fromEntries(contexts);
}
