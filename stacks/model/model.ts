/**
 * The typed model of a stack: plain, readonly data. A stack is a TypeScript module that
 * exports `defineStack({...})` (stacks/step1.ts, or a user's `esteps.stack.ts` anywhere);
 * esteps compiles it at run time and resolves it once per command into a `ResolvedStack`
 * that every consumer reads: compose YAML, the engine plan of `esteps up`, `--json`.
 * Nothing here talks to Docker.
 *
 * Paths in a stack (build contexts, bundle entries, watched folders) are relative to the
 * stack file's own directory.
 */

import type { EdgeRoutesSpec } from '../envoy/edge-from-services.js';
import type { JsonObject } from '../envoy/render-envoy.js';

/**
 * A value that is either a literal or comes from the environment at resolve time:
 * `{ env: 'NAME', default: '...' }` is read from the process environment or `.env`.
 * Secrets are not values: they reach a container as files (`ServiceSpec.secrets`), never as
 * environment variables, so `docker inspect` never shows them.
 */
export type ValueSource = string | EnvRef;

/**
 * No longer a value: `environment: { X: { secret: 'dbPassword' } }` is refused (STACK_INVALID)
 * with the way out: list the secret in `services.<name>.secrets` and pass
 * `X_FILE=/run/secrets/<target>`. Kept so old stacks get that message.
 */
export interface SecretRef {
  readonly secret: string;
}

export interface EnvRef {
  /** Variable read from the environment, then `.env`. */
  readonly env: string;
  /** Used when the variable is unset or empty. @default undefined: the variable is required */
  readonly default?: string;
}

/**
 * A per-project secret, generated once (crypto-random) and kept on the engine with the
 * project (the volume `<project>.secrets`), so every checkout of the project on that engine,
 * and a lost `.esteps/`, get the same value. Never written into an image, a stack, a log or
 * `--json`.
 */
export interface SecretSpec {
  /** Bytes of randomness of a generated value (base64url). @default 32 */
  readonly lengthBytes?: number;
}

/** A secret a service reads as a file: `/run/secrets/<target>`. */
export interface ServiceSecretSpec {
  /** A key of `StackSpec.secrets`. */
  readonly secret: string;
  /**
   * File name under /run/secrets (letters, digits, `.`, `_`, `-`; at most 100 characters, what
   * the ustar header it is written with holds).
   * @default the secret's snake_case name (dbPassword -> db_password)
   */
  readonly target?: string;
  /**
   * Numeric uid:gid owning the file, each id at most 2097151 (a ustar header's 7 octal digits).
   * @default the service's `user` when numeric, else '0:0'
   */
  readonly owner?: string;
  /** @default 0o400 */
  readonly mode?: number;
}

/** A writable tmpfs mount, for a service whose root filesystem is read-only. */
export interface TmpfsSpec {
  /** Absolute path in the container, not `/`, and no other mount's (a volume's, /run/secrets). */
  readonly target: string;
  /** Size limit in bytes, at least 4096. @default undefined: the engine's (half the host's memory) */
  readonly sizeBytes?: number;
  /**
   * Permission bits of the mount point. @default 0o1777 (like /tmp); when the image has a
   * folder at `target`, the engine copies that folder into the tmpfs and keeps its mode
   */
  readonly mode?: number;
  /**
   * Numeric uid:gid owning the mount point, each id at most 2147483647.
   * @default the service's `user` when numeric, else root
   */
  readonly owner?: string;
}

/** Resource limits of each container of a service. */
export interface LimitsSpec {
  /** Maximum number of processes/threads: 1 to 4194304 (the kernel's largest). @default undefined: no limit */
  readonly pids?: number;
  /** Memory limit in bytes, at least 6 MiB (the engine's minimum). @default undefined: no limit */
  readonly memoryBytes?: number;
}

/**
 * An image reference that the environment can override, compose-style:
 * `{ env: 'ESTEPS_POSTGRES_IMAGE', default: 'postgres:16-bookworm' }`.
 */
export type ImageSource = string | EnvRef;

/**
 * TypeScript or JavaScript bundled (esbuild) into one CommonJS file of a build context, so
 * the image needs no node_modules and a hot patch is one file.
 */
export interface BundleSpec {
  /**
   * Entry file, relative to the stack file (`'../service/main.ts'`), or `'esteps/supervisor'`
   * for esteps' in-container supervisor, which a hot-patchable service runs its code under.
   */
  readonly entry: string;
  /** esbuild target of the bundle. @default 'node18' (Debian bookworm's Node.js) */
  readonly target?: string;
}

export interface BuildSpec {
  /** Build context directory, relative to the stack file. Its `.dockerignore` is honoured. */
  readonly context: string;
  /** Dockerfile, relative to the context. @default 'Dockerfile' */
  readonly dockerfile?: string;
  /**
   * Build arguments, each a literal or from the environment. One whose name ends in `IMAGE`
   * names a base image (`FROM ${NODE_IMAGE}`): its reference is checked, it is pulled when the
   * engine lacks it, and a new ID rebuilds; any other is a plain value. @default {}
   */
  readonly args?: Readonly<Record<string, ImageSource>>;
  /**
   * Bundles added to the context, keyed by their path in it, e.g.
   * `{ 'app/service.js': { entry: '../service/main.ts' } }`. A bundle wins over a context
   * file of the same path. @default {}
   */
  readonly bundles?: Readonly<Record<string, BundleSpec>>;
}

/**
 * A published port. No two ports of a stack may bind the same host port and protocol on the
 * same address, or on any address when one is `0.0.0.0` (every interface); a port from a
 * variable is checked with the variable's value when the stack is resolved (CONFIG_INVALID).
 */
export interface PortSpec {
  /** Host IPv4 address to publish on. @default '127.0.0.1' (never every interface by default) */
  readonly hostIp?: string;
  /** Host port, 0 to 65535; `0` lets the engine pick a free one. May come from the environment. */
  readonly hostPort: number | EnvRef;
  /** 1 to 65535, published once per service and protocol. */
  readonly containerPort: number;
  /** @default 'tcp' */
  readonly protocol?: 'tcp' | 'udp';
}

/**
 * A Docker health check run inside the container. Durations are whole milliseconds up to
 * 2147483647; an interval, timeout or retry count of 0 is refused, as the engine would read
 * it as its own default (30 s, 3 retries) rather than ours.
 */
export interface HealthcheckSpec {
  /**
   * As in Docker: ['CMD', 'pg_isready', ...] (the program and its arguments), ['CMD-SHELL',
   * '...'] (one command line) or ['NONE'] (the image's health check off).
   */
  readonly test: readonly string[];
  /** At least 1. @default 2000 */
  readonly intervalMs?: number;
  /** At least 1. @default 2000 */
  readonly timeoutMs?: number;
  /** At least 1. @default 30 */
  readonly retries?: number;
  /** @default 0 */
  readonly startPeriodMs?: number;
}

/**
 * How esteps decides a service is ready from outside: an HTTP GET answering 2xx, with a JSON
 * body whose top-level fields equal `expectJson` when given.
 */
export interface HttpProbeSpec {
  /**
   * Path of the GET, starting with '/'. esteps sends it to the published port; when
   * `containerPort` is not published (a service only the edge reaches), it runs the probe
   * inside the container with the container's own `node`, as an ejected compose file's
   * health check does.
   */
  readonly path: string;
  readonly containerPort: number;
  /** How long `up` waits for the probe to pass: whole milliseconds, 1 to 2147483647. @default 60000 */
  readonly timeoutMs?: number;
  /**
   * Fields the JSON answer must carry, e.g. `{ ok: true, database: 'up' }` for a service
   * that listens before its database is ready and says so in its health answer.
   * @default {} (any 2xx answer is ready)
   */
  readonly expectJson?: Readonly<Record<string, string | number | boolean>>;
}

/**
 * What makes a service hot-patchable: its code is a bundle of its build, run in the
 * container by esteps' supervisor (`esteps/supervisor`), which can swap it for new code
 * without dropping a request. `esteps hotpatch` re-bundles the entry, copies the file in and
 * asks the supervisor to reload; `esteps watch` does so on every save under `watch`.
 */
export interface HotpatchSpec {
  /** The bundle (a key of `build.bundles`) that holds the service's code, e.g. 'app/service.js'. */
  readonly bundle: string;
  /** Path in the container the supervisor runs the code from (its SERVICE_FILE); releases land in `releases/` beside it. */
  readonly path: string;
  /** Folders `esteps watch` follows, relative to the stack file. @default the folder of the bundle's entry */
  readonly watch?: readonly string[];
  /** Owner of the copied code, numeric `uid:gid`: the user the container runs as. */
  readonly owner: string;
  /**
   * The probe that proves a replica runs the new code: its JSON answer carries the code
   * version in `versionField`. @default the service's `httpProbe`
   */
  readonly probe?: HttpProbeSpec;
  /** Field of the probe's JSON answer that names the running code version. @default 'version' */
  readonly versionField?: string;
}

export interface DependencySpec {
  readonly service: string;
  /** @default 'started' */
  readonly condition?: 'started' | 'healthy';
}

export interface MountSpec {
  /** Name of a volume declared in `StackSpec.volumes`. */
  readonly volume: string;
  /** Absolute path in the container, not `/`, and no other mount's (a tmpfs, /run/secrets). */
  readonly target: string;
  /** @default false */
  readonly readOnly?: boolean;
}

export type RestartPolicy = 'no' | 'always' | 'unless-stopped' | 'on-failure';

/**
 * What makes a service Envoy at the edge of the stack: routes to services of the stack by
 * name (each service's port and health check come from its `httpProbe`, so nothing is said
 * twice). esteps generates Envoy's v3 configuration from them (stacks/envoy/), checks it
 * against Envoy's own API before anything is created (`render`, `up`), and adds it to the
 * service's build context as `configFile`: the configuration is BUILT into an image made
 * FROM the Envoy image (templates/edge), not mounted, so what runs is what was checked, on
 * any engine (a remote DOCKER_HOST or a Swarm node has no view of this machine's files),
 * and a changed configuration is a changed image, which recreates the edge.
 */
export interface EnvoySpec extends EdgeRoutesSpec {
  /** Path of the generated configuration in the build context. @default 'envoy.yaml' */
  readonly configFile?: string;
  /**
   * The build argument naming the Envoy image the Dockerfile builds FROM: `up` refuses
   * before creating anything when that image has no Envoy binary (a stand-in).
   * @default 'ENVOY_IMAGE'
   */
  readonly imageArg?: string;
}

export interface ServiceSpec {
  /**
   * Image to run; with `build`, the tag to give the built image. A literal may contain
   * `{project}`, replaced by the project name at resolve time (`esteps/{project}-usersvc:latest`).
   * Must carry a tag or digest (a literal, or an environment reference's default).
   */
  readonly image: ImageSource;
  /** Build the image from a context directory instead of pulling it. @default undefined */
  readonly build?: BuildSpec;
  /** Overrides the image's CMD: the program (not empty), then its arguments. @default the image's */
  readonly command?: readonly string[];
  /** Variables (names of letters, digits and `_`; values without NUL characters). @default {} */
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
  /**
   * On a Swarm (`--swarm`): at most this many of the service's tasks on one node, so replicas
   * spread over the nodes (and each can publish the same host-mode port). More replicas asked
   * for (`--scale`) than nodes times this lift the bound to what fits. Ignored on one engine.
   * @default undefined: no bound
   */
  readonly maxReplicasPerNode?: number;
  /** @default 'unless-stopped' */
  readonly restart?: RestartPolicy;
  /** @default [] */
  readonly volumes?: readonly MountSpec[];
  /** Networks declared in `StackSpec.networks`, each once. @default every network of the stack */
  readonly networks?: readonly string[];
  /** Extra labels, never `com.esteps.*`: esteps adds its own (cli/engine/labels.ts). @default {} */
  readonly labels?: Readonly<Record<string, string>>;
  /**
   * Secrets mounted as files: `/run/secrets/<target>`, readable by the service's user only.
   * A name is short for `{ secret: name }`. @default []
   */
  readonly secrets?: readonly (string | ServiceSecretSpec)[];
  /**
   * User to run as: `name`, `uid`, `name:group` or `uid:gid` (ids at most 2147483647), e.g.
   * 'usersvc' or '1000:1000' (numeric lets secrets default to it). @default the image's
   */
  readonly user?: string;
  /** Mount the container's root filesystem read-only; give `tmpfs` where it writes. @default false */
  readonly readOnlyRootFilesystem?: boolean;
  /** Writable tmpfs mounts. @default [] */
  readonly tmpfs?: readonly TmpfsSpec[];
  /**
   * Linux capabilities to drop, e.g. ['ALL'] (capabilities(7) names, upper case, without
   * `CAP_`). @default [] (the engine's defaults stay)
   */
  readonly capDrop?: readonly string[];
  /** Linux capabilities to add back after `capDrop`, e.g. ['CHOWN']. @default [] */
  readonly capAdd?: readonly string[];
  /** Processes cannot gain privileges (setuid binaries, file capabilities). @default false */
  readonly noNewPrivileges?: boolean;
  /** pids and memory limits. @default {} (no limits) */
  readonly limits?: LimitsSpec;
  /** Makes the service hot-patchable (`esteps hotpatch`, `esteps watch`). @default undefined */
  readonly hotpatch?: HotpatchSpec;
  /**
   * Makes the service Envoy at the edge (see EnvoySpec). It must be built (`build`, e.g.
   * from templates/edge); without a `healthcheck` of its own it is ready when Envoy's admin
   * `/ready` answers 200, asked from inside the container with bash (the official Envoy
   * image has it; a distroless one needs a healthcheck of its own). @default undefined
   */
  readonly envoy?: EnvoySpec;
}

export interface NetworkSpec {
  /** @default 'bridge' */
  readonly driver?: 'bridge' | 'overlay';
}

export type VolumeSpec = Readonly<Record<string, never>>;

/** One HTTP exchange of a smoke check, as `SmokeContext.request` returns it. */
export interface SmokeReply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The body as text. */
  readonly text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  readonly json: unknown;
}

/** What a stack's smoke checks get from `esteps smoke`. */
export interface SmokeContext {
  /** Where the checked service answers, e.g. `http://127.0.0.1:5000`. */
  readonly baseUrl: string;
  /** An HTTP request to `baseUrl + path` (JSON body when given); never throws on a status. */
  request(method: string, path: string, body?: unknown): Promise<SmokeReply>;
  /**
   * Runs one named check: `run` throws to fail it, its message saying what was received
   * instead of `expected`. Resolves with `run`'s value when it passed, undefined otherwise.
   */
  check<T>(name: string, expected: string, run: () => Promise<T>): Promise<T | undefined>;
  /** Work that runs after every check, even when checks failed (delete what was created). */
  cleanup(run: () => Promise<unknown>): void;
  /** Aborted on Ctrl-C. */
  readonly signal: AbortSignal;
}

/** The checks `esteps smoke` runs against a running stack. */
export interface SmokeSpec {
  /**
   * The service whose published port the checks talk to: its `httpProbe` port, or for an
   * Envoy edge its listener port (step 2's checks go through the edge).
   */
  readonly service: string;
  /** The checks, as code. */
  readonly checks: (t: SmokeContext) => Promise<void>;
  /**
   * How long one check (`t.check`), and the checks' own code between two checks, may take
   * before it fails as unanswered and `esteps smoke` goes on without it; also the bound on
   * each `t.cleanup`. Whole milliseconds, 1 to 2147483647. @default 30000
   */
  readonly timeoutMs?: number;
}

/** The smoke checks, resolved: their timeout filled in. */
export interface ResolvedSmoke extends SmokeSpec {
  readonly timeoutMs: number;
}

/**
 * Names of the stack, its services, networks, volumes and secrets are at most 63 characters
 * (a service's name is its DNS name on the stack's networks).
 */
export interface StackSpec {
  /** Stack name, also the default project name. Lower-case letters, digits, '-'. */
  readonly name: string;
  readonly description?: string;
  /** By name: lower-case letters, digits, '-', starting with a letter. */
  readonly services: Readonly<Record<string, ServiceSpec>>;
  /** By name: lower-case letters, digits, '-', '_', starting with a letter. @default {} */
  readonly networks?: Readonly<Record<string, NetworkSpec>>;
  /** By name, as networks. @default {} */
  readonly volumes?: Readonly<Record<string, VolumeSpec>>;
  /** Per-project secrets by name (camelCase, e.g. `dbPassword`). @default {} */
  readonly secrets?: Readonly<Record<string, SecretSpec>>;
  /** @default each service's `httpProbe`, through its published port */
  readonly smoke?: SmokeSpec;
}

/**
 * Where a resolved value came from, when not a literal of the stack: a variable of the
 * environment or `.env` (or its default, the variable being unset).
 */
export interface ValueOrigin {
  readonly kind: 'environment' | '.env' | 'default';
  readonly variable: string;
  /** The stack's default for the variable, if it has one. */
  readonly default?: string;
}

/** A tmpfs mount, resolved; `uid`/`gid` absent: root's. */
export interface ResolvedTmpfs {
  readonly target: string;
  readonly sizeBytes?: number;
  readonly mode: number;
  readonly uid?: number;
  readonly gid?: number;
  /** As the engine and compose take them: `size=16777216,mode=1777,uid=10001,gid=10001`. */
  readonly options: string;
}

/**
 * A service's Docker health check, whichever way it was given: its `healthcheck`, or its
 * `httpProbe` run by the container's own `node` (stacks/resolve/derived-rules.ts). Rendered
 * for compose and a Swarm; on one engine esteps waits on an HTTP probe itself.
 */
export interface ResolvedHealth {
  readonly source: 'healthcheck' | 'httpProbe';
  readonly test: readonly string[];
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly retries: number;
  readonly startPeriodMs: number;
}

/** How an orchestrator replaces and restarts a service's replicas (a Swarm). */
export interface ResolvedRollout {
  readonly parallelism: number;
  readonly delayMs: number;
  /** How long a new replica is watched before the next one is replaced. */
  readonly monitorMs: number;
  readonly maxFailureRatio: number;
  readonly failureAction: 'rollback';
  readonly rollbackFailureAction: 'pause';
  /** The update's order under each publish mode. */
  readonly order: {
    readonly host: 'start-first' | 'stop-first';
    readonly ingress: 'start-first' | 'stop-first';
  };
  /** When a replica that exited is restarted: `restart` in an orchestrator's words. */
  readonly restartCondition: 'none' | 'on-failure' | 'any';
  readonly restartDelayMs: number;
}

/** A secret file of a container, resolved. */
export interface ResolvedServiceSecret {
  /** The stack secret's name (`dbPassword`). */
  readonly secret: string;
  /** Absolute path in the container: `/run/secrets/<target>`. */
  readonly target: string;
  readonly uid: number;
  readonly gid: number;
  readonly mode: number;
}

/** A bundle with its entry made absolute (or left as `esteps/...`). */
export interface ResolvedBundle {
  readonly entry: string;
  readonly target: string;
}

/** An Envoy edge, resolved: its configuration generated from the routes and the routed services. */
export interface ResolvedEnvoy {
  /** Path of the generated configuration in the build context. */
  readonly configFile: string;
  /** The build argument naming the Envoy image. */
  readonly imageArg: string;
  /** Port Envoy listens on in the container. */
  readonly listenerPort: number;
  /** Port of Envoy's admin interface, on the container's loopback only. */
  readonly adminPort: number;
  /**
   * Envoy's v3 bootstrap as plain data (sorted keys): what the image carries at
   * `configFile`. `render` and `up` check it against Envoy's API before using it.
   */
  readonly bootstrap: JsonObject;
}

export interface ResolvedHotpatch {
  readonly bundle: string;
  readonly path: string;
  /** Absolute folders. */
  readonly watch: readonly string[];
  readonly owner: { readonly uid: number; readonly gid: number };
  readonly probe: Required<HttpProbeSpec>;
  readonly versionField: string;
}

/**
 * A stack with every value resolved for one project: literal images, ports and environment,
 * defaults filled in, paths absolute. This is what the planner hashes, what the renderers
 * write and what `render --json` prints.
 */
export interface ResolvedService {
  readonly name: string;
  readonly image: string;
  readonly build?: {
    /** Absolute. */
    readonly context: string;
    readonly dockerfile: string;
    readonly args: Readonly<Record<string, string>>;
    readonly bundles: Readonly<Record<string, ResolvedBundle>>;
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
  /** The Docker health check that follows from `healthcheck` or `httpProbe`. */
  readonly health?: ResolvedHealth;
  readonly rollout: ResolvedRollout;
  readonly dependsOn: readonly Required<DependencySpec>[];
  readonly replicas: number;
  readonly maxReplicasPerNode?: number;
  readonly restart: RestartPolicy;
  readonly volumes: readonly Required<MountSpec>[];
  readonly networks: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  readonly secrets: readonly ResolvedServiceSecret[];
  readonly user?: string;
  readonly readOnlyRootFilesystem: boolean;
  readonly tmpfs: readonly ResolvedTmpfs[];
  readonly capDrop: readonly string[];
  readonly capAdd: readonly string[];
  readonly noNewPrivileges: boolean;
  readonly limits: LimitsSpec;
  readonly hotpatch?: ResolvedHotpatch;
  readonly envoy?: ResolvedEnvoy;
}

export interface ResolvedStack {
  readonly name: string;
  readonly project: string;
  /** The stack file it was loaded from (absolute). */
  readonly file: string;
  /**
   * The folder bundles are made from (paths inside a bundle are relative to it, so the same
   * code bundles to the same bytes in any checkout): the stack file's folder, or the package
   * for a stack that ships with esteps.
   */
  readonly root: string;
  /** Services in dependency order (dependencies first). */
  readonly services: readonly ResolvedService[];
  readonly networks: Readonly<Record<string, Required<NetworkSpec>>>;
  readonly volumes: readonly string[];
  /** Declared secret names, sorted. Values are never part of the resolved stack. */
  readonly secrets: readonly string[];
  /** Bytes of randomness in each secret's generated value, by name (default applied). */
  readonly secretLengths: Readonly<Record<string, number>>;
  /** The smoke checks, or undefined: `esteps smoke` then checks the services' probes. */
  readonly smoke?: ResolvedSmoke;
  /**
   * Where each value that is not a literal of the stack came from, by its path in the
   * resolved stack (`services.postgres.image`, `services.usersvc.ports[0].hostPort`,
   * `services.usersvc.build.args.ENVOY_IMAGE`).
   * Renderers write such values as `${VAR:-default}` references; `up` names the variable.
   */
  readonly origins: Readonly<Record<string, ValueOrigin>>;
}
