import type { ServiceSpec } from '../model/model.js';
import { capabilityProblem } from './linux-capabilities.js';
import { isWhole, maxId, ownerProblem, wholeRule } from './numbers.js';

type Report = (path: string, message: string) => void;

/** The kernel's largest pids limit (PID_MAX_LIMIT on 64-bit): the engine cannot set more. */
const maxPids = 4_194_304;
/** The engine's smallest memory limit. */
const minMemoryBytes = 6 * 1024 * 1024;

/**
 * A service's hardening and limits, as the engine takes them: the user, tmpfs sizes, modes and
 * owners (their targets are checked with every mount, check-mount-targets.ts), capability
 * names, pids and memory limits.
 */
export function checkHardening(at: string, service: ServiceSpec, report: Report): void {
  if (service.user !== undefined) checkUser(`${at}.user`, service.user, report);
  service.tmpfs?.forEach((mount, i) => {
    const where = `${at}.tmpfs[${i}]`;
    if (mount.sizeBytes !== undefined && !isWhole(mount.sizeBytes, 4096)) {
      report(`${where}.sizeBytes`, wholeRule(mount.sizeBytes, 4096));
    }
    const owner = mount.owner === undefined ? undefined : ownerProblem(mount.owner);
    if (owner) report(`${where}.owner`, owner);
    if (mount.mode !== undefined && !isWhole(mount.mode, 0, 0o7777)) {
      report(`${where}.mode`, `must be permission bits from 0 to 0o7777, got ${mount.mode}`);
    }
  });
  for (const field of ['capDrop', 'capAdd'] as const) {
    service[field]?.forEach((cap, i) => {
      const problem = capabilityProblem(cap);
      if (problem) report(`${at}.${field}[${i}]`, problem);
    });
  }
  if (service.capAdd?.includes('ALL')) {
    report(`${at}.capAdd`, '"ALL" gives every capability back: name the ones the service needs');
  }
  const { pids, memoryBytes } = service.limits ?? {};
  if (pids !== undefined && !isWhole(pids, 1, maxPids)) {
    report(`${at}.limits.pids`, `${wholeRule(pids, 1, maxPids)} (the kernel's largest)`);
  }
  if (memoryBytes !== undefined && !isWhole(memoryBytes, minMemoryBytes)) {
    const upTo =
      memoryBytes > Number.MAX_SAFE_INTEGER ? ` and at most ${Number.MAX_SAFE_INTEGER}` : '';
    report(
      `${at}.limits.memoryBytes`,
      `must be a whole number of bytes, at least 6 MiB (the engine's minimum)${upTo}, got ${memoryBytes}`,
    );
  }
}

/**
 * `name`, `uid`, `name:group` or `uid:gid`, as the engine takes `User`. Whether the name
 * exists is the image's business: the engine says so when the container starts.
 */
function checkUser(path: string, user: string, report: Report): void {
  if (!/^[^:\s\0]+(:[^:\s\0]+)?$/.test(user)) {
    report(path, `must be "name", "uid", "name:group" or "uid:gid", got ${JSON.stringify(user)}`);
  } else if (user.split(':').some((part) => /^\d+$/.test(part) && Number(part) > maxId)) {
    report(path, `ids go from 0 to ${maxId}, got "${user}"`);
  }
}
