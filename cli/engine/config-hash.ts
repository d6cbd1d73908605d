import { createHash } from 'node:crypto';
import { baseImages } from '../../stacks/model/base-image-args.js';
import type { ResolvedService } from '../../stacks/model/model.js';
import type { ObservedState } from './observed-state.js';

/**
 * The hash of a service's effective container configuration, stored in the config-hash
 * label: a different hash means the container must be recreated. Deliberately left out,
 * because they do not change what one container is: `replicas` (scaling adds or removes
 * containers, it does not recreate the others), `dependsOn` (start order), `httpProbe` (how
 * esteps checks readiness from outside), `hotpatch`, and `build` and `envoy` (the image identity is
 * compared separately, by image ID, so a rebuilt image recreates the container too: an
 * edge's Envoy configuration is built into its image). Secrets count by their revisions.
 */
export function configHash(
  service: ResolvedService,
  revisions: Readonly<Record<string, string>> = {},
): string {
  const effective = {
    image: service.image,
    command: service.command ?? null,
    environment: service.environment,
    ports: service.ports,
    healthcheck: service.healthcheck ?? null,
    restart: service.restart,
    volumes: service.volumes,
    networks: service.networks,
    labels: service.labels,
    user: service.user ?? null,
    // A secret by its revision (a hash of the value, never the value): a changed secret recreates.
    secrets: service.secrets.map((s) => ({ ...s, revision: revisions[s.secret] ?? null })),
    readOnlyRootFilesystem: service.readOnlyRootFilesystem,
    // Without `options`: derived from the other fields (a container made before it existed
    // must not be recreated for it).
    tmpfs: service.tmpfs.map(({ options: _options, ...t }) => t),
    capDrop: service.capDrop,
    capAdd: service.capAdd,
    noNewPrivileges: service.noNewPrivileges,
    limits: service.limits,
  };
  return sha256(canonicalJson(effective)).slice(0, 16);
}

/**
 * The hash of everything a build reads: the context bytes, the Dockerfile name, the build
 * arguments and the IDs of the base images they name (a rebuilt stand-in base rebuilds us).
 */
export function buildHash(
  service: ResolvedService,
  contextDigest: string,
  observed: ObservedState,
): string {
  const build = service.build;
  if (!build) return '';
  const bases = Object.fromEntries(
    Object.entries(baseImages(build)).map(([k, ref]) => [k, observed.images[ref]?.id ?? 'missing']),
  );
  const inputs = { contextDigest, dockerfile: build.dockerfile, args: build.args, bases };
  return sha256(canonicalJson(inputs)).slice(0, 16);
}

/** JSON with object keys sorted at every level, so equal values hash equally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries.map(([k, v]) => [k, sortKeys(v)]));
  }
  return value;
}

export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
