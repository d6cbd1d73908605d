/**
 * Where `--swarm` deploys and how: the engine that builds (this machine's), the registry the
 * nodes pull from and the address to push to, the endpoint and publish modes. Read once per
 * command from the environment and, when the manager is a test Swarm's of `npm run swarm:up`
 * (recognised by its Swarm ID, however it is reached), from the facts file it wrote.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EstepsError } from '../../errors.js';
import { packageRoot } from '../../package-root.js';
import type { SwarmModes } from './service-spec.js';

/** The part of `.esteps/swarm/<cluster>.json` (scripts/swarm/cluster-facts.ts) esteps reads. */
export interface TestSwarmFacts {
  readonly cluster: string;
  readonly dockerHost: string;
  /** Written by swarm:up since the Swarm ID was recorded; older files match by dockerHost. */
  readonly swarmId?: string;
  readonly registry: string;
  readonly registryFromHost: string;
  readonly nodes: readonly {
    readonly name: string;
    readonly ports: readonly { readonly node: number; readonly host: number }[];
  }[];
}

export interface SwarmSettings {
  /** The registry as the nodes name it: services run `<registry>/<name>:<tag>@<digest>`. */
  readonly registry: string | undefined;
  /**
   * The same registry as the build engine reaches it (pushes go there): on the test Swarm,
   * its 127.0.0.1 port for this machine's engine, the nodes' name for ESTEPS_BUILD_HOST's.
   */
  readonly pushRegistry: string | undefined;
  /** The build engine's DOCKER_HOST (undefined: this machine's socket). */
  readonly buildHost: string | undefined;
  readonly modes: SwarmModes;
  /** Where each mode came from, for the plan: 'ESTEPS_…', 'test Swarm', 'default'. */
  readonly modeSources: { readonly endpointMode: string; readonly publishMode: string };
  /** Set when DOCKER_HOST is a test Swarm of `npm run swarm:up`. */
  readonly testSwarm?: TestSwarmFacts;
}

type Env = Readonly<Record<string, string | undefined>>;

/** The manager as connectEngine reached it: its address and the Swarm's ID. */
export interface SwarmManagerFacts {
  readonly host: string;
  readonly swarmId: string;
}

/**
 * The settings for the Swarm of `manager`; without one (`render --swarm`, which asks no
 * engine), the test Swarm is the one whose manager DOCKER_HOST names.
 */
export async function readSwarmSettings(
  env: Env,
  manager?: SwarmManagerFacts,
): Promise<SwarmSettings> {
  const testSwarm = await findTestSwarm((facts) =>
    manager
      ? (!!manager.swarmId && facts.swarmId === manager.swarmId) ||
        facts.dockerHost === manager.host
      : !!env.DOCKER_HOST && facts.dockerHost === env.DOCKER_HOST,
  );
  const registry = env.ESTEPS_REGISTRY || testSwarm?.registry;
  const buildHost = env.ESTEPS_BUILD_HOST || undefined;
  // This machine's engine reaches the test Swarm's registry through its 127.0.0.1 port; an
  // engine named by ESTEPS_BUILD_HOST (a node's, say) by the name the nodes use.
  const pushRegistry =
    testSwarm && registry === testSwarm.registry && !buildHost
      ? testSwarm.registryFromHost
      : registry;
  const endpointMode = mode(
    env,
    'ESTEPS_SWARM_ENDPOINT_MODE',
    ['vip', 'dnsrr'],
    testSwarm,
    'dnsrr',
  );
  let publishMode = mode(env, 'ESTEPS_SWARM_PUBLISH_MODE', ['ingress', 'host'], testSwarm, 'host');
  if (endpointMode.value === 'dnsrr' && publishMode.value === 'ingress') {
    if (env.ESTEPS_SWARM_PUBLISH_MODE) {
      throw new EstepsError(
        'CONFIG_INVALID',
        'ESTEPS_SWARM_PUBLISH_MODE=ingress cannot serve a dnsrr service (the routing mesh needs a VIP).',
        {
          hint: 'Use ESTEPS_SWARM_PUBLISH_MODE=host with dnsrr, or ESTEPS_SWARM_ENDPOINT_MODE=vip.',
        },
      );
    }
    publishMode = { value: 'host', source: 'dnsrr needs it' };
  }
  return {
    registry,
    pushRegistry,
    buildHost,
    modes: {
      endpointMode: endpointMode.value as SwarmModes['endpointMode'],
      publishMode: publishMode.value as SwarmModes['publishMode'],
    },
    modeSources: { endpointMode: endpointMode.source, publishMode: publishMode.source },
    ...(testSwarm && { testSwarm }),
  };
}

function mode(
  env: Env,
  variable: string,
  allowed: readonly [string, string],
  testSwarm: TestSwarmFacts | undefined,
  onTestSwarm: string,
): { value: string; source: string } {
  const given = env[variable];
  if (given) {
    if (!allowed.includes(given)) {
      throw new EstepsError(
        'CONFIG_INVALID',
        `${variable}=${given} is not ${allowed.join(' or ')}.`,
        {
          hint: `Set ${variable} to ${allowed.join(' or ')}, or unset it for the default.`,
        },
      );
    }
    return { value: given, source: variable };
  }
  // The test Swarm runs on a kernel without IPVS: no VIP, no routing mesh.
  if (testSwarm) return { value: onTestSwarm, source: 'test Swarm: no IPVS' };
  return { value: allowed[0], source: 'default' };
}

/** The facts of the test Swarm that `matches`, if swarm:up made one. */
async function findTestSwarm(
  matches: (facts: TestSwarmFacts) => boolean,
): Promise<TestSwarmFacts | undefined> {
  const dir = join(packageRoot(), '.esteps', 'swarm');
  const files = await readdir(dir).catch(() => [] as string[]);
  for (const f of files.filter((n) => n.endsWith('.json')).sort()) {
    try {
      const facts = JSON.parse(await readFile(join(dir, f), 'utf8')) as TestSwarmFacts;
      if (matches(facts)) return facts;
    } catch {
      // A file being rewritten by swarm:up: not this one.
    }
  }
  return undefined;
}
