import { join } from 'node:path';

/**
 * Where esteps keeps a project's files on this machine: `.esteps/<project>/` in the project's
 * folder (git-ignored): from older versions, its secrets.env, which `up` imports once (secrets
 * now live on the engine, and so does the project's lock: cli/engine/project-lock.ts).
 */
export function projectStateDir(projectDir: string, project: string): string {
  return join(projectDir, '.esteps', project);
}

export function secretsFilePath(projectDir: string, project: string): string {
  return join(projectStateDir(projectDir, project), 'secrets.env');
}
