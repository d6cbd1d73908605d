/**
 * A service's secrets as Swarm secrets mounted as files (`service.secrets`), never
 * environment. Each project secret becomes one Swarm secret named
 * `<project>_<secret>_<revision>` (the revision is a hash of the value, never the value):
 * Swarm secrets cannot change, so a changed value is a new secret and the services reading
 * it roll to it; the old one is removed once nothing uses it.
 */
import type { ResolvedService, ResolvedStack } from '../../../stacks/model/model.js';
import { secretRevision } from '../secrets/project-secrets.js';
import type { SwarmSecretMount } from './service-spec.js';

export function swarmSecretName(project: string, secret: string, value: string): string {
  return `${project}_${snake(secret)}_${secretRevision(value).slice(0, 12)}`;
}

export function serviceSecretMounts(
  stack: ResolvedStack,
  s: ResolvedService,
  values: Readonly<Record<string, string>>,
): SwarmSecretMount[] {
  return s.secrets.map((m) => {
    const value = values[m.secret];
    if (value === undefined) throw new Error(`no value for secret ${m.secret}`);
    return {
      secret: m.secret,
      secretName: swarmSecretName(stack.project, m.secret, value),
      target: m.target.replace(/^\/run\/secrets\//, ''),
      uid: m.uid,
      gid: m.gid,
      mode: m.mode,
    };
  });
}

/** `dbPassword` -> `db_password`. */
function snake(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}
