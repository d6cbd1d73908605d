import type Docker from 'dockerode';
import { labels, projectFilter } from '../labels.js';
import { demultiplex } from '../log-frames.js';

export interface SwarmLogLines {
  readonly service: string;
  /** The service's log as Swarm gathers it from every task, `<task>@<node> | line` each. */
  readonly lines: readonly string[];
}

/** The logs of the project's Swarm services (every task, every node), not followed. */
export async function readSwarmServiceLogs(
  docker: Docker,
  project: string,
  options: { service?: string; tail?: number },
): Promise<SwarmLogLines[]> {
  const services = (await docker.listServices({ filters: projectFilter(project) })) as {
    ID: string;
    Spec: { Labels?: Record<string, string> };
  }[];
  const wanted = services
    // A pull job (apply-swarm.ts) is no service of the stack.
    .filter((s) => !s.Spec.Labels?.[labels.probe])
    .map((s) => ({ id: s.ID, service: s.Spec.Labels?.[labels.service] ?? s.ID }))
    .filter((s) => !options.service || s.service === options.service)
    .sort((a, b) => a.service.localeCompare(b.service));
  return Promise.all(
    wanted.map(async (s) => {
      const raw = (await docker.getService(s.id).logs({
        stdout: true,
        stderr: true,
        follow: false,
        ...(options.tail !== undefined && { tail: options.tail }),
      } as never)) as unknown as Buffer;
      const text = Buffer.isBuffer(raw) ? demultiplex(raw) : String(raw);
      return { service: s.service, lines: text.split('\n').filter((l) => l.trim() !== '') };
    }),
  );
}
