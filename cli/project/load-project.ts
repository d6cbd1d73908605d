/**
 * Loading a project, for every command that works on a stack (up, down, ps, render, ...):
 *
 *   const project = await loadProject({ cwd, env, file, stack, project, secrets });
 *   project.name       // -p, else ESTEPS_PROJECT (environment, then .env), else the stack's name
 *   project.file       // the stack file; project.builtIn its name when it ships with esteps
 *   project.dir        // where .env and .esteps/ live: the stack file's folder, or cwd for a built-in
 *   project.stack      // the validated StackSpec, as the stack file exports it
 *   project.resolved   // the one resolved reading every consumer uses (stacks/resolve-stack.ts)
 *
 * Which stack: `-f FILE` (a file, or a folder holding esteps.stack.ts), else `--stack NAME`
 * (a built-in), else `esteps.stack.ts` in the working directory, else the built-in step1.
 *
 * Secret values are not part of a project here: they live on the engine with the project
 * (cli/engine/secrets/project-secrets.ts) and reach containers as files, so loading a project
 * never creates or reads one. `legacySecretsFile` is where esteps kept them before
 * (`.esteps/<project>/secrets.env`): `up` imports it once.
 *
 * Errors: USAGE (unknown stack, bad -p name, -f and --stack together), STACK_LOAD_FAILED
 * (no such file, does not compile, throws), STACK_INVALID (every problem with its path),
 * CONFIG_INVALID (bad `.env` line, unknown ESTEPS_* key, unusable value, a bad
 * ESTEPS_PROJECT, a host port from a variable that clashes).
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import {
  builtInStacks,
  defaultStackFile,
  defaultStackName,
} from '../../stacks/builtin/built-in-stacks.js';
import { imageVariables } from '../../stacks/model/image-defaults.js';
import type { ResolvedStack, StackSpec } from '../../stacks/model/model.js';
import { readEnvFile } from '../../stacks/resolve/env-file.js';
import { resolveStack } from '../../stacks/resolve/resolve-stack.js';
import { stackEnvVariables } from '../../stacks/resolve/stack-env-variables.js';
import { nameProblem, showName } from '../../stacks/validate/names.js';
import { didYouMean } from '../../stacks/validate/suggest.js';
import { EstepsError } from '../errors.js';
import { packageRoot } from '../package-root.js';
import { loadStackFile } from './load-stack.js';
import { secretsFilePath } from './state-dir.js';

export interface StackChoice {
  /** `-f`: a stack file, or a folder holding esteps.stack.ts. */
  readonly file?: string;
  /** `--stack`: a built-in stack's name. */
  readonly stack?: string;
}

export interface LoadProjectOptions extends StackChoice {
  readonly cwd: string;
  /** The process environment (ctx.env). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Project name (`-p`). @default ESTEPS_PROJECT, then the stack's name */
  readonly project?: string;
}

export interface Project {
  readonly name: string;
  /** The stack file, absolute. */
  readonly file: string;
  /** The built-in stack's name, when the file ships with esteps. */
  readonly builtIn?: string;
  /** Where `.env` and `.esteps/<project>/` live. */
  readonly dir: string;
  /**
   * What the stack's source paths are relative to (`--source DIR` stands in for it): the
   * package for a built-in stack (its code is in service/), the stack file's folder otherwise.
   */
  readonly sourceRoot: string;
  readonly stack: StackSpec;
  readonly resolved: ResolvedStack;
  /** `.esteps/<project>/secrets.env`, where older versions kept secrets; may not exist. */
  readonly legacySecretsFile: string;
  /** Entries of `.env` ({} when there is none), with the package's image overrides below them. */
  readonly dotEnv: Readonly<Record<string, string>>;
}

export async function loadProject(options: LoadProjectOptions): Promise<Project> {
  const located = await locateStack(options.cwd, options);
  const stack = await loadStackFile(located.file, { cwd: options.cwd, env: options.env });
  const dotEnv = await readDotEnvLayers(located.dir, stackEnvVariables(stack));
  const name = projectName(options, dotEnv, stack.name, join(located.dir, '.env'));
  const legacySecretsFile = secretsFilePath(located.dir, name);
  const resolved = resolveStack(stack, {
    project: name,
    file: located.file,
    root: located.sourceRoot,
    env: options.env,
    dotEnv,
  });
  return { name, ...located, stack, resolved, legacySecretsFile, dotEnv };
}

interface LocatedStack {
  readonly file: string;
  readonly builtIn?: string;
  readonly dir: string;
  readonly sourceRoot: string;
}

/** Which stack file a command works on, and where its project's files live. */
export async function locateStack(cwd: string, choice: StackChoice): Promise<LocatedStack> {
  if (choice.file !== undefined && choice.stack !== undefined) {
    throw new EstepsError('USAGE', 'Give either -f FILE or --stack NAME, not both.', {
      hint: '-f names a stack file of yours; --stack names one that ships with esteps.',
    });
  }
  if (choice.file !== undefined) return userStack(await stackFileAt(resolve(cwd, choice.file)));
  if (choice.stack !== undefined) return builtIn(cwd, choice.stack);
  const discovered = join(cwd, defaultStackFile);
  if (await isFile(discovered)) return userStack(discovered);
  return builtIn(cwd, defaultStackName);
}

function userStack(file: string): LocatedStack {
  return { file, dir: dirname(file), sourceRoot: dirname(file) };
}

function builtIn(cwd: string, name: string): LocatedStack {
  const names = Object.keys(builtInStacks);
  if (!Object.hasOwn(builtInStacks, name)) {
    throw new EstepsError('USAGE', `No built-in stack "${name}"${didYouMean(name, names) || '.'}`, {
      hint: `Built-in stacks: ${names.join(', ')}; for a stack file of yours use -f FILE.`,
    });
  }
  const root = packageRoot();
  const file = join(root, 'stacks', 'builtin', builtInStacks[name as keyof typeof builtInStacks]);
  return { file, builtIn: name, dir: cwd, sourceRoot: root };
}

/** `path` itself, or the esteps.stack.ts inside it when it is a folder. */
async function stackFileAt(path: string): Promise<string> {
  const info = await stat(path).catch(() => undefined);
  const file = info?.isDirectory() ? join(path, defaultStackFile) : path;
  if (await isFile(file)) return file;
  throw new EstepsError('STACK_LOAD_FAILED', `No stack file at ${file}.`, {
    hint: `Check the path given to -f; \`esteps init DIR\` writes a new stack (${defaultStackFile}).`,
  });
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() ?? false;
}

/**
 * The project's name: `-p`, else ESTEPS_PROJECT (environment, then `.env`), else the stack's
 * name (valid: validation saw it). A bad `-p` is USAGE; a bad ESTEPS_PROJECT is
 * CONFIG_INVALID naming the variable and where it was set, like every other variable.
 */
export function projectName(
  options: Pick<LoadProjectOptions, 'project' | 'env'>,
  dotEnv: Readonly<Record<string, string>>,
  stackName: string,
  dotEnvFile = '.env',
): string {
  if (options.project === '') {
    throw new EstepsError('USAGE', 'The project name given with -p is empty.', {
      hint: 'Give a name (-p NAME), or leave -p out to use ESTEPS_PROJECT or the stack name.',
    });
  }
  const rule =
    'lower-case letters, digits, "-" and "_", starting with a letter or digit, at most 63 characters';
  if (options.project !== undefined) {
    const problem = nameProblem(options.project, 'project');
    if (problem) {
      throw new EstepsError(
        'USAGE',
        `The project name ${showName(options.project)} given with -p ${problem}.`,
        {
          hint: `Give -p a name of ${rule}.`,
        },
      );
    }
    return options.project;
  }
  const [value, where] = options.env.ESTEPS_PROJECT
    ? [options.env.ESTEPS_PROJECT, 'the environment']
    : [dotEnv.ESTEPS_PROJECT, dotEnvFile];
  if (!value) return stackName;
  const problem = nameProblem(value, 'project');
  if (problem) {
    throw new EstepsError(
      'CONFIG_INVALID',
      `ESTEPS_PROJECT (in ${where}) is not a valid project name: ${showName(value)} ${problem}.`,
      {
        hint: `Set ESTEPS_PROJECT in ${where} to a name of ${rule}, or give -p NAME.`,
        details: { variable: 'ESTEPS_PROJECT', source: where },
      },
    );
  }
  return value;
}

/**
 * `.env` of the project's folder, strictly parsed (a bad line or an unknown ESTEPS_* key is
 * CONFIG_INVALID), over the image overrides `npm run setup` wrote into the package's own
 * `.env`: the stand-ins setup built serve every project on this machine, wherever it is.
 */
async function readDotEnvLayers(
  dir: string,
  variables: readonly string[],
): Promise<Readonly<Record<string, string>>> {
  const own = await readDotEnv(dir, variables);
  const root = packageRoot();
  if (resolve(dir) === resolve(root)) return own;
  const setup = await readDotEnv(root).catch(() => ({}) as Record<string, string>);
  const images = Object.fromEntries(
    Object.entries(setup).filter(([k]) => (imageVariables as readonly string[]).includes(k)),
  );
  return { ...images, ...own };
}

/** `dir/.env`, strictly parsed. */
export async function readDotEnv(
  dir: string,
  variables: readonly string[] = [],
): Promise<Readonly<Record<string, string>>> {
  const file = join(dir, '.env');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return {};
    throw new EstepsError('CONFIG_INVALID', `Cannot read ${file}: ${(err as Error).message}.`, {
      hint: `${file} must be a readable file of KEY=VALUE lines; fix or remove it.`,
      cause: err,
    });
  }
  return readEnvFile(text, file, variables);
}
