import { posix } from 'node:path';
import type { ServiceSpec } from '../model/model.js';

type Report = (path: string, message: string) => void;

/** Where a service's secret files are mounted (cli/engine/container-spec.ts mounts them there). */
const secretsMountPoint = '/run/secrets';

/**
 * Where a service mounts things: its volumes, its tmpfs mounts and, when it reads secrets,
 * /run/secrets. Each target is an absolute path other than `/`, and no two are the same
 * folder (`/data` and `/data/` included): the engine refuses `/` and a duplicate mount point
 * ("Duplicate mount point"), or silently hides a volume under a tmpfs of the same target.
 */
export function checkMountTargets(at: string, service: ServiceSpec, report: Report): void {
  const seen = new Map<string, string>();
  if ((service.secrets?.length ?? 0) > 0) seen.set(secretsMountPoint, `${at}.secrets`);
  const targets = [
    ...(service.volumes ?? []).map((m, i) => ({ target: m.target, path: `${at}.volumes[${i}]` })),
    ...(service.tmpfs ?? []).map((m, i) => ({ target: m.target, path: `${at}.tmpfs[${i}]` })),
  ];
  for (const { target, path } of targets) {
    const where = `${path}.target`;
    if (!target.startsWith('/') || target.includes('\0')) {
      report(where, `must be an absolute path, got ${JSON.stringify(target)}`);
      continue;
    }
    const folder = posix.normalize(target).replace(/(.)\/$/, '$1');
    if (folder === '/') {
      report(where, 'cannot be "/": the root filesystem is the image\'s');
      continue;
    }
    const first = seen.get(folder);
    if (first === `${at}.secrets`) {
      report(where, `"${target}" is where the service's secret files are mounted`);
    } else if (first !== undefined) {
      report(where, `"${target}" is already mounted by ${first}`);
    } else seen.set(folder, path);
  }
}
