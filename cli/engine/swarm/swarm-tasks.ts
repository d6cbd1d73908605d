/**
 * A project's Swarm tasks (ps --swarm) and where its published services answer: on each node
 * running a task (host mode), through the test Swarm's 127.0.0.1 port of that node, or on
 * the node's own address on a real cluster.
 */
import type Docker from 'dockerode';
import type { ResolvedStack } from '../../../stacks/model/model.js';
import { labels, projectFilter } from '../labels.js';
import type { SwarmSettings } from './swarm-settings.js';

/** One row of `esteps ps --swarm --json` (fields are only ever added). */
export interface SwarmTask {
  readonly service: string;
  readonly node: string;
  /** The task's state: 'running', 'starting', 'shutdown', 'failed', ... */
  readonly state: string;
  readonly desiredState: string;
  readonly slot: number | null;
  readonly id: string;
  readonly image: string;
  readonly error: string | null;
  readonly updatedAt: string;
}

export async function listSwarmTasks(docker: Docker, project: string): Promise<SwarmTask[]> {
  const services = (await docker.listServices({ filters: projectFilter(project) })) as {
    ID: string;
    Spec: { Labels?: Record<string, string> };
  }[];
  if (services.length === 0) return [];
  const [tasks, nodes] = await Promise.all([
    docker.listTasks({ filters: { service: services.map((s) => s.ID) } }) as Promise<TaskInfo[]>,
    docker.listNodes() as Promise<{ ID: string; Description?: { Hostname?: string } }[]>,
  ]);
  const nodeName = new Map(nodes.map((n) => [n.ID, n.Description?.Hostname ?? n.ID]));
  const serviceName = new Map(services.map((s) => [s.ID, s.Spec.Labels?.[labels.service] ?? s.ID]));
  return tasks
    .map((t) => ({
      service: serviceName.get(t.ServiceID) ?? t.ServiceID,
      node: t.NodeID ? (nodeName.get(t.NodeID) ?? t.NodeID) : '-',
      state: t.Status.State,
      desiredState: t.DesiredState,
      slot: t.Slot ?? null,
      id: t.ID,
      image: t.Spec?.ContainerSpec?.Image ?? '',
      error: t.Status.Err ?? null,
      updatedAt: t.UpdatedAt,
    }))
    .sort(
      (a, b) =>
        a.service.localeCompare(b.service) ||
        (a.slot ?? 0) - (b.slot ?? 0) ||
        b.updatedAt.localeCompare(a.updatedAt),
    );
}

interface TaskInfo {
  ID: string;
  ServiceID: string;
  NodeID?: string;
  Slot?: number;
  DesiredState: string;
  UpdatedAt: string;
  Status: { State: string; Err?: string };
  Spec?: { ContainerSpec?: { Image?: string } };
}

export interface SwarmServiceUrl {
  readonly service: string;
  readonly node: string;
  readonly containerPort: number;
  readonly url: string;
}

/** Where each published service answers, one address per node running one of its tasks. */
export async function swarmServiceUrls(
  docker: Docker,
  stack: ResolvedStack,
  settings: SwarmSettings,
): Promise<SwarmServiceUrl[]> {
  const tasks = (await listSwarmTasks(docker, stack.project)).filter(
    (t) => t.state === 'running' && t.desiredState === 'running',
  );
  const nodes = (await docker.listNodes()) as {
    Description?: { Hostname?: string };
    Status?: { Addr?: string };
  }[];
  const addr = new Map(nodes.map((n) => [n.Description?.Hostname, n.Status?.Addr ?? '']));
  const out: SwarmServiceUrl[] = [];
  for (const s of stack.services) {
    const port = s.ports.find((p) => p.containerPort === s.httpProbe?.containerPort) ?? s.ports[0];
    if (!port) continue;
    const path = s.httpProbe?.containerPort === port.containerPort ? s.httpProbe.path : '';
    const onNodes = [
      ...new Set(tasks.filter((t) => t.service === s.name).map((t) => t.node)),
    ].sort();
    for (const node of onNodes) {
      const url = nodeUrl(settings, node, addr.get(node) ?? '', port.hostPort);
      if (url) {
        out.push({
          service: s.name,
          node,
          containerPort: port.containerPort,
          url: `${url}${path}`,
        });
      }
    }
  }
  return out;
}

function nodeUrl(
  settings: SwarmSettings,
  node: string,
  address: string,
  port: number,
): string | undefined {
  const test = settings.testSwarm;
  if (test) {
    const host = test.nodes.find((n) => n.name === node)?.ports.find((p) => p.node === port)?.host;
    return host ? `http://127.0.0.1:${host}` : undefined;
  }
  // Ingress publishing answers on every node; host mode on the task's node.
  return address ? `http://${address}:${port}` : undefined;
}
