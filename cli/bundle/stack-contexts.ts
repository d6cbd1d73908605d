import type { ResolvedStack } from '../../stacks/model/model.js';
import { edgeConfigFiles } from '../../stacks/render/edge-files.js';
import { bundleAll } from './bundle-code.js';
import { type ContextFile, contextFiles } from './context-files.js';

/** What goes into one service's build context: the context folder's files and what esteps adds. */
export interface ServiceContext {
  readonly files: readonly ContextFile[];
  /**
   * Files esteps makes, by their path in the context: the bundles, and an edge's generated
   * Envoy configuration. They win over context files of the same path.
   */
  readonly generated: Readonly<Record<string, Buffer>>;
}

/**
 * The build contexts of every built service of a stack, by service name: what `up` sends
 * the engine and what `render -o` writes beside an ejected compose file. Bundles are made
 * from the stack's root (deterministic paths).
 */
export async function stackContexts(
  stack: ResolvedStack,
  /** The bundle cache's folder (cacheRoot). */
  cacheDir: string,
): Promise<Record<string, ServiceContext>> {
  const workingDir = stack.root;
  const built = stack.services.filter((s) => s.build);
  const contexts = await Promise.all(
    built.map(async (s) => {
      const build = s.build!;
      const [files, bundles, edgeFiles] = await Promise.all([
        contextFiles(build.context, build.dockerfile),
        bundleAll(build.bundles, workingDir, cacheDir),
        edgeConfigFiles(stack, s),
      ]);
      const configs = Object.entries(edgeFiles).map(
        ([path, text]) => [path, Buffer.from(text)] as const,
      );
      return [
        s.name,
        { files, generated: { ...bundles, ...Object.fromEntries(configs) } },
      ] as const;
    }),
  );
  return Object.fromEntries(contexts);
}
