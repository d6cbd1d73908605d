/**
 * The files `esteps render -o` writes, one at a time and safely: what goes where, what stands
 * in the way (a user's file, refused), replacing what the previous render left (never through
 * a link), and removing what it no longer writes.
 */
import {
  chmod,
  lstat,
  mkdir,
  readFile,
  rm,
  rmdir,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import type { RenderedCompose } from '../../stacks/render/render-compose.js';
import type { RenderRecord } from '../bundle/render-record.js';
import type { ServiceContext } from '../bundle/stack-contexts.js';
import { EstepsError } from '../errors.js';

/** One file render writes: bytes and mode, or a symbolic link. */
export interface Output {
  readonly data: Buffer;
  readonly mode: number;
  readonly linkTarget?: string;
}

/** Every built service's context files, by path relative to the compose file's folder. */
export function contextOutputs(
  rendered: RenderedCompose,
  contexts: Readonly<Record<string, ServiceContext>>,
): Map<string, Output> {
  const out = new Map<string, Output>();
  for (const [service, context] of Object.entries(contexts)) {
    const folder = posix.normalize(rendered.contexts[service] ?? service);
    for (const f of context.files) out.set(posix.join(folder, f.path), f);
    for (const [path, data] of Object.entries(context.generated)) {
      out.set(posix.join(folder, path), { data, mode: 0o644 });
    }
  }
  return out;
}

/**
 * WRITE_FAILED when a file the previous render did not write stands where one goes, or a
 * file or link stands where a folder goes: a user's, never overwritten. A compose file
 * with esteps' header (an older render, before the record) counts as esteps'.
 */
export async function refuseForeignFiles(
  dir: string,
  file: string,
  paths: readonly string[],
  record: RenderRecord,
): Promise<void> {
  const ours = new Set(record.files);
  const foreign = new Set<string>();
  for (const path of paths) {
    const parts = path.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const at = parts.slice(0, i).join('/');
      const info = await lstat(join(dir, at)).catch(() => undefined);
      if (!info) break;
      const last = i === parts.length;
      if (!last && info.isDirectory()) continue;
      if (!ours.has(at) && !(last && join(dir, at) === file && (await renderedBefore(file)))) {
        foreign.add(at);
      }
      break;
    }
  }
  if (foreign.size === 0) return;
  const shown = [...foreign].sort();
  throw new EstepsError(
    'WRITE_FAILED',
    `Cannot write the compose project at ${file}: ${shown.length === 1 ? 'a file' : `${shown.length} files`} esteps render did not write ${shown.length === 1 ? 'stands' : 'stand'} where it writes: ${shown.slice(0, 5).join(', ')}${shown.length > 5 ? ', ...' : ''}. Nothing was written.`,
    {
      hint: 'Move them away, or render into a new or empty folder (-o OTHER/compose.yml).',
      details: { files: shown },
    },
  );
}

async function renderedBefore(file: string): Promise<boolean> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.startsWith('# Rendered by esteps');
}

/** Writes one output (its folders first), replacing what a previous render left there. */
export async function writeOutput(
  dir: string,
  path: string,
  output: Output,
  created: string[],
): Promise<void> {
  const full = join(dir, path);
  // A file or link a previous render left where a folder now goes (checked to be ours).
  const parts = path.split('/');
  for (let i = 1; i < parts.length; i++) {
    const at = join(dir, ...parts.slice(0, i));
    const info = await lstat(at).catch(() => undefined);
    if (info && !info.isDirectory()) await rm(at, { force: true });
  }
  await makeDir(dirname(full), created);
  const before = await lstat(full).catch(() => undefined);
  // Never through a link: a previous render's link may point anywhere.
  if (before && (before.isSymbolicLink() || output.linkTarget !== undefined)) {
    await rm(full, { recursive: true, force: true });
  }
  if (output.linkTarget !== undefined) {
    await symlink(output.linkTarget, full);
    if (!before) created.push(full);
    return;
  }
  await writeNew(full, output.data, output.mode, created);
}

/** Removes what the previous render wrote and this one did not, and the folders it empties. */
export async function removeStale(dir: string, paths: readonly string[]): Promise<void> {
  for (const path of paths) {
    const full = join(dir, path);
    const info = await lstat(full).catch(() => undefined);
    if (!info || info.isDirectory()) continue;
    await rm(full, { force: true });
    for (let d = dirname(full); d !== dir && d.startsWith(`${dir}/`); d = dirname(d)) {
      if (
        !(await rmdir(d).then(
          () => true,
          () => false,
        ))
      )
        break;
    }
  }
}

/**
 * mkdir -p that records the first folder it created, so a failure removes it. One level at a
 * time: Node's recursive mkdir spins forever under /proc.
 */
export async function makeDir(dir: string, created: string[]): Promise<void> {
  const missing: string[] = [];
  for (let d = dir; !(await stat(d).catch(() => undefined)); d = dirname(d)) {
    missing.unshift(d);
    if (dirname(d) === d) break;
  }
  for (const [i, folder] of missing.entries()) {
    await mkdir(folder);
    if (i === 0) created.push(folder);
  }
}

export async function writeNew(
  path: string,
  data: string | Buffer,
  mode: number,
  created: string[],
): Promise<void> {
  const existed = await stat(path).then(
    () => true,
    () => false,
  );
  await writeFile(path, data, { mode });
  if (!existed) created.push(path);
  await chmod(path, mode);
}
