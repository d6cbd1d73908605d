import { dirname, isAbsolute, resolve } from 'node:path';
import { edgeFromServices } from '../envoy/edge-from-services.js';
import { edgeDefaults } from '../envoy/edge-model.js';
import { envoyReadyCheck } from '../envoy/envoy-ready.js';
import { renderEnvoyBootstrap } from '../envoy/render-envoy.js';
import { isBaseImageArg } from '../model/base-image-args.js';
import { envoyDefaults } from '../model/envoy-spec-defaults.js';
import { ConfigInvalidError, type ConfigProblem } from '../model/errors.js';
import type {
  EnvoySpec,
  EnvRef,
  HttpProbeSpec,
  ImageSource,
  ResolvedHotpatch,
  ResolvedService,
  ResolvedServiceSecret,
  ResolvedStack,
  ServiceSecretSpec,
  ServiceSpec,
  StackSpec,
  ValueOrigin,
  ValueSource,
} from '../model/model.js';
import { secretFileName, secretsDir } from '../model/secret-files.js';
import { imageReferenceProblem } from '../validate/image-reference.js';
import { tmpfsOptions, withDerivedRules } from './derived-rules.js';
import { resolvedProblems } from './resolved-problems.js';

export interface ResolveOptions {
  /** Project name (`-p`); replaces `{project}` in images. */
  readonly project: string;
  /** The stack file (absolute): relative paths of the stack are resolved from its directory. */
  readonly file: string;
  /** See ResolvedStack.root. @default the stack file's folder */
  readonly root?: string;
  /** The process environment: wins over `.env` and defaults. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Entries of `.env`. @default {} */
  readonly dotEnv?: Readonly<Record<string, string>>;
  /**
   * @deprecated Ignored: secret values are never part of a resolved stack (they reach
   * containers as files, cli/engine/secrets/). Accepted so callers written before compile.
   */
  readonly secrets?: Readonly<Record<string, string>>;
}

/** Defaults of the model, applied here and nowhere else. */
const defaults = {
  hostIp: '127.0.0.1',
  protocol: 'tcp',
  dockerfile: 'Dockerfile',
  bundleTarget: 'node18',
  replicas: 1,
  restart: 'unless-stopped',
  condition: 'started',
  healthcheck: { intervalMs: 2000, timeoutMs: 2000, retries: 30, startPeriodMs: 0 },
  probeTimeoutMs: 60_000,
  versionField: 'version',
  secretMode: 0o400,
  /** 32 random bytes, base64url: 256 bits. */
  secretLengthBytes: 32,
  tmpfsMode: 0o1777,
  /** A smoke check's bound (and of the checks' code between checks, and of each cleanup). */
  smokeTimeoutMs: 30_000,
  /** An Envoy edge's health check: its admin `/ready`, for up to a minute. */
  envoyHealthcheck: { intervalMs: 1000, timeoutMs: 2000, retries: 60, startPeriodMs: 0 },
} as const;

/**
 * Resolves every value of a (validated) stack for one project: environment > `.env` >
 * defaults, as docker compose does (an empty value counts as unset, like `${VAR:-default}`).
 * Records in `origins` where every value that is not a literal came from. Pure (paths are
 * only joined, never read). Throws one CONFIG_INVALID error listing every variable or secret
 * it could not use.
 */
export function resolveStack(spec: StackSpec, options: ResolveOptions): ResolvedStack {
  const problems: ConfigProblem[] = [];
  const origins: Record<string, ValueOrigin> = {};
  const stackDir = dirname(options.file);
  const lookup = (ref: EnvRef, path: string): string => {
    const fromEnv = ownValue(options.env, ref.env);
    const fromFile = ownValue(options.dotEnv, ref.env);
    const withDefault = ref.default === undefined ? {} : { default: ref.default };
    if (fromEnv !== undefined && fromEnv !== '') {
      origins[path] = { kind: 'environment', variable: ref.env, ...withDefault };
      return fromEnv;
    }
    if (fromFile !== undefined && fromFile !== '') {
      origins[path] = { kind: '.env', variable: ref.env, ...withDefault };
      return fromFile;
    }
    origins[path] = { kind: 'default', variable: ref.env, ...withDefault };
    if (ref.default === undefined) {
      problems.push({ key: ref.env, message: `${ref.env} is required but not set` });
      return '';
    }
    return ref.default;
  };
  const image = (source: ImageSource, path: string): string => {
    const ref =
      typeof source === 'string'
        ? source.replaceAll('{project}', options.project)
        : lookup(source, path);
    // Build arguments go through here too: only those that name an image are references.
    const isImage = path.endsWith('.image') || isBaseImageArg(path);
    const problem = isImage && ref !== '' ? imageReferenceProblem(ref) : undefined;
    if (problem) {
      const where = typeof source === 'string' ? path : source.env;
      problems.push({
        key: where,
        message: `${where}: ${JSON.stringify(ref)} is not a valid image reference: ${problem}`,
      });
    }
    return ref;
  };
  const value = (source: ValueSource, path: string): string =>
    typeof source === 'string' ? source : lookup(source, path);
  const path = (relative: string) =>
    isAbsolute(relative) ? relative : resolve(stackDir, relative);
  const context: Resolver = { image, value, lookup, path, problems };
  // Edges last: their configuration is made from the services they route to, resolved.
  const plain = dependencyOrder(spec).map((name) =>
    resolveService(spec, name, spec.services[name]!, context),
  );
  const services = plain.map((service) => {
    const envoy = spec.services[service.name]!.envoy;
    return withDerivedRules(envoy ? resolveEdge(service, envoy, plain) : service);
  });
  problems.push(...resolvedProblems(services, origins));
  if (problems.length > 0) {
    const unique = [...new Map(problems.map((p) => [p.message, p])).values()];
    throw new ConfigInvalidError(
      'the environment',
      unique,
      'Set the variables listed above in the environment or .env.',
    );
  }
  const networks = Object.fromEntries(
    Object.entries(spec.networks ?? {}).map(([name, n]) => [
      name,
      { driver: n.driver ?? 'bridge' },
    ]),
  );
  return {
    name: spec.name,
    project: options.project,
    file: options.file,
    root: options.root ?? stackDir,
    services,
    networks,
    volumes: Object.keys(spec.volumes ?? {}),
    secrets: Object.keys(spec.secrets ?? {}).sort(),
    secretLengths: Object.fromEntries(
      Object.entries(spec.secrets ?? {}).map(([name, secret]) => [
        name,
        secret.lengthBytes ?? defaults.secretLengthBytes,
      ]),
    ),
    ...(spec.smoke && {
      smoke: { ...spec.smoke, timeoutMs: spec.smoke.timeoutMs ?? defaults.smokeTimeoutMs },
    }),
    origins,
  };
}

/**
 * A variable's value, from the variables themselves only: `{ env: 'toString' }` is unset,
 * never Object.prototype's function.
 */
function ownValue(
  variables: Readonly<Record<string, string | undefined>> | undefined,
  name: string,
): string | undefined {
  return variables !== undefined && Object.hasOwn(variables, name) ? variables[name] : undefined;
}

interface Resolver {
  image(source: ImageSource, path: string): string;
  value(source: ValueSource, path: string): string;
  lookup(ref: EnvRef, path: string): string;
  /** A stack-relative path made absolute. */
  path(relative: string): string;
  problems: ConfigProblem[];
}

/** A service before the rules that follow from it are derived (derived-rules.ts). */
type PlainService = Omit<ResolvedService, 'rollout' | 'health'>;

function resolveService(
  spec: StackSpec,
  name: string,
  service: ServiceSpec,
  r: Resolver,
): PlainService {
  const at = `services.${name}`;
  const mapValues = <T, U>(
    record: Readonly<Record<string, T>> | undefined,
    fn: (v: T, key: string) => U,
  ) => Object.fromEntries(Object.entries(record ?? {}).map(([k, v]) => [k, fn(v, k)]));
  const httpProbe = service.httpProbe && resolveProbe(service.httpProbe);
  const resolved: PlainService = {
    name,
    image: r.image(service.image, `${at}.image`),
    environment: mapValues(service.environment, (v, k) => r.value(v, `${at}.environment.${k}`)),
    ports: (service.ports ?? []).map((port, i) => ({
      hostIp: port.hostIp ?? defaults.hostIp,
      hostPort: hostPort(port.hostPort, `${at}.ports[${i}].hostPort`, r),
      containerPort: port.containerPort,
      protocol: port.protocol ?? defaults.protocol,
    })),
    dependsOn: (service.dependsOn ?? []).map((d) => ({
      service: d.service,
      condition: d.condition ?? defaults.condition,
    })),
    replicas: service.replicas ?? defaults.replicas,
    ...(service.maxReplicasPerNode !== undefined && {
      maxReplicasPerNode: service.maxReplicasPerNode,
    }),
    restart: service.restart ?? defaults.restart,
    volumes: (service.volumes ?? []).map((m) => ({ ...m, readOnly: m.readOnly ?? false })),
    networks: service.networks ?? Object.keys(spec.networks ?? {}),
    labels: { ...service.labels },
    secrets: (service.secrets ?? []).map((entry) => resolveServiceSecret(entry, service.user)),
    readOnlyRootFilesystem: service.readOnlyRootFilesystem ?? false,
    tmpfs: (service.tmpfs ?? []).map((t) => {
      const owner = t.owner ?? numericUser(service.user);
      const [uid, gid = uid] = owner ? owner.split(':').map(Number) : [];
      const tmpfs = {
        target: t.target,
        ...(t.sizeBytes !== undefined && { sizeBytes: t.sizeBytes }),
        mode: t.mode ?? defaults.tmpfsMode,
        ...(uid !== undefined && { uid, gid }),
      };
      return { ...tmpfs, options: tmpfsOptions(tmpfs) };
    }),
    capDrop: [...(service.capDrop ?? [])],
    capAdd: [...(service.capAdd ?? [])],
    noNewPrivileges: service.noNewPrivileges ?? false,
    limits: { ...service.limits },
  };
  const build = service.build && {
    context: r.path(service.build.context),
    dockerfile: service.build.dockerfile ?? defaults.dockerfile,
    args: mapValues(service.build.args, (v, k) => r.image(v, `${at}.build.args.${k}`)),
    bundles: mapValues(service.build.bundles, (b) => ({
      entry: b.entry.startsWith('esteps/') ? b.entry : r.path(b.entry),
      target: b.target ?? defaults.bundleTarget,
    })),
  };
  return {
    ...resolved,
    ...(build && { build }),
    ...(service.command && { command: [...service.command] }),
    ...(service.healthcheck && {
      healthcheck: {
        ...defaults.healthcheck,
        ...service.healthcheck,
        test: [...service.healthcheck.test],
      },
    }),
    ...(httpProbe && { httpProbe }),
    ...(service.user !== undefined && { user: service.user }),
    ...(service.hotpatch &&
      build && {
        hotpatch: resolveHotpatch(service.hotpatch, build.bundles, httpProbe, r),
      }),
  };
}

/**
 * A secret file of a service: `/run/secrets/<target>`, owned by `owner`, else by the service's
 * user when it is numeric (`10001` or `10001:10001`), else by root; mode 0400.
 */
function resolveServiceSecret(
  entry: string | ServiceSecretSpec,
  user: string | undefined,
): ResolvedServiceSecret {
  const ref = typeof entry === 'string' ? { secret: entry } : entry;
  const owner = ref.owner ?? numericUser(user) ?? '0:0';
  const [uid = 0, gid = uid] = owner.split(':').map(Number);
  return {
    secret: ref.secret,
    target: `${secretsDir}/${ref.target ?? secretFileName(ref.secret)}`,
    uid,
    gid,
    mode: ref.mode ?? defaults.secretMode,
  };
}

/** The service's user when it is numeric (`10001` or `10001:10001`). */
function numericUser(user: string | undefined): string | undefined {
  return user !== undefined && /^\d+(:\d+)?$/.test(user) ? user : undefined;
}

/**
 * A service that runs Envoy: its configuration generated from the routes (an edge) and TCP
 * proxies (step 4) and the resolved services they name (validateStack made sure each exists
 * and, for a route, has an httpProbe), and, unless the stack gives one or the service has its
 * own probe, the health check that asks Envoy's admin `/ready`.
 */
function resolveEdge(
  service: PlainService,
  spec: EnvoySpec,
  services: readonly PlainService[],
): PlainService {
  const listenerPort = spec.listenerPort ?? edgeDefaults.listenerPort;
  const adminPort = spec.adminPort ?? edgeDefaults.adminPort;
  const { spec: edge } = edgeFromServices(
    {
      routes: spec.routes,
      ...(spec.tcpProxies && { tcpProxies: spec.tcpProxies }),
      listenerPort,
      adminPort,
      accessLog: spec.accessLog ?? edgeDefaults.accessLog,
    },
    services,
  );
  // An edge is ready when Envoy is; a service with Envoy inside (step 4) keeps its own probe.
  const healthcheck =
    service.healthcheck ??
    (service.httpProbe
      ? undefined
      : { ...defaults.envoyHealthcheck, test: envoyReadyCheck(adminPort) });
  return {
    ...service,
    ...(healthcheck && { healthcheck }),
    envoy: {
      configFile: spec.configFile ?? envoyDefaults.configFile,
      imageArg: spec.imageArg ?? envoyDefaults.imageArg,
      listenerPort,
      adminPort,
      bootstrap: renderEnvoyBootstrap({ ...edge, name: service.name }),
    },
  };
}

function resolveProbe(probe: HttpProbeSpec): Required<HttpProbeSpec> {
  return {
    path: probe.path,
    containerPort: probe.containerPort,
    timeoutMs: probe.timeoutMs ?? defaults.probeTimeoutMs,
    expectJson: { ...probe.expectJson },
  };
}

function resolveHotpatch(
  spec: NonNullable<ServiceSpec['hotpatch']>,
  bundles: Readonly<Record<string, { entry: string }>>,
  httpProbe: Required<HttpProbeSpec> | undefined,
  r: Resolver,
): ResolvedHotpatch {
  const entry = Object.hasOwn(bundles, spec.bundle) ? bundles[spec.bundle]!.entry : '';
  const [uid = 0, gid = uid] = spec.owner.split(':').map(Number);
  // Validation guarantees a probe (the hotpatch's own or the service's).
  const probe = spec.probe ? resolveProbe(spec.probe) : httpProbe!;
  return {
    bundle: spec.bundle,
    path: spec.path,
    watch: spec.watch ? spec.watch.map(r.path) : [dirname(entry)],
    owner: { uid, gid },
    probe,
    versionField: spec.versionField ?? defaults.versionField,
  };
}

function hostPort(source: number | EnvRef, path: string, r: Resolver): number {
  if (typeof source === 'number') return source;
  const text = r.lookup(source, path);
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) {
    r.problems.push({
      key: source.env,
      message: `${source.env} must be a port number from 0 to 65535, got "${text}"`,
    });
    return 0;
  }
  return port;
}

/** Service names, dependencies first, otherwise in declaration order. Assumes no cycles. */
export function dependencyOrder(spec: StackSpec): string[] {
  const order: string[] = [];
  const visiting = new Set<string>();
  const visit = (name: string) => {
    if (order.includes(name) || visiting.has(name) || !Object.hasOwn(spec.services, name)) return;
    visiting.add(name);
    for (const dep of spec.services[name]!.dependsOn ?? []) {
      if (dep.service !== name) visit(dep.service);
    }
    if (!order.includes(name)) order.push(name);
  };
  for (const name of Object.keys(spec.services)) visit(name);
  return order;
}
