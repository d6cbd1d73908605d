import { join } from 'node:path';

/**
 * Where esteps keeps a project's files on this machine: `.esteps/<project>/` in the project's
 * folder (git-ignored): the lock of a command changing the project (and, from older versions,
 * its secrets.env, which `up` imports once: secrets now live on the engine).
 */
export function projectStateDir(projectDir: string, project: string): string {
  return join(projectDir, '.esteps', project);
}

export function secretsFilePath(projectDir: string, project: string): string {
  return join(projectStateDir(projectDir, project), 'secrets.env');
}

export function lockFilePath(projectDir: string, project: string): string {
  return join(projectStateDir(projectDir, project), 'lock');
}
