import type Docker from 'dockerode';
import { connectEngine } from '../../cli/engine/client.js';
import { labels } from '../../cli/engine/labels.js';
import { SetupError } from '../standin-images.js';
import { log } from './swarm-script.js';

/**
 * This machine's engine, where the test Swarm's containers run: DOCKER_HOST's, or the
 * default socket. When DOCKER_HOST points at a node of a test Swarm (a shell after
 * `export $(npm run -s swarm:up)`), the default socket is meant: a cluster never runs inside
 * its own node. Nodes carry the engine label com.esteps.swarm=<cluster>. Then DOCKER_HOST is
 * dropped from this process's environment, for the docker client the image builds run too.
 */
export async function hostEngine(): Promise<Docker> {
  const docker = await connect(process.env);
  if (!process.env.DOCKER_HOST) return docker;
  const info = (await docker.info()) as { Labels?: string[]; Name?: string };
  if (!(info.Labels ?? []).some((l) => l.startsWith(`${labels.swarm}=`))) return docker;
  log(
    `DOCKER_HOST=${process.env.DOCKER_HOST} is node ${info.Name} of a test Swarm: using this machine's engine`,
  );
  delete process.env.DOCKER_HOST;
  return connect(process.env);
}

async function connect(env: NodeJS.ProcessEnv): Promise<Docker> {
  try {
    return (await connectEngine(env, 10_000)).docker;
  } catch (err) {
    const e = err as { message: string; hint?: string };
    throw new SetupError(e.message, e.hint ?? 'run npm run setup', 'ENGINE_UNAVAILABLE');
  }
}
