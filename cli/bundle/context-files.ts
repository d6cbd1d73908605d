import type { Dirent } from 'node:fs';
import { readdir, readFile, readlink, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import dockerignore, { type Ignore } from '@balena/dockerignore';
import { EstepsError } from '../errors.js';
import { readRenderRecord, renderRecordFile } from './render-record.js';

// The package is CommonJS (`module.exports = factory`); its types declare a default export.
const ignore = dockerignore as unknown as () => Ignore;

/** One file of a build context: its path in the context ('/'-separated), bytes and mode. */
export interface ContextFile {
  readonly path: string;
  readonly data: Buffer;
  /** 0o755 for executables (an entrypoint), 0o644 otherwise: nothing else is kept. */
  readonly mode: number;
  /** A symbolic link's target, as written (`data` is then empty). */
  readonly linkTarget?: string;
}

/**
 * esteps' own state beside a stack file (`.esteps/<project>/`: an older esteps' generated
 * secrets, and its lock file, new at every command) is never part of a build context,
 * `.dockerignore` or not: it would put secrets into the engine's build, and change the
 * context at every command.
 */
const stateFolder = '.esteps/';

/**
 * The files of a build context directory as `docker build` would send them: every file and
 * symbolic link (kept as a link, as Docker does, wherever it points) not excluded by the
 * directory's `.dockerignore` (Docker's own matching rules), plus the Dockerfile and
 * `.dockerignore` themselves, which the builder always gets; never esteps' own state folder,
 * nor what `esteps render -o` wrote into it (render-record.ts). A context that changes while
 * it is read (a file removed by an editor, a build tool) is BUILD_FAILED, saying so.
 */
export async function contextFiles(contextDir: string, dockerfile: string): Promise<ContextFile[]> {
  const root = await readdir(contextDir, { withFileTypes: true }).catch(
    (err: NodeJS.ErrnoException) => {
      throw new EstepsError(
        'BUILD_FAILED',
        `Cannot read the build context ${contextDir}: ${err.code ?? err.message}.`,
        {
          hint: 'build.context in the stack names a folder relative to the stack file; check it exists.',
          cause: err,
        },
      );
    },
  );
  return whileUnchanged(contextDir, async () => {
    const entries = await listEntries(contextDir, '', root);
    const rendered = await renderedFiles(contextDir, entries);
    const paths = [...entries.keys()].filter((p) => !p.startsWith(stateFolder) && !rendered.has(p));
    const rules = paths.includes('.dockerignore')
      ? await readFile(join(contextDir, '.dockerignore'), 'utf8')
      : '';
    const excluded = ignore().add(rules.split(/\r?\n/));
    const always = new Set([dockerfile, '.dockerignore']);
    if (!paths.includes(dockerfile)) {
      throw new EstepsError(
        'BUILD_FAILED',
        `The build context ${contextDir} has no ${dockerfile}.`,
        {
          hint: 'Add the Dockerfile there, or name it with build.dockerfile in the stack.',
        },
      );
    }
    const kept = paths.filter((p) => always.has(p) || !excluded.ignores(p));
    return Promise.all(
      kept.map(async (path): Promise<ContextFile> => {
        const full = join(contextDir, path);
        if (entries.get(path) === 'link') {
          return { path, data: Buffer.alloc(0), mode: 0o777, linkTarget: await readlink(full) };
        }
        const mode = (await stat(full)).mode & 0o111 ? 0o755 : 0o644;
        return { path, data: await readFile(full), mode };
      }),
    );
  });
}

/** Runs `read`; a file or folder that went away meanwhile is BUILD_FAILED naming it. */
async function whileUnchanged<T>(contextDir: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
    const path = (err as NodeJS.ErrnoException).path ?? contextDir;
    throw new EstepsError(
      'BUILD_FAILED',
      `The build context ${contextDir} changed while it was read: ${relative(contextDir, path) || path} went away.`,
      {
        hint: 'Run the command again once the files are saved (an editor or a build tool was changing them).',
        cause: err,
      },
    );
  }
}

type EntryKind = 'file' | 'link';

/** Every file and symbolic link under `dir`, by '/'-separated path, not following links. */
async function listEntries(
  dir: string,
  prefix: string,
  listed?: Dirent[],
): Promise<Map<string, EntryKind>> {
  const out = new Map<string, EntryKind>();
  for (const entry of listed ?? (await readdir(join(dir, prefix), { withFileTypes: true }))) {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isSymbolicLink()) out.set(path, 'link');
    else if (entry.isDirectory()) for (const [p, k] of await listEntries(dir, path)) out.set(p, k);
    else if (entry.isFile()) out.set(path, 'file');
  }
  return out;
}

/** What `esteps render -o` wrote anywhere in the context, and its records. */
async function renderedFiles(
  contextDir: string,
  entries: ReadonlyMap<string, EntryKind>,
): Promise<Set<string>> {
  const out = new Set<string>();
  for (const path of entries.keys()) {
    if (path !== renderRecordFile && !path.endsWith(`/${renderRecordFile}`)) continue;
    const folder = path.slice(0, -renderRecordFile.length);
    out.add(path);
    const record = await readRenderRecord(join(contextDir, folder));
    for (const file of record.files) out.add(`${folder}${file}`);
  }
  return out;
}
