import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { EstepsError } from '../../errors.js';
import type { EndpointFiles } from './endpoint-files.js';
import { readTlsMaterial, type TlsMaterial } from './tls-material.js';

/*
 * The docker CLI's configuration and context store, read from its own files as the docker CLI
 * writes them: `$DOCKER_CONFIG/config.json` (`currentContext`), and per context
 * `contexts/meta/<sha256 of the name>/meta.json` (`Endpoints.docker.Host`, `SkipTLSVerify`)
 * with its TLS files in `contexts/tls/<sha256 of the name>/docker/`.
 */

/** `$DOCKER_CONFIG`, else `~/.docker`. */
export function dockerConfigDir(env: Readonly<Record<string, string | undefined>>, home: string) {
  return env.DOCKER_CONFIG || join(home, '.docker');
}

/** The context every docker CLI has: DOCKER_HOST, else the local socket. */
export const defaultContextName = 'default';

/** The folder name of a context in the store: the hex sha256 of its name. */
export function contextId(name: string): string {
  return createHash('sha256').update(name).digest('hex');
}

/** `currentContext` of `<configDir>/config.json`; undefined without the file or the key. */
export async function readCurrentContext(
  files: EndpointFiles,
  configDir: string,
): Promise<string | undefined> {
  const path = join(configDir, 'config.json');
  const bytes = await files.readFile(path);
  if (!bytes) return undefined;
  let config: unknown;
  try {
    config = JSON.parse(bytes.toString('utf8'));
  } catch (cause) {
    throw new EstepsError('CONFIG_INVALID', `${path} is not valid JSON.`, {
      hint: 'Fix the file (the docker CLI writes it), or point DOCKER_CONFIG at another folder.',
      cause,
    });
  }
  const current = (config as { currentContext?: unknown } | null)?.currentContext;
  return typeof current === 'string' && current ? current : undefined;
}

/** A context's docker endpoint, as its files say. */
export interface ContextEndpoint {
  readonly name: string;
  /** `Endpoints.docker.Host`, e.g. `ssh://me@build-box` */
  readonly host: string;
  /** TLS when the context has TLS files; verified unless `SkipTLSVerify`. */
  readonly tls?: TlsMaterial;
}

/** Reads context `name` from the store; CONFIG_INVALID naming `where` when it is not there. */
export async function readContext(
  files: EndpointFiles,
  configDir: string,
  name: string,
  where: string,
): Promise<ContextEndpoint> {
  const id = contextId(name);
  const metaPath = join(configDir, 'contexts', 'meta', id, 'meta.json');
  const bytes = await files.readFile(metaPath);
  if (!bytes) {
    throw new EstepsError(
      'CONFIG_INVALID',
      `Docker context "${name}" (${where}) does not exist: there is no ${metaPath}.`,
      { hint: 'List the contexts with docker context ls, and choose one of them (or unset it).' },
    );
  }
  const endpoint = parseMeta(bytes, metaPath);
  if (!endpoint.host) {
    throw new EstepsError(
      'CONFIG_INVALID',
      `Docker context "${name}" has no docker endpoint (Endpoints.docker.Host in ${metaPath}).`,
      { hint: `Set one: docker context update ${name} --docker host=...` },
    );
  }
  const tlsDir = join(configDir, 'contexts', 'tls', id, 'docker');
  const tls = await readTlsMaterial(files, tlsDir, {
    verify: !endpoint.skipTlsVerify,
    required: false,
    from: `context "${name}" (${tlsDir})`,
  });
  // As the docker CLI: TLS when the context has TLS files, or says to skip verifying.
  const hasTls = Boolean(tls.ca || tls.cert) || endpoint.skipTlsVerify;
  return { name, host: endpoint.host, ...(hasTls && { tls }) };
}

function parseMeta(bytes: Buffer, path: string): { host?: string; skipTlsVerify: boolean } {
  try {
    const meta = JSON.parse(bytes.toString('utf8')) as {
      Endpoints?: { docker?: { Host?: unknown; SkipTLSVerify?: unknown } };
    };
    const docker = meta?.Endpoints?.docker;
    return {
      ...(typeof docker?.Host === 'string' && docker.Host && { host: docker.Host }),
      skipTlsVerify: docker?.SkipTLSVerify === true,
    };
  } catch (cause) {
    throw new EstepsError('CONFIG_INVALID', `${path} is not valid JSON.`, {
      hint: 'Recreate the context with docker context create, or remove the folder.',
      cause,
    });
  }
}
