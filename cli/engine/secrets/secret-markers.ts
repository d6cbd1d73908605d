import type { ResolvedStack } from '../../../stacks/model/model.js';

/*
 * Which secret values a data volume was initialised with, without the values: a data volume
 * `up` creates carries the label com.esteps.secrets=`dbPassword=<revision>` (the revisions of
 * the secrets of the services that mount it writable), written once, when it is created. A
 * later `up` compares it with the project's secrets before starting anything, so a volume
 * whose database holds another password is reported at once (SECRET_MISMATCH), never as a
 * health timeout a minute later. Pure.
 */

/** The label value for a data volume of `stack`, or undefined when no secret concerns it. */
export function dataVolumeSecretsLabel(
  stack: ResolvedStack,
  volume: string,
  revisions: Readonly<Record<string, string>>,
): string | undefined {
  const names = dataVolumeSecrets(stack, volume);
  const known = names.filter((n) => revisions[n] !== undefined);
  if (known.length === 0) return undefined;
  return known.map((n) => `${n}=${revisions[n]}`).join(',');
}

/** Secrets of the services that mount `volume` writable, sorted. */
export function dataVolumeSecrets(stack: ResolvedStack, volume: string): string[] {
  const names = new Set<string>();
  for (const service of stack.services) {
    if (!service.volumes.some((m) => m.volume === volume && !m.readOnly)) continue;
    for (const s of service.secrets) names.add(s.secret);
  }
  return [...names].sort();
}

/** `dbPassword=ab12,apiKey=cd34` -> { dbPassword: 'ab12', apiKey: 'cd34' }. */
export function parseSecretsLabel(label: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (label ?? '').split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) out[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return out;
}

export interface SecretMismatch {
  /** The engine volume (`step1_pgdata`). */
  readonly volume: string;
  readonly secret: string;
  /** `missing`: the project holds no value for it; `changed`: it holds another one. */
  readonly cause: 'missing' | 'changed';
}

/**
 * Data volumes initialised with a secret value the project no longer has. `labelsByVolume`:
 * the com.esteps.secrets label of each existing data volume (undefined: none, as on a volume
 * made by an older esteps: nothing to compare). `revisions`: the revision of each secret the
 * project holds (or will import); a missing name would be generated anew.
 */
export function findSecretMismatches(
  labelsByVolume: Readonly<Record<string, string | undefined>>,
  revisions: Readonly<Record<string, string | undefined>>,
): SecretMismatch[] {
  const out: SecretMismatch[] = [];
  for (const [volume, label] of Object.entries(labelsByVolume).sort(([a], [b]) =>
    a < b ? -1 : a > b ? 1 : 0,
  )) {
    for (const [secret, revision] of Object.entries(parseSecretsLabel(label))) {
      const now = revisions[secret];
      if (now === undefined) out.push({ volume, secret, cause: 'missing' });
      else if (now !== revision) out.push({ volume, secret, cause: 'changed' });
    }
  }
  return out;
}
