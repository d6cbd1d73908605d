import { ConfigInvalidError, type ConfigProblem } from './errors.js';
import type {
  EnvRef,
  ImageSource,
  ResolvedService,
  ResolvedStack,
  ServiceSpec,
  StackSpec,
  ValueSource,
} from './model.js';
import { secretVariable } from './variables.js';

export interface ResolveOptions {
  /** Project name (`-p`); replaces `{project}` in images. */
  readonly project: string;
  /** The process environment: wins over `.env` and defaults. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Entries of `.env` in the working directory. @default {} */
  readonly dotEnv?: Readonly<Record<string, string>>;
  /** Per-project secrets by name (`dbPassword`), from `.esteps/<project>/secrets.env`. */
  readonly secrets: Readonly<Record<string, string>>;
}

type Source = ResolvedStack['imageSources'][string];

/**
 * Resolves every value of a (validated) stack for one project: environment > `.env` >
 * defaults, as docker compose does (an empty value counts as unset, like `${VAR:-default}`).
 * Pure. Throws one CONFIG_INVALID error listing every variable or secret it could not use.
 */
export function resolveStack(spec: StackSpec, options: ResolveOptions): ResolvedStack {
  const problems: ConfigProblem[] = [];
  const imageSources: Record<string, Source> = {};
  const lookup = (ref: EnvRef): { value: string; source: Source } => {
    const fromEnv = options.env[ref.env];
    if (fromEnv !== undefined && fromEnv !== '') return { value: fromEnv, source: 'environment' };
    const fromFile = options.dotEnv?.[ref.env];
    if (fromFile !== undefined && fromFile !== '') return { value: fromFile, source: '.env' };
    if (ref.default === undefined) {
      problems.push({ key: ref.env, message: `${ref.env} is required but not set` });
      return { value: '', source: 'default' };
    }
    return { value: ref.default, source: 'default' };
  };
  const image = (source: ImageSource): string => {
    if (typeof source === 'string') return source.replaceAll('{project}', options.project);
    const { value, source: from } = lookup(source);
    imageSources[source.env] = from;
    return value;
  };
  const value = (source: ValueSource): string => {
    if (typeof source === 'string') return source;
    if ('secret' in source) {
      const secret = options.secrets[source.secret];
      if (secret === undefined) {
        problems.push({
          key: secretVariable(source.secret),
          message: `secret "${source.secret}" of project "${options.project}" is missing`,
        });
      }
      return secret ?? '';
    }
    return lookup(source).value;
  };
  const context: Resolver = { image, value, lookup, problems };
  const services = dependencyOrder(spec).map((name) =>
    resolveService(spec, name, spec.services[name]!, context),
  );
  if (problems.length > 0) {
    const unique = [...new Map(problems.map((p) => [p.message, p])).values()];
    throw new ConfigInvalidError(
      'the environment',
      unique,
      unique.some((p) => p.key?.startsWith('ESTEPS_SECRET_'))
        ? "Run `esteps up` (or `esteps render -o FILE`) once to create the project's secrets."
        : 'Set the variables listed above in the environment or .env.',
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
    services,
    networks,
    volumes: Object.keys(spec.volumes ?? {}),
    imageSources,
  };
}

interface Resolver {
  image(source: ImageSource): string;
  value(source: ValueSource): string;
  lookup(ref: EnvRef): { value: string };
  problems: ConfigProblem[];
}

function resolveService(
  spec: StackSpec,
  name: string,
  service: ServiceSpec,
  r: Resolver,
): ResolvedService {
  const mapValues = <T, U>(record: Readonly<Record<string, T>> | undefined, fn: (v: T) => U) =>
    Object.fromEntries(Object.entries(record ?? {}).map(([k, v]) => [k, fn(v)]));
  const resolved: ResolvedService = {
    name,
    image: r.image(service.image),
    environment: mapValues(service.environment, r.value),
    ports: (service.ports ?? []).map((port) => ({
      hostIp: port.hostIp ?? '127.0.0.1',
      hostPort: hostPort(port.hostPort, r),
      containerPort: port.containerPort,
      protocol: port.protocol ?? 'tcp',
    })),
    dependsOn: (service.dependsOn ?? []).map((d) => ({
      service: d.service,
      condition: d.condition ?? 'started',
    })),
    replicas: service.replicas ?? 1,
    restart: service.restart ?? 'unless-stopped',
    volumes: (service.volumes ?? []).map((m) => ({ ...m, readOnly: m.readOnly ?? false })),
    networks: service.networks ?? Object.keys(spec.networks ?? {}),
    labels: { ...service.labels },
    hotpatch: service.hotpatch ?? false,
  };
  return {
    ...resolved,
    ...(service.build && {
      build: {
        template: service.build.template,
        dockerfile: service.build.dockerfile ?? 'Dockerfile',
        args: mapValues(service.build.args, r.image),
        generated: { ...service.build.generated },
      },
    }),
    ...(service.command && { command: [...service.command] }),
    ...(service.healthcheck && {
      healthcheck: {
        test: [...service.healthcheck.test],
        intervalMs: service.healthcheck.intervalMs ?? 2000,
        timeoutMs: service.healthcheck.timeoutMs ?? 2000,
        retries: service.healthcheck.retries ?? 30,
        startPeriodMs: service.healthcheck.startPeriodMs ?? 0,
      },
    }),
    ...(service.httpProbe && {
      httpProbe: {
        ...service.httpProbe,
        timeoutMs: service.httpProbe.timeoutMs ?? 60_000,
        expectJson: service.httpProbe.expectJson ?? {},
      },
    }),
    ...(service.user !== undefined && { user: service.user }),
  };
}

function hostPort(source: number | EnvRef, r: Resolver): number {
  if (typeof source === 'number') return source;
  const text = r.lookup(source).value;
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
    if (order.includes(name) || visiting.has(name) || !spec.services[name]) return;
    visiting.add(name);
    for (const dep of spec.services[name].dependsOn ?? []) {
      if (dep.service !== name) visit(dep.service);
    }
    if (!order.includes(name)) order.push(name);
  };
  for (const name of Object.keys(spec.services)) visit(name);
  return order;
}
