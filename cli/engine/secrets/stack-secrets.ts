import type Docker from 'dockerode';
import { secretVariable } from '../../../stacks/model/known-variables.js';
import type { ResolvedStack } from '../../../stacks/model/model.js';
import { EstepsError } from '../../errors.js';
import { engineMessage, statusCode } from '../engine-errors.js';
import { labels } from '../labels.js';
import { secretFilesVolumeName, volumeName } from '../names.js';
import { readVolumesLocally, volumeIdFile } from './local-volume-read.js';
import { loadProjectSecrets, secretRevision, secretsVolumeName } from './project-secrets.js';
import { dataVolumeSecrets, findSecretMismatches, type SecretMismatch } from './secret-markers.js';
import {
  getVolumeEntries,
  mountFiles,
  putVolumeFiles,
  type VolumeFile,
  withVolumeHelper,
} from './volume-helper.js';

/** What the engine holds: the project's values, and the files each service's volume has now. */
export interface SecretsOnEngine {
  readonly values: Readonly<Record<string, string>>;
  /** By files volume name; a volume that does not exist yet is absent. */
  readonly files: Readonly<Record<string, ReadonlyMap<string, VolumeFile>>>;
  /** Read from the volumes' folders on this host (local-volume-read.ts), not through the engine. */
  readonly readHere?: boolean;
}

export interface StackSecretsInput {
  readonly docker: Docker;
  readonly stack: ResolvedStack;
  /** Values of a legacy `.esteps/<project>/secrets.env`, imported for names the engine lacks. */
  readonly legacy: Readonly<Record<string, string>>;
  /** Plan only: create, generate and write nothing. */
  readonly dryRun: boolean;
  /**
   * The values an earlier call of the same command read (`StackSecrets.stored`), under the
   * same project lock: not read again. @default read from the engine
   */
  readonly stored?: SecretsOnEngine;
}

export interface StackSecrets {
  /** Revision (hash, never the value) of each secret by name; a dry run omits ones not yet made. */
  readonly revisions: Readonly<Record<string, string>>;
  /** Names generated or imported by this call. */
  readonly created: readonly string[];
  /** What the engine held before this call (for `StackSecretsInput.stored`). */
  readonly stored: SecretsOnEngine;
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
  if (names.length === 0) return { revisions: {}, created: [], stored: { values: {}, files: {} } };
  const services = stack.services.filter((s) => s.secrets.length > 0);
  const volumes = services.map((s) => secretFilesVolumeName(stack.project, s.name));
  const wantedFiles = (values: Readonly<Record<string, string>>) =>
    services.map((service) =>
      service.secrets.map((s) => ({
        path: s.target.slice(s.target.lastIndexOf('/') + 1),
        data: Buffer.from(values[s.secret] ?? ''),
        mode: s.mode,
        uid: s.uid,
        gid: s.gid,
      })),
    );
  const holdsAll = (read: SecretsOnEngine) => {
    const wanted = wantedFiles(read.values);
    return (
      names.every((name) => read.values[name]) &&
      volumes.every((volume, i) => holdsFiles(read.files[volume], wanted[i]!))
    );
  };
  const volumeLabels = dataVolumeLabels(docker, stack);
  volumeLabels.catch(() => undefined); // awaited below, after the read
  // A warm `up` plans once read-only, then again for real: one read serves both. A read of
  // the folders on this host only ever confirms: anything missing or different is read again
  // through the engine, which decides.
  let onEngine = input.stored ?? (await readSecretsOnEngine(docker, stack.project, volumes, true));
  if (onEngine.readHere && !holdsAll(onEngine))
    onEngine = await readSecretsOnEngine(docker, stack.project, volumes, false);
  const stored = onEngine.values;
  const candidate: Record<string, string> = {};
  for (const name of names) {
    const value = stored[name] || input.legacy[name];
    if (value) candidate[name] = value;
  }
  const revisionsOf = (values: Readonly<Record<string, string>>) =>
    Object.fromEntries(Object.entries(values).map(([n, v]) => [n, secretRevision(v)]));
  const mismatches = findSecretMismatches(await volumeLabels, revisionsOf(candidate));
  if (mismatches.length > 0) throw secretMismatch(stack.project, mismatches);
  if (input.dryRun) return { revisions: revisionsOf(candidate), created: [], stored: onEngine };
  if (!names.every((name) => stored[name])) {
    // A value to generate or import (a first `up`): the values and every service's files go
    // through one helper container, in one archive.
    await Promise.all(
      volumes.map((volume) => ensureVolume(docker, stack.project, volume, 'files')),
    );
    const { values, created } = await loadProjectSecrets(docker, stack.project, names, {
      imports: input.legacy,
      lengthBytes: stack.secretLengths,
      alongside: { volumes, files: wantedFiles },
    });
    return { revisions: revisionsOf(values), created, stored: onEngine };
  }
  // Every value already stored (the usual `up`): no second read of the secrets volume.
  const values = Object.fromEntries(names.map((name) => [name, stored[name]!]));
  // Each service's files, written through one helper container that mounts every volume;
  // not at all when every volume already holds exactly these files (a warm `up`).
  const wanted = wantedFiles(values);
  const current = volumes.every((volume, i) => holdsFiles(onEngine.files[volume], wanted[i]!));
  if (volumes.length === 0 || current)
    return { revisions: revisionsOf(values), created: [], stored: onEngine };
  await Promise.all(volumes.map((volume) => ensureVolume(docker, stack.project, volume, 'files')));
  // One archive for every volume (`i/name` lands in the i-th mount): each archive call costs
  // the engine a mount and a process of its own, 40 to 60 ms.
  await withVolumeHelper(docker, stack.project, volumes, (helper) =>
    putVolumeFiles(
      helper,
      wanted.flatMap((files, i) => files.map((file) => ({ ...file, path: `${i}/${file.path}` }))),
    ),
  );
  return { revisions: revisionsOf(values), created: [], stored: onEngine };
}

/** True when `held` has every file of `files` with the same bytes, mode and owner. */
function holdsFiles(
  held: ReadonlyMap<string, VolumeFile> | undefined,
  files: readonly { path: string; data: Buffer; mode?: number; uid?: number; gid?: number }[],
): boolean {
  return files.every((file) => {
    const found = held?.get(file.path);
    return (
      found?.data.equals(file.data) === true &&
      found.mode === (file.mode ?? 0o644) &&
      found.uid === (file.uid ?? 0) &&
      found.gid === (file.gid ?? 0)
    );
  });
}

/**
 * The project's stored values and the files its services' volumes hold now: from their
 * folders on this host when `here` and they can be read there, else through one helper
 * container (nothing created: volumes that do not exist are not mounted). Nothing when the
 * values volume does not exist.
 */
async function readSecretsOnEngine(
  docker: Docker,
  project: string,
  fileVolumes: readonly string[],
  here: boolean,
): Promise<SecretsOnEngine> {
  const valuesVolume = secretsVolumeName(project);
  const [values, ...infos] = await Promise.all(
    [valuesVolume, ...fileVolumes].map((v) => inspectVolume(docker, v)),
  );
  if (!values) return { values: {}, files: {} };
  const existing = fileVolumes.flatMap((name, i) => (infos[i] ? [[name, infos[i]] as const] : []));
  const local = here
    ? await readVolumesLocally(
        docker,
        values,
        existing.map(([, info]) => info),
      )
    : undefined;
  const mounts =
    local ??
    (await readThroughHelper(docker, project, [valuesVolume, ...existing.map(([n]) => n)]));
  return {
    values: Object.fromEntries(
      [...mounts[0]!].flatMap(([name, file]) =>
        name === volumeIdFile ? [] : [[name, file.data.toString('utf8')]],
      ),
    ),
    files: Object.fromEntries(existing.map(([name], i) => [name, mounts[i + 1]!])),
    ...(local && { readHere: true }),
  };
}

/** Every regular file at the root of each volume, by name, through one helper container. */
async function readThroughHelper(
  docker: Docker,
  project: string,
  volumes: readonly string[],
): Promise<ReadonlyMap<string, VolumeFile>[]> {
  const entries = await withVolumeHelper(docker, project, volumes, (helper) =>
    getVolumeEntries(helper),
  );
  return volumes.map((_, i) => mountFiles(entries, i));
}

async function inspectVolume(
  docker: Docker,
  name: string,
): Promise<Docker.VolumeInspectInfo | undefined> {
  try {
    return await docker.getVolume(name).inspect();
  } catch (err) {
    if (statusCode(err) === 404) return undefined;
    throw err;
  }
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
