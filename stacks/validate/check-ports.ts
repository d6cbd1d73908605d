import type { PortSpec, StackSpec } from '../model/model.js';
import { isWhole } from './numbers.js';

type Report = (path: string, message: string) => void;

/** A published port as the engine binds it. */
export interface HostBinding {
  readonly hostIp: string;
  readonly hostPort: number;
  readonly protocol: string;
}

/** Where a port is published when the stack does not say: never every interface by default. */
export const defaultHostIp = '127.0.0.1';

/**
 * True when the engine cannot bind both: the same port and protocol on the same address, or
 * on any address when one of them is 0.0.0.0 (every interface). Port 0 is "any free port"
 * and never clashes.
 */
export function bindingsClash(a: HostBinding, b: HostBinding): boolean {
  if (a.hostPort === 0 || a.hostPort !== b.hostPort || a.protocol !== b.protocol) return false;
  return a.hostIp === b.hostIp || a.hostIp === '0.0.0.0' || b.hostIp === '0.0.0.0';
}

/** ` (0.0.0.0:8080/tcp)` when the other binding differs (every interface), else nothing. */
export function differingBinding(binding: HostBinding, other: HostBinding): string {
  return showBinding(other) === showBinding(binding) ? '' : ` (${showBinding(other)})`;
}

/** `127.0.0.1:8080/tcp` */
export function showBinding(b: HostBinding): string {
  return `${b.hostIp}:${b.hostPort}/${b.protocol}`;
}

/** One port of a service: numbers in range, an IPv4 address, a variable's default a port. */
export function checkPort(path: string, port: PortSpec, report: Report): void {
  if (!isWhole(port.containerPort, 1, 65535)) {
    report(
      `${path}.containerPort`,
      `must be a whole number from 1 to 65535, got ${port.containerPort}`,
    );
  }
  if (typeof port.hostPort === 'number') {
    if (!isWhole(port.hostPort, 0, 65535)) {
      report(`${path}.hostPort`, `must be a whole number from 0 to 65535, got ${port.hostPort}`);
    }
  } else if (port.hostPort.default !== undefined) {
    const text = port.hostPort.default;
    if (!/^\d+$/.test(text) || Number(text) > 65535) {
      report(`${path}.hostPort`, `default must be a whole number from 0 to 65535, got "${text}"`);
    }
  }
  if (port.hostIp !== undefined && !isIpv4(port.hostIp)) {
    report(`${path}.hostIp`, `"${port.hostIp}" is not an IPv4 address`);
  }
}

function isIpv4(text: string): boolean {
  const parts = text.split('.');
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

/**
 * What the stack's literal host ports say by themselves: the same binding twice, a container
 * port published twice by one service (a container's bindings are keyed by its port, so the
 * second would replace the first),
 * and a fixed port on a replicated service. Ports that come from variables are checked once
 * their values are known (stacks/resolve/check-resolved-ports.ts).
 */
export function checkHostPorts(spec: StackSpec, report: Report): void {
  const seen: { binding: HostBinding; path: string }[] = [];
  for (const [name, service] of Object.entries(spec.services ?? {})) {
    const containerPorts = new Map<string, number>();
    service.ports?.forEach((port, i) => {
      const path = `services.${name}.ports[${i}]`;
      const protocol = port.protocol ?? 'tcp';
      const key = `${port.containerPort}/${protocol}`;
      const first = containerPorts.get(key);
      if (first !== undefined) {
        report(
          `${path}.containerPort`,
          `container port ${key} is already published by services.${name}.ports[${first}]: publish each container port once`,
        );
      } else containerPorts.set(key, i);
      if (typeof port.hostPort !== 'number' || port.hostPort === 0) return;
      const binding = { hostIp: port.hostIp ?? defaultHostIp, hostPort: port.hostPort, protocol };
      const clash = seen.find((s) => bindingsClash(s.binding, binding));
      if (clash) {
        report(
          `${path}.hostPort`,
          `host port ${showBinding(binding)} is already published by ${clash.path}.hostPort${differingBinding(binding, clash.binding)}`,
        );
      } else seen.push({ binding, path });
      // One task per node (a Swarm) may publish the same port on each node.
      if ((service.replicas ?? 1) > 1 && service.maxReplicasPerNode !== 1) {
        report(
          `${path}.hostPort`,
          `${service.replicas} replicas cannot all publish host port ${port.hostPort}; use 0 to let the engine pick`,
        );
      }
    });
  }
}
