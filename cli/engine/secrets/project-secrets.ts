import { createHash, randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import { EstepsError } from '../../errors.js';
import { engineMessage, statusCode } from '../engine-errors.js';
import { labels } from '../labels.js';
import type { TarEntry } from '../tar.js';
import { readVolumesLocally, volumeIdFile } from './local-volume-read.js';
import {
  getVolumeEntries,
  getVolumeFiles,
  mountFiles,
  putVolumeFiles,
  type VolumeFile,
  withVolumeHelper,
} from './volume-helper.js';

/*
 * A project's secret values live on the engine, with the project's data: in the volume
 * `<project>.secrets` (labelled with the project), one file per secret, mode 0600, root's.
 * Every checkout of the project on that engine, and a checkout whose `.esteps/` was deleted,
 * reaches the same values; `esteps down --volumes` removes them with the data. They are read
 * and written through a helper container that is created but never started
 * (volume-helper.ts), so a value never appears in an argument, an environment, a log or
 * `docker inspect`. Anyone with access to the engine can read them: the engine socket is
 * root-equivalent on its host.
 */

/** `<project>.secrets`: the engine volume holding a project's secret values. */
export function secretsVolumeName(project: string): string {
  return `${project}.secrets`;
}

export interface LoadedProjectSecrets {
  /** By secret name (`dbPassword`). */
  readonly values: Record<string, string>;
  /** Names generated (or imported) and stored by this call. */
  readonly created: string[];
}

export interface LoadSecretsOptions {
  /** Values to store for names the engine lacks, instead of generating (a legacy secrets file). */
  readonly imports?: Readonly<Record<string, string>>;
  /** Bytes of randomness per name: the resolved stack's `secretLengths`. */
  readonly lengthBytes: Readonly<Record<string, number>>;
  /**
   * Files to write into other volumes (which must exist) from the values, through the same
   * helper container and archive: each service's secret files (stack-secrets.ts). Written
   * again if another command's values won.
   */
  readonly alongside?: {
    readonly volumes: readonly string[];
    /** The files of each of `volumes`, in order, given the values. */
    readonly files: (values: Readonly<Record<string, string>>) => readonly (readonly TarEntry[])[];
  };
}

/** The project's secret values, kept on the engine so every checkout of the project gets the same ones; generates (and stores) any missing. */
export async function loadProjectSecrets(
  docker: Docker,
  project: string,
  names: readonly string[],
  options: LoadSecretsOptions,
): Promise<{ values: Record<string, string>; created: string[] }> {
  if (names.length === 0) return { values: {}, created: [] };
  const { volumeId, createdNow, info } = await ensureSecretsVolume(docker, project);
  const alongside = options.alongside;
  // The values volume at /volume/0, the others after it: one archive call each way, as
  // each costs the engine a mount of every volume (40 to 60 ms).
  const mounts = [secretsVolumeName(project), ...(alongside?.volumes ?? [])];
  const filesFor = (values: Readonly<Record<string, string>>): TarEntry[] =>
    (alongside?.files(values) ?? []).flatMap((files, i) =>
      files.map((file) => ({ ...file, path: `${i + 1}/${file.path}` })),
    );
  return withVolumeHelper(docker, project, mounts, async (helper) => {
    const valuesIn = async () => mountFiles(await getVolumeEntries(helper), 0);
    // A volume this call just created is empty: nothing to read.
    const stored = createdNow ? new Map<string, VolumeFile>() : await valuesIn();
    // The id file (local-volume-read.ts), written along with the first values.
    const idFile =
      volumeId && stored.get(volumeIdFile)?.data.toString('utf8') !== volumeId
        ? [{ path: `0/${volumeIdFile}`, data: Buffer.from(volumeId), mode: 0o444 }]
        : [];
    const values: Record<string, string> = {};
    const created: string[] = [];
    for (const name of names) {
      const value = stored.get(name)?.data.toString('utf8');
      if (value) {
        values[name] = value;
      } else {
        values[name] =
          options.imports?.[name] ||
          randomBytes(lengthOf(options.lengthBytes, name)).toString('base64url');
        created.push(name);
      }
    }
    if (created.length === 0 && idFile.length === 0 && !alongside) return { values, created };
    await putVolumeFiles(helper, [
      ...created.map((name) => ({
        path: `0/${name}`,
        data: Buffer.from(values[name]!),
        mode: 0o600,
      })),
      ...idFile,
      ...filesFor(values),
    ]);
    if (created.length === 0) return { values, created };
    // Another command may have stored the same names at the same moment: the volume's copy
    // wins, and the other volumes' files follow it.
    // On the engine's own host its folder shows the same (local-volume-read.ts: only once
    // the id file written above is there): where it holds exactly these values, no second
    // archive call. Anything else is read through the engine, which decides.
    const here = (await readVolumesLocally(docker, info, []))?.[0];
    if (created.every((name) => here?.get(name)?.data.toString('utf8') === values[name]))
      return { values, created };
    const after = await valuesIn();
    const won = created.filter((name) => {
      const theirs = after.get(name)?.data.toString('utf8');
      return theirs !== undefined && theirs !== values[name];
    });
    for (const name of won) values[name] = after.get(name)!.data.toString('utf8');
    if (won.length > 0 && alongside) await putVolumeFiles(helper, filesFor(values));
    return { values, created };
  });
}

/**
 * The project's stored secret values, without creating anything: {} when the secrets volume
 * does not exist. For planning (`up --dry-run`) and for checking data volumes before `up`
 * generates a value.
 */
export async function readProjectSecrets(
  docker: Docker,
  project: string,
): Promise<Record<string, string>> {
  const volume = secretsVolumeName(project);
  try {
    await docker.getVolume(volume).inspect();
  } catch (err) {
    if (statusCode(err) === 404) return {};
    throw err;
  }
  return withVolumeHelper(docker, project, volume, async (helper) => {
    const stored = await getVolumeFiles(helper);
    return Object.fromEntries(
      [...stored].flatMap(([name, data]) =>
        name === volumeIdFile ? [] : [[name, data.toString('utf8')]],
      ),
    );
  });
}

/**
 * A secret's revision: a short hash of its value, never the value. Container labels, the
 * configuration hash and data volumes' labels carry revisions, so a changed secret recreates
 * the containers that read it, and a data volume initialised with another value is found.
 * The value is 32 random bytes, so its hash reveals nothing useful.
 */
export function secretRevision(value: string): string {
  return createHash('sha256').update('esteps-secret\0').update(value).digest('hex').slice(0, 16);
}

/**
 * Creates `<project>.secrets` unless it exists: its id label (none on volumes made before ids),
 * and whether this call created it (then it is empty).
 */
async function ensureSecretsVolume(
  docker: Docker,
  project: string,
): Promise<{
  volumeId: string | undefined;
  createdNow: boolean;
  info: Docker.VolumeInspectInfo;
}> {
  const name = secretsVolumeName(project);
  try {
    const info = await docker.getVolume(name).inspect();
    if (info.Labels?.[labels.project] !== project) {
      throw new EstepsError(
        'START_FAILED',
        `Volume ${name} exists but esteps did not create it for project ${project}: it will not read secrets from it.`,
        {
          hint: `Remove or rename volume ${name} if it is not needed, or use another project name (-p).`,
        },
      );
    }
    return { volumeId: info.Labels?.[labels.volumeId], createdNow: false, info };
  } catch (err) {
    if (err instanceof EstepsError || statusCode(err) !== 404) throw err;
  }
  const volumeId = randomBytes(16).toString('hex');
  try {
    await docker.createVolume({
      Name: name,
      Labels: {
        [labels.project]: project,
        [labels.secrets]: 'values',
        [labels.volumeId]: volumeId,
      },
    });
    // Two commands may create it at once: the engine keeps the first one's labels, so only
    // the first finds its own id.
    const info = await docker.getVolume(name).inspect();
    const kept = info.Labels?.[labels.volumeId];
    return { volumeId: kept, createdNow: kept === volumeId, info };
  } catch (err) {
    throw new EstepsError(
      'START_FAILED',
      `Could not create volume ${name}: ${engineMessage(err)}.`,
      {
        hint: 'Check the engine (docker info), then run the command again.',
        cause: err,
      },
    );
  }
}

/** A name's length; the resolved stack gives every declared secret one. */
function lengthOf(lengths: Readonly<Record<string, number>>, name: string): number {
  const length = lengths[name];
  if (length === undefined)
    throw new Error(`no length for secret ${name}: not in the resolved stack`);
  return length;
}
