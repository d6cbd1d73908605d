import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { sha256 } from './config-hash.js';
import { createTar, type TarEntry } from './tar.js';

/** A build context assembled in memory: the archive the engine gets and its digest. */
export interface BuildContext {
  readonly tar: Buffer;
  /** sha256 of the archive bytes; part of the image's build hash. */
  readonly digest: string;
}

/**
 * The files of a template directory plus generated files (the bundled service and its
 * supervisor), keyed by their path in the context. Generated files win over template files
 * of the same path. Executable bits are kept (the entrypoint), everything else is fixed.
 */
export async function assembleBuildContext(
  templateDir: string,
  generated: Readonly<Record<string, Buffer>>,
): Promise<BuildContext> {
  const entries = new Map<string, TarEntry>();
  for (const file of await listFiles(templateDir)) {
    const path = relative(templateDir, file).split(sep).join('/');
    const mode = (await stat(file)).mode & 0o111 ? 0o755 : 0o644;
    entries.set(path, { path, data: await readFile(file), mode });
  }
  for (const [path, data] of Object.entries(generated)) entries.set(path, { path, data });
  const tar = createTar([...entries.values()]);
  return { tar, digest: sha256(tar) };
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(full)));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}
