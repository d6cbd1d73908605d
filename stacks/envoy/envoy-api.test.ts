import { describe, expect, it } from 'vitest';
import { loadEnvoyApi } from './envoy-api.js';
import { envoyTypes } from './render-envoy.js';

describe('loadEnvoyApi', () => {
  it('loads the committed API once, with every type esteps writes', () => {
    const api = loadEnvoyApi();
    expect(loadEnvoyApi()).toBe(api);
    expect(api.bootstrap.typeName).toBe('envoy.config.bootstrap.v3.Bootstrap');
    for (const type of Object.values(envoyTypes)) {
      expect(api.message(type)?.typeName).toBe(type);
      expect(api.extensionTypes).toContain(type);
    }
  });

  it('knows the v3 extension types Envoy ships, contrib ones marked', () => {
    const api = loadEnvoyApi();
    expect(api.extensionTypes.length).toBeGreaterThan(600);
    for (const type of [
      'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
      'envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
      'envoy.extensions.filters.http.ext_authz.v3.ExtAuthz',
      'envoy.extensions.access_loggers.open_telemetry.v3.OpenTelemetryAccessLogConfig',
      'envoy.extensions.clusters.aggregate.v3.ClusterConfig',
    ]) {
      expect(api.message(type)?.contrib, type).toBe(false);
    }
    expect(api.message('envoy.config.trace.v3.ZipkinConfig')).toBeDefined();
    expect(
      api.message('envoy.extensions.filters.network.kafka_mesh.v3alpha.KafkaMesh')?.contrib,
    ).toBe(true);
  });

  it("carries protoc-gen-validate's rules and the deprecations with their replacement", () => {
    const cluster = loadEnvoyApi().message('envoy.config.cluster.v3.Cluster')!;
    expect(cluster.field('connect_timeout')?.rules).toEqual({ duration: { gt: '0s' } });
    expect(cluster.field('connectTimeout')).toBe(cluster.field('connect_timeout'));
    expect(
      cluster.oneofs.find((o) => o.name === 'cluster_discovery_type')?.fields.map((f) => f.name),
    ).toEqual(['type', 'cluster_type']);
    const admin = loadEnvoyApi().message('envoy.config.bootstrap.v3.Admin')!;
    expect(admin.field('access_log_path')?.deprecation).toMatchObject({
      use: 'envoy.config.bootstrap.v3.Admin.access_log',
      since: '3.0',
    });
  });
});
