import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { mergeEnvFile } from '../../stacks/env-file.js';
import type { RenderedCompose } from '../../stacks/render-compose.js';
import { stackContexts } from '../bundle/stack-contexts.js';
import type { Project } from './load-project.js';

export interface WrittenCompose {
  readonly file: string;
  readonly envFile: string;
  /** Build context directories, by service. */
  readonly contexts: Readonly<Record<string, string>>;
}

/**
 * Writes an ejected compose project: the compose file, the `.env` beside it (which
 * docker-compose reads on its own) with the secrets and every variable the environment or
 * `.env` overrides, and each built service's context directory (the files `up` would send
 * the engine, .dockerignore applied, plus the bundles and an edge's generated Envoy
 * configuration), so `docker-compose up --build` needs
 * nothing else. An existing `.env` there keeps its other lines. The env file is mode 0600:
 * it holds secrets.
 */
export async function writeCompose(
  file: string,
  yaml: string,
  rendered: RenderedCompose,
  project: Project,
  env: Readonly<Record<string, string | undefined>>,
): Promise<WrittenCompose> {
  const dir = dirname(file);
  await mkdir(dir, { recursive: true });
  const contexts: Record<string, string> = {};
  for (const [service, context] of Object.entries(await stackContexts(project.resolved))) {
    const target = join(dir, rendered.contexts[service] ?? service);
    const files = [
      ...context.files.map((f) => ({ path: f.path, data: f.data, mode: f.mode })),
      ...Object.entries(context.generated).map(([path, data]) => ({ path, data, mode: 0o644 })),
    ];
    for (const f of files) {
      await mkdir(dirname(join(target, f.path)), { recursive: true });
      await writeFile(join(target, f.path), f.data, { mode: f.mode });
    }
    contexts[service] = target;
  }
  await writeFile(file, yaml);
  const envFile = join(dir, '.env');
  const existing = await readFile(envFile, 'utf8').catch(
    () =>
      '# Written by esteps render: secrets and overrides for docker-compose. Keep it private.\n',
  );
  await writeFile(envFile, mergeEnvFile(existing, envValues(rendered, project, env)), {
    mode: 0o600,
  });
  await chmod(envFile, 0o600);
  return { file, envFile, contexts };
}

/** Secrets, plus each variable the compose file reads that the environment or .env sets. */
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
