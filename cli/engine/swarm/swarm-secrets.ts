/**
 * A service's secrets as Swarm secrets mounted as files, never environment. Each project
 * secret becomes one Swarm secret named `<project>_<secret>_<hash of the value>`: Swarm
 * secrets cannot change, so a changed value is a new secret and the services using it roll.
 *
 * Until the stack model carries `service.secrets` (the secrets-as-files model), a secret the
 * stack passes in the environment (`X: { secret }`) becomes the file
 * `/run/secrets/<snake_name>` and the variable `X_FILE` naming it (both images read `_FILE`).
 */
import type { ResolvedService, ResolvedStack } from '../../../stacks/model.js';
import { sha256 } from '../config-hash.js';
import type { SwarmSecretMount } from './service-spec.js';

/** A service's secret files as the stack model says them (the secrets-as-files model). */
interface ModelSecret {
  readonly secret: string;
  readonly target: string;
  readonly uid: number;
  readonly gid: number;
  readonly mode: number;
}

export interface ServiceSecrets {
  /** The environment with no secret value in it. */
  readonly environment: Readonly<Record<string, string>>;
  readonly mounts: readonly SwarmSecretMount[];
}

export function swarmSecretName(project: string, secret: string, value: string): string {
  return `${project}_${snake(secret)}_${sha256(value).slice(0, 12)}`;
}

export function serviceSecrets(
  stack: ResolvedStack,
  s: ResolvedService,
  values: Readonly<Record<string, string>>,
): ServiceSecrets {
  const name = (secret: string) => {
    const value = values[secret];
    if (value === undefined) throw new Error(`no value for secret ${secret}`);
    return swarmSecretName(stack.project, secret, value);
  };
  const declared = (s as { secrets?: readonly ModelSecret[] }).secrets;
  if (declared) {
    return {
      environment: s.environment,
      mounts: declared.map((m) => ({
        secret: m.secret,
        secretName: name(m.secret),
        target: m.target.replace(/^\/run\/secrets\//, ''),
        uid: m.uid,
        gid: m.gid,
        mode: m.mode,
      })),
    };
  }
  const environment: Record<string, string> = {};
  const mounts = new Map<string, SwarmSecretMount>();
  const owner = s.hotpatch?.owner ?? numericUser(s.user) ?? { uid: 0, gid: 0 };
  for (const [key, value] of Object.entries(s.environment)) {
    const origin = stack.origins[`services.${s.name}.environment.${key}`];
    if (origin?.kind !== 'secret') {
      environment[key] = value;
      continue;
    }
    const target = snake(origin.secret);
    environment[`${key}_FILE`] = `/run/secrets/${target}`;
    mounts.set(origin.secret, {
      secret: origin.secret,
      secretName: name(origin.secret),
      target,
      ...owner,
      mode: 0o400,
    });
  }
  return { environment, mounts: [...mounts.values()] };
}

function numericUser(user: string | undefined): { uid: number; gid: number } | undefined {
  const m = user?.match(/^(\d+)(?::(\d+))?$/);
  return m ? { uid: Number(m[1]), gid: Number(m[2] ?? m[1]) } : undefined;
}

/** `dbPassword` -> `db_password`. */
function snake(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}
