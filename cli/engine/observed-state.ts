/**
 * What `up` reads from the engine, once, before planning: the project's containers, networks
 * and volumes (found by the project label) and the images the stack refers to. Plain data, so
 * the planner is a pure function of it and tests build it by hand.
 */

export type ContainerState =
  | 'created'
  | 'running'
  | 'paused'
  | 'restarting'
  | 'removing'
  | 'exited'
  | 'dead';

/** Docker health status; `none` when the container has no health check. */
export type HealthStatus = 'healthy' | 'unhealthy' | 'starting' | 'none';

export interface PublishedPort {
  readonly hostIp: string;
  readonly hostPort: number;
  readonly containerPort: number;
  readonly protocol: 'tcp' | 'udp';
}

export interface ObservedContainer {
  readonly id: string;
  /** Without the leading '/'. */
  readonly name: string;
  readonly service: string;
  readonly replica: number;
  /** The stack file that made it (its `com.esteps.stack-file` label); undefined before the label. */
  readonly stackFile?: string;
  /** The `com.esteps.config-hash` label; undefined on containers esteps did not label. */
  readonly configHash: string | undefined;
  /** The image ID the container runs (sha256:...). */
  readonly imageId: string;
  /** The image reference it was created from. */
  readonly imageRef: string;
  readonly state: ContainerState;
  readonly health: HealthStatus;
  readonly exitCode: number;
  readonly restartCount: number;
  /** ISO time; undefined when never started. */
  readonly startedAt: string | undefined;
  readonly ports: readonly PublishedPort[];
}

export interface ObservedImage {
  readonly id: string;
  /** The `com.esteps.config-hash` label of an image esteps built: the hash of its inputs. */
  readonly buildHash: string | undefined;
  /** The official image a stand-in built by `npm run setup` replaces (its `com.esteps.standin` label). */
  readonly standInFor?: string;
}

/**
 * Whether an image has a working Envoy: `envoy --version` run in a throw-away container from
 * it (cli/engine/envoy-probe.ts).
 */
export type EnvoyBinary =
  | { readonly found: true; readonly version: string }
  | { readonly found: false; readonly reason: string };

/**
 * A resource with a name the project's would have, that esteps did not create for the
 * project: no project label, or another project's. `up` refuses to adopt it.
 */
export interface UnownedResource {
  readonly kind: 'network' | 'volume' | 'container';
  readonly name: string;
  /** The project label it carries, when another esteps project's; undefined when unlabelled. */
  readonly owner: string | undefined;
}

export interface ObservedState {
  readonly project: string;
  readonly containers: readonly ObservedContainer[];
  /** Network names (e.g. `step1_appmesh`) carrying the project label. */
  readonly networks: readonly string[];
  /** Volume names carrying the project label. */
  readonly volumes: readonly string[];
  /** Images by reference; a reference absent from the engine maps to undefined. */
  readonly images: Readonly<Record<string, ObservedImage | undefined>>;
  /**
   * Resources with the names of the project's networks, volumes or containers that do not
   * carry its label. @default [] (none)
   */
  readonly unowned?: readonly UnownedResource[];
  /**
   * Envoy images an edge is about to be built FROM, probed for Envoy, by reference (see
   * `envoyImagesToProbe`). @default {} (none probed)
   */
  readonly envoy?: Readonly<Record<string, EnvoyBinary>>;
}
