import type { ResolvedStack } from '../../stacks/model/model.js';
import type { ContextFile } from '../bundle/context-files.js';
import { stackContexts } from '../bundle/stack-contexts.js';
import { sha256 } from './config-hash.js';
import { createTar, type TarEntry } from './tar.js';

/** A build context assembled in memory: the archive the engine gets and its digest. */
export interface BuildContext {
  readonly tar: Buffer;
  /** sha256 of the archive bytes; part of the image's build hash. */
  readonly digest: string;
}

/**
 * The context's files plus what esteps generated (bundles, an edge's Envoy configuration),
 * keyed by their path in the context (a generated file wins over a file of the same path), as
 * one deterministic archive.
 */
export function assembleBuildContext(
  files: readonly ContextFile[],
  generated: Readonly<Record<string, Buffer>>,
): BuildContext {
  const entries = new Map<string, TarEntry>(files.map((f) => [f.path, f]));
  for (const [path, data] of Object.entries(generated)) entries.set(path, { path, data });
  const tar = createTar([...entries.values()]);
  return { tar, digest: sha256(tar) };
}

/** The assembled build context of every built service of a stack (bundling its code), by name. */
export async function stackBuildContexts(
  stack: ResolvedStack,
  /** The bundle cache's folder (cacheRoot). */
  cacheDir: string,
): Promise<Record<string, BuildContext>> {
  const contexts = await stackContexts(stack, cacheDir);
  return Object.fromEntries(
    Object.entries(contexts).map(([s, c]) => [s, assembleBuildContext(c.files, c.generated)]),
  );
}
