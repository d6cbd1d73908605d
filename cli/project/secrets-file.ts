import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { mergeEnvFile, readEnvFile } from '../../stacks/env-file.js';
import type { StackSpec } from '../../stacks/model.js';
import { secretVariable } from '../../stacks/variables.js';

/*
 * Per-project secrets (the database password), generated on first need and kept in
 * `.esteps/<project>/secrets.env` (state-dir.ts): mode 0600 in a 0700 directory,
 * `ESTEPS_SECRET_<NAME>=value` lines. They are never part of an image, a stack definition,
 * or a rendered compose file's literals.
 */

/** Names of the secrets a stack uses (`dbPassword`), sorted. */
export function stackSecretNames(spec: StackSpec): string[] {
  const names = new Set<string>();
  for (const service of Object.values(spec.services)) {
    for (const value of Object.values(service.environment ?? {})) {
      if (typeof value === 'object' && 'secret' in value) names.add(value.secret);
    }
  }
  return [...names].sort();
}

export interface LoadedSecrets {
  /** By secret name (`dbPassword`). */
  readonly values: Record<string, string>;
  /** Names generated (and saved) by this call. */
  readonly created: string[];
}

/**
 * Reads the project's secrets file and generates any of `names` it lacks, saving them. Two
 * processes creating the file at once agree: the file is created exclusively, and the loser
 * reads the winner's values.
 */
export async function loadOrCreateSecrets(
  file: string,
  names: readonly string[],
): Promise<LoadedSecrets> {
  const existing = await readSecretsText(file);
  const entries = existing === undefined ? {} : readEnvFile(existing, file);
  const values: Record<string, string> = {};
  const created: string[] = [];
  const additions: Record<string, string> = {};
  for (const name of names) {
    const stored = entries[secretVariable(name)];
    if (stored) {
      values[name] = stored;
    } else {
      values[name] = randomBytes(24).toString('base64url');
      additions[secretVariable(name)] = values[name];
      created.push(name);
    }
  }
  if (created.length === 0) return { values, created };
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const text = mergeEnvFile(
    existing ?? '# esteps: generated per-project secrets; keep private\n',
    additions,
  );
  if (existing === undefined) {
    try {
      await writeFile(file, text, { mode: 0o600, flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      return loadOrCreateSecrets(file, names);
    }
  } else {
    const temporary = `${file}.${process.pid}.tmp`;
    await writeFile(temporary, text, { mode: 0o600 });
    await rename(temporary, file);
  }
  await chmod(file, 0o600);
  return { values, created };
}

async function readSecretsText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
