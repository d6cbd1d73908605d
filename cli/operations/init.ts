import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { defaultStackFile } from '../../stacks/builtin/built-in-stacks.js';
import { EstepsError } from '../errors.js';
import { packageRoot } from '../package-root.js';
import { makeDir } from '../project/render-files.js';
import type { OperationContext } from './context.js';

export interface InitInput {
  /** The folder to write into, relative to the working directory. @default the working directory */
  readonly dir?: string;
  /** The stack's name. @default the folder's name, made valid */
  readonly name?: string;
}

export interface InitOutcome {
  /** The folder, absolute. */
  readonly dir: string;
  readonly stack: string;
  readonly stackFile: string;
  /** The files written, relative to `dir`. */
  readonly files: readonly string[];
}

/** Files of templates/init whose names differ in the written folder (npm drops dotfiles' twins). */
const renamed: Readonly<Record<string, string>> = { gitignore: '.gitignore' };
/** The placeholder the template stack carries for its name. */
const namePlaceholder = 'esteps-init-name';
const namePattern = /^[a-z][a-z0-9-]{0,62}$/;

/**
 * `esteps init [DIR]`: writes a small working stack of the user's own into DIR: a stack
 * file, a Node.js HTTP service with a readiness route, its Dockerfile. Refuses, writing
 * nothing, when any of those files exists (USAGE), or when DIR cannot be written (WRITE_FAILED:
 * a file, no permission, a read-only file system): every file is written, or none.
 */
export async function init(ctx: OperationContext, input: InitInput): Promise<InitOutcome> {
  if (input.dir === '') {
    throw new EstepsError('USAGE', 'The folder given to esteps init is empty.', {
      hint: 'Give a folder, or leave it out to use the working directory.',
    });
  }
  const dir = resolve(ctx.cwd, input.dir ?? '.');
  const name = stackName(input.name, dir);
  const templates = join(packageRoot(), 'templates', 'init');
  const files = await listFiles(templates);
  const targets = files.map((f) => join(dir, renamed[f] ?? f));
  const existing = (
    await Promise.all(targets.map(async (t) => ((await exists(t)) ? t : undefined)))
  ).filter((t) => t !== undefined);
  if (existing.length > 0) {
    throw new EstepsError(
      'USAGE',
      `esteps init would overwrite ${existing.map((t) => relative(ctx.cwd, t) || t).join(', ')}; nothing was written.`,
      { hint: 'Init into a new or empty folder: esteps init DIR.' },
    );
  }
  const texts = await Promise.all(
    files.map(async (f) =>
      (await readFile(join(templates, f), 'utf8')).replaceAll(namePlaceholder, name),
    ),
  );
  await writeAll(dir, targets, texts);
  return {
    dir,
    stack: name,
    stackFile: join(dir, defaultStackFile),
    files: targets.map((t) => relative(dir, t)).sort(),
  };
}

/**
 * Writes every file or none: a failure (a file where a folder goes, no permission, a
 * read-only file system) removes what this call wrote and is WRITE_FAILED.
 */
async function writeAll(
  dir: string,
  targets: readonly string[],
  texts: readonly string[],
): Promise<void> {
  const created: string[] = [];
  try {
    const info = await stat(dir).catch(() => undefined);
    if (info && !info.isDirectory()) {
      throw new EstepsError(
        'WRITE_FAILED',
        `Cannot init into ${dir}: it is a file, not a folder.`,
        {
          hint: 'Give a folder that does not exist yet, or an empty one: esteps init DIR.',
        },
      );
    }
    for (const [i, target] of targets.entries()) {
      await makeDir(dirname(target), created);
      await writeFile(target, texts[i]!, { flag: 'wx' });
      created.push(target);
    }
  } catch (err) {
    for (const path of created.reverse()) await rm(path, { recursive: true, force: true });
    if (err instanceof EstepsError) throw err;
    throw new EstepsError(
      'WRITE_FAILED',
      `Cannot init into ${dir}: ${writeProblem(err)}; nothing was written.`,
      { hint: 'Give a folder you can write: esteps init DIR.', cause: err },
    );
  }
}

function writeProblem(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const where = e.path ? ` (${e.path})` : '';
  switch (e.code) {
    case 'EACCES':
    case 'EPERM':
      return `permission denied${where}`;
    case 'EROFS':
      return `a read-only file system${where}`;
    case 'EEXIST':
    case 'ENOTDIR':
      return `a file stands where a folder goes${where}`;
    case 'ENOENT':
      return `a folder cannot be made there${where}`;
    default:
      return e.message;
  }
}

function stackName(given: string | undefined, dir: string): string {
  if (given !== undefined) {
    if (!namePattern.test(given)) {
      throw new EstepsError('USAGE', `Stack name "${given}" is not valid.`, {
        hint: 'Use lower-case letters, digits and "-", starting with a letter.',
      });
    }
    return given;
  }
  const made = basename(dir)
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .replace(/-+$/, '')
    .slice(0, 63);
  return namePattern.test(made) ? made : 'mystack';
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(join(dir, prefix), { withFileTypes: true })) {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await listFiles(dir, path)));
    else out.push(path);
  }
  return out.sort();
}
