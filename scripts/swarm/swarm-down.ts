/**
 * `npm run swarm:down [-- --cluster NAME --json]`: removes the test Swarm, exactly what carries
 * its label. Idempotent: with nothing left it says so and succeeds.
 */
import { repoRoot } from '../standin-images.js';
import { hostEngine } from './host-engine.js';
import { removeCluster } from './remove-cluster.js';
import { log, runSwarmScript } from './swarm-script.js';

await runSwarmScript('swarm:down', async (options) => {
  const started = Date.now();
  const removed = await removeCluster(await hostEngine(), repoRoot, options.name);
  const durationMs = Date.now() - started;
  const seconds = (durationMs / 1000).toFixed(1);
  if (removed.containers.length + removed.networks.length + removed.volumes.length === 0) {
    log(`cluster ${options.name}: nothing to remove`);
  } else {
    log(
      `cluster ${options.name} removed (${seconds} s): ${[...removed.containers, ...removed.networks.map((n) => `network ${n}`), ...removed.volumes.map((v) => `volume ${v}`)].join(', ')}`,
    );
  }
  return { json: { cluster: options.name, durationMs, removed }, lines: [] };
});
