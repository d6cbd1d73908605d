import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import dockerignore, { type Ignore } from '@balena/dockerignore';
import { EstepsError } from '../errors.js';

// The package is CommonJS (`module.exports = factory`); its types declare a default export.
const ignore = dockerignore as unknown as () => Ignore;

/** One file of a build context: its path in the context ('/'-separated), bytes and mode. */
export interface ContextFile {
  readonly path: string;
  readonly data: Buffer;
  /** 0o755 for executables (an entrypoint), 0o644 otherwise: nothing else is kept. */
  readonly mode: number;
}

/**
 * esteps' own state beside a stack file (`.esteps/<project>/`: an older esteps' generated
 * secrets, and its lock file, new at every command) is never part of a build context,
 * `.dockerignore` or not: it would put secrets into the engine's build, and change the
 * context at every command.
 */
const stateFolder = '.esteps/';

/**
 * The files of a build context directory as `docker build` would send them: every file not
 * excluded by the directory's `.dockerignore` (Docker's own matching rules), plus the
 * Dockerfile and `.dockerignore` themselves, which the builder always gets; never esteps'
 * own state folder.
 */
export async function contextFiles(contextDir: string, dockerfile: string): Promise<ContextFile[]> {
  const files = await listFiles(contextDir).catch((err: NodeJS.ErrnoException) => {
    throw new EstepsError(
      'BUILD_FAILED',
      `Cannot read the build context ${contextDir}: ${err.code ?? err.message}.`,
      {
        hint: 'build.context in the stack names a folder relative to the stack file; check it exists.',
        cause: err,
      },
    );
  });
  const paths = files
    .map((f) => relative(contextDir, f).split(sep).join('/'))
    .filter((p) => !p.startsWith(stateFolder));
  const rules = paths.includes('.dockerignore')
    ? await readFile(join(contextDir, '.dockerignore'), 'utf8')
    : '';
  const excluded = ignore().add(rules.split(/\r?\n/));
  const always = new Set([dockerfile, '.dockerignore']);
  if (!paths.includes(dockerfile)) {
    throw new EstepsError('BUILD_FAILED', `The build context ${contextDir} has no ${dockerfile}.`, {
      hint: 'Add the Dockerfile there, or name it with build.dockerfile in the stack.',
    });
  }
  const kept = paths.filter((p) => always.has(p) || !excluded.ignores(p));
  return Promise.all(
    kept.map(async (path) => {
      const full = join(contextDir, path);
      const mode = (await stat(full)).mode & 0o111 ? 0o755 : 0o644;
      return { path, data: await readFile(full), mode };
    }),
  );
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
