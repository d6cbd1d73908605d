import type Docker from 'dockerode';
import type { ResolvedService } from '../../stacks/model/model.js';
import { secretsDir } from '../../stacks/model/secret-files.js';
import { labels } from './labels.js';
import { containerName, networkName, secretFilesVolumeName, volumeName } from './names.js';

export interface ContainerSpecInput {
  readonly project: string;
  readonly stack: string;
  /** The stack file that makes it (`com.esteps.stack-file`). @default not labelled */
  readonly stackFile?: string;
  readonly service: ResolvedService;
  readonly replica: number;
  readonly configHash: string;
  /** esteps' package version, for the version label. */
  readonly version: string;
}

const ns = (ms: number) => ms * 1_000_000;

/**
 * The engine's create-container body for one replica. The first network is attached at
 * create time with the service name as DNS alias; further networks are connected before
 * start (the create call takes only one endpoint on API 1.41).
 */
export function containerCreateOptions(input: ContainerSpecInput): Docker.ContainerCreateOptions {
  const { project, service, replica } = input;
  const health = service.health;
  const first = service.networks[0];
  const ports = service.ports.map((p) => ({ key: `${p.containerPort}/${p.protocol}`, p }));
  return {
    name: containerName(project, service.name, replica),
    Image: service.image,
    ...(service.command && { Cmd: [...service.command] }),
    Env: Object.entries(service.environment)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k}=${v}`),
    Labels: {
      ...service.labels,
      [labels.project]: project,
      [labels.stack]: input.stack,
      ...(input.stackFile !== undefined && { [labels.stackFile]: input.stackFile }),
      [labels.service]: service.name,
      [labels.replica]: String(replica),
      [labels.configHash]: input.configHash,
      [labels.version]: input.version,
    },
    ...(service.user && { User: service.user }),
    ExposedPorts: Object.fromEntries(ports.map(({ key }) => [key, {}])),
    // The stack's own health check only: an HTTP probe esteps waits on itself on one engine
    // (cli/engine/wait-http.ts), rather than have the engine start a `node` every second.
    ...(health?.source === 'healthcheck' && {
      Healthcheck: {
        Test: [...health.test],
        Interval: ns(health.intervalMs),
        Timeout: ns(health.timeoutMs),
        Retries: health.retries,
        StartPeriod: ns(health.startPeriodMs),
      },
    }),
    HostConfig: {
      PortBindings: Object.fromEntries(
        ports.map(({ key, p }) => [
          key,
          // An empty host port lets the engine pick a free one (ESTEPS_USERSVC_PORT=0).
          [{ HostIp: p.hostIp, HostPort: p.hostPort === 0 ? '' : String(p.hostPort) }],
        ]),
      ),
      RestartPolicy: { Name: service.restart === 'no' ? '' : service.restart },
      Mounts: [
        ...service.volumes.map((m) => ({
          Type: 'volume' as const,
          Source: volumeName(project, m.volume),
          Target: m.target,
          ReadOnly: m.readOnly,
        })),
        // The secret files (cli/engine/secrets/stack-secrets.ts wrote them with their owner and
        // mode); never the image's content at that path.
        ...(service.secrets.length > 0
          ? [
              {
                Type: 'volume' as const,
                Source: secretFilesVolumeName(project, service.name),
                Target: secretsDir,
                ReadOnly: true,
                VolumeOptions: { NoCopy: true } as Docker.MountSettings['VolumeOptions'],
              },
            ]
          : []),
      ],
      ...(service.readOnlyRootFilesystem && { ReadonlyRootfs: true }),
      ...(service.tmpfs.length > 0 && {
        Tmpfs: Object.fromEntries(service.tmpfs.map((t) => [t.target, t.options])),
      }),
      ...(service.capDrop.length > 0 && { CapDrop: [...service.capDrop] }),
      ...(service.capAdd.length > 0 && { CapAdd: [...service.capAdd] }),
      ...(service.noNewPrivileges && { SecurityOpt: ['no-new-privileges:true'] }),
      ...(service.limits.pids !== undefined && { PidsLimit: service.limits.pids }),
      ...(service.limits.memoryBytes !== undefined && { Memory: service.limits.memoryBytes }),
      ...(first && { NetworkMode: networkName(project, first) }),
    },
    ...(first && {
      NetworkingConfig: {
        EndpointsConfig: { [networkName(project, first)]: { Aliases: [service.name] } },
      },
    }),
  };
}
