import { constants } from 'node:fs';
import { access, chmod, readFile, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { RenderedCompose } from '../../stacks/render/render-compose.js';
import { mergeEnvFile } from '../../stacks/resolve/env-file.js';
import { cacheRoot } from '../bundle/build-cache.js';
import { readRenderRecord, renderRecordFile, renderRecordText } from '../bundle/render-record.js';
import { stackContexts } from '../bundle/stack-contexts.js';
import { EstepsError } from '../errors.js';
import { packageRoot } from '../package-root.js';
import type { Project } from './load-project.js';
import {
  contextOutputs,
  makeDir,
  refuseForeignFiles,
  removeStale,
  writeNew,
  writeOutput,
} from './render-files.js';

export interface WrittenCompose {
  readonly file: string;
  /** The `.env` written beside the file, or undefined when that `.env` is one esteps reads. */
  readonly envFile: string | undefined;
  /** The folder of secret files (mode 0700). */
  readonly secretsDir: string | undefined;
  /** Build context directories, by service. */
  readonly contexts: Readonly<Record<string, string>>;
}

/**
 * Writes an ejected compose project: the compose file; each secret as a file under
 * `secrets/` beside it (the folder 0700, so only its owner on this host gets in; each file
 * 0444, so the container's user, whatever its uid, can read the file docker-compose
 * bind-mounts at /run/secrets: docker-compose 1.29 ignores a secret's uid, gid and mode
 * outside Swarm); the `.env` beside it with every variable the environment or `.env`
 * overrides (never a secret), unless that `.env` is one esteps itself reads (the project's or
 * the package's): rendering never changes what another esteps command reads; and each built
 * service's context directory (the files `up` would send the engine, symbolic links as links,
 * plus the bundles and an edge's generated Envoy configuration), so `docker-compose up
 * --build` needs nothing else.
 *
 * A render into a folder replaces the previous render there, and nothing else: what it wrote
 * is recorded (render-record.ts), so files the stack no longer has are removed, and a file it
 * did not write that stands where one goes (a user's own) is refused before anything is
 * written. Build contexts never take in a render's files, so rendering into the stack's own
 * folder does not copy itself into the next render.
 *
 * Everything is checked before anything is written, and whatever this call created is
 * removed when a write fails: a target that is a folder, a parent that is a file, a `.env`
 * that is not a file, a user's file in the way, or a place that cannot be written is
 * WRITE_FAILED, with nothing left.
 */
export async function writeCompose(
  file: string,
  yaml: string,
  rendered: RenderedCompose,
  project: Project,
  env: Readonly<Record<string, string | undefined>>,
  /** The project's secret values, asked for once the target passed its checks. */
  secrets: () => Promise<Readonly<Record<string, string>>>,
): Promise<WrittenCompose> {
  const dir = dirname(file);
  const envFile = join(dir, '.env');
  const ownEnv = [project.dir, packageRoot()].some((d) => resolve(d) === resolve(dir));
  await checkTarget(file, ownEnv ? undefined : envFile);
  const contextsByService = await stackContexts(project.resolved, cacheRoot(env));
  const outputs = contextOutputs(rendered, contextsByService);
  outputs.set(relativePath(dir, file), { data: Buffer.from(yaml), mode: 0o644 });
  const secretPaths = Object.values(rendered.secretFiles).map((p) =>
    relativePath(dir, join(dir, p)),
  );
  const record = await readRenderRecord(dir);
  await refuseForeignFiles(dir, file, [...outputs.keys(), ...secretPaths], record);
  const created: string[] = [];
  try {
    await makeDir(dir, created);
    for (const [path, output] of outputs) await writeOutput(dir, path, output, created);
    if (!ownEnv) {
      const existing = await readFile(envFile, 'utf8').catch(
        () => '# Written by esteps render: overrides for docker-compose (no secrets).\n',
      );
      const merged = mergeEnvFile(existing, envValues(rendered, project, env));
      await writeNew(envFile, merged, 0o600, created);
    }
    let secretsDir: string | undefined;
    const secretFiles = Object.entries(rendered.secretFiles);
    if (secretFiles.length > 0) {
      // Last: the engine is asked for the values only once everything else is written.
      const secretValues = await secrets();
      secretsDir = join(dir, 'secrets');
      await makeDir(secretsDir, created);
      await chmod(secretsDir, 0o700);
      for (const [name, path] of secretFiles) {
        const value = secretValues[name];
        if (value === undefined) throw new Error(`no value for secret ${name}`);
        await writeOutput(
          dir,
          relativePath(dir, join(dir, path)),
          { data: Buffer.from(value), mode: 0o444 },
          created,
        );
      }
    }
    const written = [...outputs.keys(), ...secretPaths];
    await removeStale(
      dir,
      record.files.filter((f) => !written.includes(f)),
    );
    await writeNew(join(dir, renderRecordFile), renderRecordText(written), 0o644, created);
    const contexts = Object.fromEntries(
      Object.keys(contextsByService).map((s) => [s, join(dir, rendered.contexts[s] ?? s)]),
    );
    return { file, envFile: ownEnv ? undefined : envFile, secretsDir, contexts };
  } catch (err) {
    for (const path of created.reverse()) await rm(path, { recursive: true, force: true });
    throw writeFailed(file, err);
  }
}

function relativePath(dir: string, path: string): string {
  return relative(dir, path).split(sep).join('/');
}

/** Refuses, before anything is written, a target that cannot be written as a file. */
async function checkTarget(file: string, envFile: string | undefined): Promise<void> {
  const info = await stat(file).catch(() => undefined);
  if (info?.isDirectory()) {
    throw new EstepsError(
      'WRITE_FAILED',
      `Cannot write the compose file to ${file}: it is a folder.`,
      {
        hint: `Give a file name, e.g. -o ${join(file, 'docker-compose.yml')}.`,
      },
    );
  }
  let existing = dirname(file);
  for (;;) {
    const parent = await stat(existing).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      if (err.code === 'ENOTDIR') return 'not-a-folder' as const;
      throw writeFailed(file, err);
    });
    if (parent === 'not-a-folder' || (parent && !parent.isDirectory())) {
      throw new EstepsError(
        'WRITE_FAILED',
        `Cannot write the compose file to ${file}: ${existing} is a file, not a folder.`,
        { hint: 'Choose an output path whose folders are folders.' },
      );
    }
    if (parent) break;
    const up = dirname(existing);
    if (up === existing) break;
    existing = up;
  }
  try {
    await access(existing, constants.W_OK | constants.X_OK);
  } catch (err) {
    throw writeFailed(file, err);
  }
  if (envFile) {
    const env = await stat(envFile).catch(() => undefined);
    if (env && !env.isFile()) {
      throw new EstepsError(
        'WRITE_FAILED',
        `Cannot write ${envFile} beside the compose file: it is not a file.`,
        { hint: `Remove or rename ${envFile}, or write the compose file elsewhere.` },
      );
    }
  }
}

function writeFailed(file: string, err: unknown): EstepsError {
  if (err instanceof EstepsError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  const reason =
    code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
      ? 'permission denied (or a read-only file system)'
      : code === 'ENOTDIR'
        ? 'a folder on the way is a file'
        : code === 'ENOENT'
          ? 'a folder on the way cannot be made there'
          : code === 'EISDIR'
            ? 'a folder stands where a file goes'
            : (err as Error).message;
  return new EstepsError(
    'WRITE_FAILED',
    `Cannot write the compose project at ${file}: ${reason}.`,
    {
      hint: 'Choose an output path you can write (nothing was left behind).',
      cause: err,
    },
  );
}

/** Each variable the compose file reads that the environment or .env sets (never a secret). */
function envValues(
  rendered: RenderedCompose,
  project: Project,
  env: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const variable of rendered.variables) {
    const value = env[variable] || project.dotEnv[variable];
    if (value) out[variable] = value;
  }
  return out;
}

/** `path` relative to `cwd` when that is shorter, for messages. */
export function displayPath(cwd: string, path: string): string {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith('..') && rel.length < path.length ? rel : path;
}
