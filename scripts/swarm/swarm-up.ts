/**
 * `npm run swarm:up [-- --cluster NAME --nodes N --port-base PORT --json]`: brings up (or
 * reuses, or repairs) the test Swarm, prints its nodes and ports on stderr and, on stdout,
 * `ESTEPS_REGISTRY=...` then, last, the manager's `DOCKER_HOST=tcp://127.0.0.1:<port>`.
 */
import { bringUpCluster, type SwarmUpResult } from './bring-up-cluster.js';
import { envLines } from './cluster-facts.js';
import { nodeServicePorts } from './cluster-spec.js';
import { log, runSwarmScript } from './swarm-script.js';

function printFacts(result: SwarmUpResult): void {
  const { facts } = result;
  const last = nodeServicePorts.first + nodeServicePorts.count - 1;
  const rows = [
    ['NODE', 'ROLE', 'ENGINE', `PORTS ${nodeServicePorts.first}-${last} ON`],
    ...facts.nodes.map((n) => [
      n.name,
      n.role,
      n.dockerHost,
      `127.0.0.1:${n.ports[0]!.host}-${n.ports.at(-1)!.host}`,
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows)
    log(
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    );
  log(`registry ${facts.registry} (from this machine: ${facts.registryFromHost})`);
  const seconds = (result.durationMs / 1000).toFixed(1);
  log(
    result.changed
      ? `cluster ${facts.cluster} is up: ${facts.nodes.length} nodes ready (${seconds} s)`
      : `cluster ${facts.cluster} was up and healthy: nothing to do (${seconds} s)`,
  );
}

await runSwarmScript('swarm:up', async (options) => {
  const result = await bringUpCluster(options);
  if (!options.json) printFacts(result);
  return {
    json: {
      changed: result.changed,
      durationMs: result.durationMs,
      actions: result.actions,
      ...result.facts,
    },
    lines: envLines(result.facts),
  };
});
