import { readFile } from 'node:fs/promises';
import { secretVariable } from '../../stacks/model/known-variables.js';
import { readEnvFile } from '../../stacks/resolve/env-file.js';

/*
 * Where esteps kept a project's secrets before they moved to the engine
 * (cli/engine/secrets/project-secrets.ts): `.esteps/<project>/secrets.env`, mode 0600,
 * `ESTEPS_SECRET_<NAME>=value` lines. `up` imports the values it finds there for the secrets
 * the engine does not hold, so a project brought up by an older esteps keeps its database
 * password; while the engine holds them the file is not read for those secrets (after
 * `down --volumes` it is, if the user kept it).
 */

/** The values of `names` in a legacy secrets file, by secret name; {} when there is no file. */
export async function readLegacySecrets(
  file: string,
  names: readonly string[],
): Promise<Record<string, string>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return {};
    throw err;
  }
  const entries = readEnvFile(text, file);
  const values: Record<string, string> = {};
  for (const name of names) {
    const value = entries[secretVariable(name)];
    if (value) values[name] = value;
  }
  return values;
}
