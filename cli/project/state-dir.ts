import { join } from 'node:path';

/**
 * Where esteps keeps a project's files on this machine: `.esteps/<project>/` in the project's
 * folder (git-ignored): the lock of a command changing the project, and its secrets.
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
