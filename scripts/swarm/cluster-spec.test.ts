import { describe, expect, it } from 'vitest';
import { addressInSubnet, clusterSpec, defaultClusterOptions } from './cluster-spec.js';

describe('clusterSpec', () => {
  it('lays out the default cluster: registry on the base port, then engines, then 10 ports a node', () => {
    const spec = clusterSpec(defaultClusterOptions);
    expect(spec.network).toBe('esteps-swarm');
    expect(spec.registry).toMatchObject({
      name: 'esteps-swarm-registry',
      address: 'esteps-swarm-registry:5000',
      hostPort: 23750,
      volume: 'esteps-swarm-registry',
    });
    const rows = spec.nodes.map(
      (n) =>
        `${n.name} ${n.role} api=${n.apiHostPort} ${n.ports[0]!.node}->${n.ports[0]!.host} ${n.ports.at(-1)!.node}->${n.ports.at(-1)!.host}`,
    );
    expect(rows).toEqual([
      'esteps-swarm-manager-1 manager api=23751 30000->23760 30009->23769',
      'esteps-swarm-worker-1 worker api=23752 30000->23770 30009->23779',
      'esteps-swarm-worker-2 worker api=23753 30000->23780 30009->23789',
    ]);
  });

  it('keeps each cluster inside its block of ports, so two bases 100 apart never overlap', () => {
    const spec = clusterSpec({ name: 'big', nodes: 9, portBase: 20000 });
    const ports = [
      spec.registry.hostPort,
      ...spec.nodes.flatMap((n) => [n.apiHostPort, ...n.ports.map((p) => p.host)]),
    ];
    expect(new Set(ports).size).toBe(ports.length);
    expect(Math.min(...ports)).toBe(20000);
    expect(Math.max(...ports)).toBe(20099);
  });

  it('refuses bad options, all of them at once, with a stable code', () => {
    expect(() => clusterSpec({ name: 'Bad_Name', nodes: 12, portBase: 80 })).toThrow(
      expect.objectContaining({
        code: 'OPTIONS_INVALID',
        message: expect.stringMatching(/cluster name "Bad_Name".*--nodes 12.*--port-base 80/),
      }),
    );
  });
});

describe('addressInSubnet', () => {
  it('counts hosts from the network address', () => {
    expect(addressInSubnet('192.168.16.0/20', 11)).toBe('192.168.16.11');
    expect(addressInSubnet('172.18.0.0/16', 300)).toBe('172.18.1.44');
    expect(addressInSubnet('10.1.2.128/25', 10)).toBe('10.1.2.138');
  });

  it('refuses a host number the subnet does not have', () => {
    expect(() => addressInSubnet('10.1.2.0/29', 11)).toThrow(/no host number 11/);
    expect(() => addressInSubnet('fd00::/64', 1)).toThrow(/not an IPv4 subnet/);
  });
});
