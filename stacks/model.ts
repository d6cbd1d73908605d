/**
 * The typed model of a stack: plain, readonly data. Stack definitions (stacks/step1.ts, ...)
 * build a `StackSpec` with `defineStack()`; renderers (compose YAML) and the engine planner
 * (`esteps up`) both read the `ResolvedStack` that `resolveStack()` makes of it for one
 * project and one environment. Nothing here talks to Docker.
 */

/**
 * A value that is either a literal or comes from elsewhere at resolve time:
 * - `{ secret: 'dbPassword' }`: a secret esteps generates once per project and keeps in
 *   `.esteps/<project>/secrets.env`; rendered compose files reference it as `${VAR}`.
 * - `{ env: 'NAME', default: '...' }`: read from the process environment or `.env`.
 */
export type ValueSource = string | SecretRef | EnvRef;

export interface SecretRef {
  /** Name of the per-project secret (camelCase); its variable is ESTEPS_SECRET_<UPPER_SNAKE>. */
  readonly secret: string;
}

export interface EnvRef {
  /** Variable read from the environment, then `.env`. */
  readonly env: string;
  /** Used when the variable is unset. @default undefined: the variable is required */
  readonly default?: string;
}

/**
 * An image reference that the environment can override, compose-style:
 * `{ env: 'ESTEPS_POSTGRES_IMAGE', default: 'postgres:16-bookworm' }`.
 */
export type ImageSource = string | EnvRef;

export interface BuildSpec {
  /** Directory under templates/ that holds the Dockerfile and its files. */
  readonly template: string;
  /** @default 'Dockerfile' */
  readonly dockerfile?: string;
  /** Build arguments (e.g. base images). */
  readonly args?: Readonly<Record<string, ImageSource>>;
  /**
   * Generated artefacts added to the context, keyed by their path in the context, e.g.
   * `{ 'app/service.js': 'service-bundle' }`. The only generator so far is the bundled user
   * service (`service-bundle`) and its supervisor (`supervisor-bundle`).
   */
  readonly generated?: Readonly<Record<string, GeneratedArtefact>>;
}

export type GeneratedArtefact = 'service-bundle' | 'supervisor-bundle';

export interface PortSpec {
  /** Host address to publish on. @default '127.0.0.1' (never every interface by default) */
  readonly hostIp?: string;
  /** Host port; `0` lets the engine pick a free one. May come from the environment. */
  readonly hostPort: number | EnvRef;
  readonly containerPort: number;
  /** @default 'tcp' */
  readonly protocol?: 'tcp' | 'udp';
}

/** A Docker health check run inside the container. */
export interface HealthcheckSpec {
  /** As in Docker: ['CMD', 'pg_isready', ...] or ['CMD-SHELL', '...']. */
  readonly test: readonly string[];
  /** @default 2000 */
  readonly intervalMs?: number;
  /** @default 2000 */
  readonly timeoutMs?: number;
  /** @default 30 */
  readonly retries?: number;
  /** @default 0 */
  readonly startPeriodMs?: number;
}

/**
 * How esteps decides a service is ready from outside: an HTTP GET answering 2xx, with a JSON
 * body whose top-level fields equal `expectJson` when given.
 */
export interface HttpProbeSpec {
  readonly path: string;
  readonly containerPort: number;
  /** @default 60000 */
  readonly timeoutMs?: number;
  /**
   * Fields the JSON answer must carry, e.g. `{ ok: true, database: 'up' }` for a service
   * that listens before its database is ready and says so in its health answer.
   * @default {} (any 2xx answer is ready)
   */
  readonly expectJson?: Readonly<Record<string, string | number | boolean>>;
}

export interface DependencySpec {
  readonly service: string;
  /** @default 'started' */
  readonly condition?: 'started' | 'healthy';
}

export interface MountSpec {
  /** Name of a volume declared in `StackSpec.volumes`. */
  readonly volume: string;
  /** Absolute path in the container. */
  readonly target: string;
  /** @default false */
  readonly readOnly?: boolean;
}

export type RestartPolicy = 'no' | 'always' | 'unless-stopped' | 'on-failure';

export interface ServiceSpec {
  /**
   * Image to run; with `build`, the tag to give the built image. A literal may contain
   * `{project}`, replaced by the project name at resolve time (`esteps/{project}-usersvc:latest`).
   * Must carry a tag or digest (a literal, or an environment reference's default).
   */
  readonly image: ImageSource;
  /** Build the image from templates/ instead of pulling it. @default undefined */
  readonly build?: BuildSpec;
  /** Overrides the image's CMD. @default the image's */
  readonly command?: readonly string[];
  /** @default {} */
  readonly environment?: Readonly<Record<string, ValueSource>>;
  /** @default [] */
  readonly ports?: readonly PortSpec[];
  /** @default undefined: no Docker health check */
  readonly healthcheck?: HealthcheckSpec;
  /** @default undefined: ready once running (or healthy, with a health check) */
  readonly httpProbe?: HttpProbeSpec;
  /** @default [] */
  readonly dependsOn?: readonly DependencySpec[];
  /** @default 1 */
  readonly replicas?: number;
  /** @default 'unless-stopped' */
  readonly restart?: RestartPolicy;
  /** @default [] */
  readonly volumes?: readonly MountSpec[];
  /** Networks declared in `StackSpec.networks`. @default every network of the stack */
  readonly networks?: readonly string[];
  /** Extra labels; esteps adds its own (cli/engine/labels.ts). @default {} */
  readonly labels?: Readonly<Record<string, string>>;
  /** User to run as, e.g. 'usersvc' or '1000:1000'. @default the image's */
  readonly user?: string;
  /** Marks the service that `esteps hotpatch` and `esteps smoke` act on. @default false */
  readonly hotpatch?: boolean;
}

export interface NetworkSpec {
  /** @default 'bridge' */
  readonly driver?: 'bridge' | 'overlay';
}

export type VolumeSpec = Readonly<Record<string, never>>;

export interface StackSpec {
  /** Stack name, also the default project name. Lower-case letters, digits, '-'. */
  readonly name: string;
  readonly description?: string;
  readonly services: Readonly<Record<string, ServiceSpec>>;
  /** @default {} */
  readonly networks?: Readonly<Record<string, NetworkSpec>>;
  /** @default {} */
  readonly volumes?: Readonly<Record<string, VolumeSpec>>;
}

/**
 * A stack with every value resolved for one project: literal images, ports and environment,
 * defaults filled in. This is what the planner hashes and what `render --json` prints.
 */
export interface ResolvedService {
  readonly name: string;
  readonly image: string;
  readonly build?: {
    readonly template: string;
    readonly dockerfile: string;
    readonly args: Readonly<Record<string, string>>;
    readonly generated: Readonly<Record<string, GeneratedArtefact>>;
  };
  readonly command?: readonly string[];
  readonly environment: Readonly<Record<string, string>>;
  readonly ports: readonly {
    readonly hostIp: string;
    readonly hostPort: number;
    readonly containerPort: number;
    readonly protocol: 'tcp' | 'udp';
  }[];
  readonly healthcheck?: Required<HealthcheckSpec>;
  readonly httpProbe?: Required<HttpProbeSpec>;
  readonly dependsOn: readonly Required<DependencySpec>[];
  readonly replicas: number;
  readonly restart: RestartPolicy;
  readonly volumes: readonly Required<MountSpec>[];
  readonly networks: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  readonly user?: string;
  readonly hotpatch: boolean;
}

export interface ResolvedStack {
  readonly name: string;
  readonly project: string;
  /** Services in dependency order (dependencies first). */
  readonly services: readonly ResolvedService[];
  readonly networks: Readonly<Record<string, Required<NetworkSpec>>>;
  readonly volumes: readonly string[];
  /**
   * Where each image overridable from the environment came from, keyed by its variable
   * (`ESTEPS_POSTGRES_IMAGE`, also build arguments such as `ESTEPS_ENVOY_IMAGE`), for
   * `esteps up` to print.
   */
  readonly imageSources: Readonly<Record<string, 'default' | 'environment' | '.env'>>;
}
