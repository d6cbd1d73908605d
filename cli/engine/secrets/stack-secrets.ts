import type Docker from 'dockerode';
import type { ResolvedStack, SecretSpec } from '../../../stacks/model.js';
import { secretVariable } from '../../../stacks/variables.js';
import { EstepsError } from '../../errors.js';
import { engineMessage, statusCode } from '../engine-errors.js';
import { labels } from '../labels.js';
import { secretFilesVolumeName, volumeName } from '../names.js';
import {
  loadProjectSecrets,
  readProjectSecrets,
  secretRevision,
  secretsVolumeName,
} from './project-secrets.js';
import { dataVolumeSecrets, findSecretMismatches, type SecretMismatch } from './secret-markers.js';
import { putVolumeFiles, volumeMountPoint, withVolumeHelper } from './volume-helper.js';

export interface StackSecretsInput {
  readonly docker: Docker;
  readonly stack: ResolvedStack;
  /** The stack's declarations (generated length). */
  readonly specs: Readonly<Record<string, SecretSpec>>;
  /** Values of a legacy `.esteps/<project>/secrets.env`, imported for names the engine lacks. */
  readonly legacy: Readonly<Record<string, string>>;
  /** Plan only: create, generate and write nothing. */
  readonly dryRun: boolean;
}

export interface StackSecrets {
  /** Revision (hash, never the value) of each secret by name; a dry run omits ones not yet made. */
  readonly revisions: Readonly<Record<string, string>>;
  /** Names generated or imported by this call. */
  readonly created: readonly string[];
}

/**
 * The secrets step of `up`, before the plan: reads the project's values from the engine,
 * refuses (SECRET_MISMATCH) when an existing data volume was initialised with a value the
 * project no longer holds, generates (or imports) the missing ones, and writes each
 * service's secret files (owner and mode as the stack says) into its `<project>.secrets.<service>`
 * volume, which its containers mount read-only at /run/secrets. Returns only revisions.
 */
export async function prepareStackSecrets(input: StackSecretsInput): Promise<StackSecrets> {
  const { docker, stack } = input;
  const names = stack.secrets;
  if (names.length === 0) return { revisions: {}, created: [] };
  const stored = await readProjectSecrets(docker, stack.project);
  const candidate: Record<string, string> = {};
  for (const name of names) {
    const value = stored[name] || input.legacy[name];
    if (value) candidate[name] = value;
  }
  const revisionsOf = (values: Readonly<Record<string, string>>) =>
    Object.fromEntries(Object.entries(values).map(([n, v]) => [n, secretRevision(v)]));
  const mismatches = findSecretMismatches(
    await dataVolumeLabels(docker, stack),
    revisionsOf(candidate),
  );
  if (mismatches.length > 0) throw secretMismatch(stack.project, mismatches);
  if (input.dryRun) return { revisions: revisionsOf(candidate), created: [] };
  const lengthBytes = Object.fromEntries(
    Object.entries(input.specs).flatMap(([n, s]) =>
      s.lengthBytes === undefined ? [] : [[n, s.lengthBytes]],
    ),
  );
  // Every value already stored (the usual `up`): no second read of the secrets volume.
  const { values, created } = names.every((name) => stored[name])
    ? { values: Object.fromEntries(names.map((name) => [name, stored[name]!])), created: [] }
    : await loadProjectSecrets(docker, stack.project, names, {
        imports: input.legacy,
        lengthBytes,
      });
  // Each service's files, written through one helper container that mounts every volume.
  const services = stack.services.filter((s) => s.secrets.length > 0);
  const volumes = services.map((s) => secretFilesVolumeName(stack.project, s.name));
  for (const volume of volumes) await ensureVolume(docker, stack.project, volume, 'files');
  if (volumes.length === 0) return { revisions: revisionsOf(values), created };
  await withVolumeHelper(docker, stack.project, volumes, async (helper) => {
    for (const [i, service] of services.entries()) {
      const files = service.secrets.map((s) => ({
        path: s.target.slice(s.target.lastIndexOf('/') + 1),
        data: Buffer.from(values[s.secret] ?? ''),
        mode: s.mode,
        uid: s.uid,
        gid: s.gid,
      }));
      await putVolumeFiles(helper, files, volumeMountPoint(i));
    }
  });
  return { revisions: revisionsOf(values), created };
}

/** The com.esteps.secrets label of each existing data volume that a secret concerns. */
async function dataVolumeLabels(
  docker: Docker,
  stack: ResolvedStack,
): Promise<Record<string, string | undefined>> {
  const out: Record<string, string | undefined> = {};
  for (const volume of stack.volumes) {
    if (dataVolumeSecrets(stack, volume).length === 0) continue;
    const name = volumeName(stack.project, volume);
    try {
      const info = await docker.getVolume(name).inspect();
      out[name] = info.Labels?.[labels.secrets];
    } catch (err) {
      if (statusCode(err) !== 404) throw err;
    }
  }
  return out;
}

function secretMismatch(project: string, mismatches: readonly SecretMismatch[]): EstepsError {
  const first = mismatches[0]!;
  const volumes = [...new Set(mismatches.map((m) => m.volume))];
  const why =
    first.cause === 'missing'
      ? `project ${project} no longer holds the secret "${first.secret}" it was initialised with (the volume ${secretsVolumeName(project)} that kept it is gone)`
      : `project ${project}'s secret "${first.secret}" is not the value it was initialised with (${secretsVolumeName(project)} holds another)`;
  const legacy = `.esteps/${project}/secrets.env`;
  const restore =
    first.cause === 'missing'
      ? `restore the volume ${secretsVolumeName(project)} from a backup, or put the old value in ${legacy} as ${secretVariable(first.secret)}=... (up imports it)`
      : `restore the volume ${secretsVolumeName(project)} from a backup, or remove it and put the old value in ${legacy} as ${secretVariable(first.secret)}=... (up imports it)`;
  return new EstepsError(
    'SECRET_MISMATCH',
    `Volume ${volumes.join(', ')} cannot be used: ${why}.`,
    {
      hint: `Restore the secret (${restore}), or start over without that data: esteps down --volumes -p ${project}.`,
      details: { mismatches },
    },
  );
}

async function ensureVolume(
  docker: Docker,
  project: string,
  name: string,
  kind: string,
): Promise<void> {
  try {
    await docker.getVolume(name).inspect();
    return;
  } catch (err) {
    if (statusCode(err) !== 404) throw err;
  }
  try {
    await docker.createVolume({
      Name: name,
      Labels: { [labels.project]: project, [labels.secrets]: kind },
    });
  } catch (err) {
    throw new EstepsError(
      'START_FAILED',
      `Could not create volume ${name}: ${engineMessage(err)}.`,
      {
        hint: 'Check the engine (docker info), then run esteps up again.',
        cause: err,
      },
    );
  }
}
