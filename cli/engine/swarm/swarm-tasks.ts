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
  readonly createdAt: string;
  /** When it reached `running` (healthy, for a task with a health check). */
  readonly runningSince: string | undefined;
}

/** What the tasks are listed with: the project's services and the nodes, when already read. */
export interface TaskContext {
  readonly services: readonly { readonly id: string; readonly service: string }[];
  readonly nodes: readonly {
    readonly id: string;
    readonly hostname: string;
    readonly address: string;
  }[];
}

export async function listSwarmTasks(
  docker: Docker,
  project: string,
  known?: TaskContext,
): Promise<SwarmTask[]> {
  return (await readTasks(docker, project, known)).tasks;
}

/** The tasks, and the nodes as read with them (one list of each, in parallel). */
async function readTasks(
  docker: Docker,
  project: string,
  known: TaskContext | undefined,
): Promise<{ tasks: SwarmTask[]; nodes: TaskContext['nodes'] }> {
  const services =
    known?.services ??
    (
      (await docker.listServices({ filters: projectFilter(project) })) as {
        ID: string;
        Spec: { Labels?: Record<string, string> };
      }[]
    )
      // Not a pull job's tasks: they are no replicas.
      .filter((s) => !s.Spec.Labels?.[labels.probe])
      .map((s) => ({ id: s.ID, service: s.Spec.Labels?.[labels.service] ?? s.ID }));
  if (services.length === 0) return { tasks: [], nodes: known?.nodes ?? [] };
  const [tasks, nodes] = await Promise.all([
    docker.listTasks({ filters: { service: services.map((s) => s.id) } }) as Promise<TaskInfo[]>,
    known?.nodes ??
      (
        docker.listNodes() as Promise<
          { ID: string; Description?: { Hostname?: string }; Status?: { Addr?: string } }[]
        >
      ).then((all) =>
        all.map((n) => ({
          id: n.ID,
          hostname: n.Description?.Hostname ?? n.ID,
          address: n.Status?.Addr ?? '',
        })),
      ),
  ]);
  const nodeName = new Map(nodes.map((n) => [n.id, n.hostname]));
  const serviceName = new Map(services.map((s) => [s.id, s.service]));
  const listed = tasks
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
      createdAt: t.CreatedAt,
      runningSince: t.Status.State === 'running' ? t.Status.Timestamp : undefined,
    }))
    .sort(
      (a, b) =>
        a.service.localeCompare(b.service) ||
        (a.slot ?? 0) - (b.slot ?? 0) ||
        b.updatedAt.localeCompare(a.updatedAt),
    );
  return { tasks: listed, nodes };
}

interface TaskInfo {
  ID: string;
  ServiceID: string;
  NodeID?: string;
  Slot?: number;
  DesiredState: string;
  CreatedAt: string;
  UpdatedAt: string;
  Status: { State: string; Err?: string; Timestamp?: string };
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
  known?: TaskContext,
): Promise<SwarmServiceUrl[]> {
  const read = await readTasks(docker, stack.project, known);
  const tasks = read.tasks.filter((t) => t.state === 'running' && t.desiredState === 'running');
  const addr = new Map(read.nodes.map((n) => [n.hostname, n.address]));
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
