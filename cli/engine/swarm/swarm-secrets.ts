/**
 * A service's secrets as Swarm secrets mounted as files (`service.secrets`), never
 * environment. Each project secret becomes one Swarm secret named
 * `<project>_<secret>_<revision>` (the revision is a hash of the value, never the value):
 * Swarm secrets cannot change, so a changed value is a new secret and the services reading
 * it roll to it; the old one is removed once nothing uses it.
 */
import type { ResolvedService, ResolvedStack } from '../../../stacks/model/model.js';
import type { ObservedSwarm } from './observe-swarm.js';
import type { SwarmSecretMount } from './service-spec.js';

/** The revision as a Swarm secret's name carries it (12 hex digits). */
const nameRevisionLength = 12;

/** `<project>_<secret>_<revision>`: `revision` is `secretRevision(value)` (or its first 12). */
export function swarmSecretName(project: string, secret: string, revision: string): string {
  return `${project}_${snake(secret)}_${revision.slice(0, nameRevisionLength)}`;
}

/** `revisions`: each project secret's revision (never its value). */
export function serviceSecretMounts(
  stack: ResolvedStack,
  s: ResolvedService,
  revisions: Readonly<Record<string, string>>,
): SwarmSecretMount[] {
  return s.secrets.map((m) => {
    const revision = revisions[m.secret];
    if (revision === undefined) throw new Error(`no revision for secret ${m.secret}`);
    return {
      secret: m.secret,
      secretName: swarmSecretName(stack.project, m.secret, revision),
      target: m.target.replace(/^\/run\/secrets\//, ''),
      uid: m.uid,
      gid: m.gid,
      mode: m.mode,
    };
  });
}

/**
 * Each project secret's revision, proved by the Swarm without reading a value: the Swarm
 * secret of that project secret whose value came from the values volume as it is now (its
 * `com.esteps.volume-id` label is the volume's random id, given when the volume was made).
 * esteps never changes a value it stored (it only adds missing ones), so that secret's
 * name carries the revision of the value the volume holds. Undefined when any secret is not
 * proved so (no such Swarm secret, another volume, two revisions): then the values are read.
 */
export function provedRevisions(
  stack: ResolvedStack,
  observed: ObservedSwarm,
): Record<string, string> | undefined {
  const volumeId = observed.valuesVolumeId;
  if (!volumeId) return undefined;
  const proved: Record<string, string> = {};
  for (const secret of stack.secrets) {
    const prefix = swarmSecretName(stack.project, secret, '');
    const revisions = new Set(
      (observed.secretInfo ?? [])
        .filter((s) => s.secret === secret && s.volumeId === volumeId && s.name.startsWith(prefix))
        .map((s) => s.name.slice(prefix.length))
        .filter((r) => new RegExp(`^[0-9a-f]{${nameRevisionLength}}$`).test(r)),
    );
    if (revisions.size !== 1) return undefined;
    proved[secret] = [...revisions][0]!;
  }
  return proved;
}

/** `dbPassword` -> `db_password`. */
function snake(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}
