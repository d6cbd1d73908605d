import type { ResolvedService, ResolvedStack, ValueOrigin } from '../model/model.js';
import { secretFileName, secretsDir } from '../model/secret-files.js';

/**
 * A compose-spec document as plain data: what `esteps render` writes as YAML. Keys are in no
 * particular order here (the YAML writer sorts them) and nothing is `undefined`.
 */
export type ComposeDocument = {
  services: Record<string, Record<string, unknown>>;
  networks?: Record<string, Record<string, unknown>>;
  volumes?: Record<string, Record<string, unknown>>;
  secrets?: Record<string, { file: string }>;
};

export interface RenderedCompose {
  readonly document: ComposeDocument;
  /** Variables the document reads (`${NAME...}`), for the env file written beside it. */
  readonly variables: readonly string[];
  /** Built services' build contexts, relative to the compose file: `{ usersvc: './usersvc' }`. */
  readonly contexts: Readonly<Record<string, string>>;
  /** Secret files the document reads, relative to the compose file: `{ dbPassword: './secrets/db_password' }`. */
  readonly secretFiles: Readonly<Record<string, string>>;
}

/**
 * Renders a resolved stack as a compose file that docker compose v2 and Debian's
 * docker-compose 1.29 both accept. A value that came from a variable becomes
 * `${VAR:-default}` again (its origin is in `stack.origins`), so the ejected file stays
 * overridable as the stack was. Secrets are compose's top-level `secrets:`, each a file
 * `./secrets/<name>` beside the compose file (`esteps render -o` writes them, mode 0600), that
 * a service reads at `/run/secrets/<target>`: never a value in the document. Every
 * default was applied by `resolveStack`, and every rule derived there (the health check an
 * HTTP probe becomes, tmpfs options): nothing is defaulted or decided here. Pure.
 * No `name:` key: docker-compose 1.29 rejects it; pass `-p PROJECT`.
 */
export function renderCompose(stack: ResolvedStack): RenderedCompose {
  const variables = new Set<string>();
  const contexts: Record<string, string> = {};
  /** The resolved value at `path`, or the reference it came from. */
  const value = (path: string, resolved: string): string => {
    const origin = stack.origins[path];
    if (!origin) return escapeDollars(resolved);
    variables.add(origin.variable);
    return reference(origin);
  };
  const services: ComposeDocument['services'] = {};
  for (const service of stack.services) {
    if (service.build) contexts[service.name] = `./${service.name}`;
    services[service.name] = renderService(service, (field, resolved) =>
      value(`services.${service.name}.${field}`, resolved),
    );
  }
  const document: ComposeDocument = { services };
  const networks = Object.entries(stack.networks);
  if (networks.length > 0) {
    document.networks = Object.fromEntries(networks.map(([n, net]) => [n, { driver: net.driver }]));
  }
  if (stack.volumes.length > 0) {
    document.volumes = Object.fromEntries(stack.volumes.map((v) => [v, {}]));
  }
  const secretFiles = Object.fromEntries(
    stack.secrets.map((name) => [name, `./secrets/${secretFileName(name)}`]),
  );
  if (stack.secrets.length > 0) {
    document.secrets = Object.fromEntries(
      Object.entries(secretFiles).map(([name, file]) => [composeSecretName(name), { file }]),
    );
  }
  return { document, variables: [...variables].sort(), contexts, secretFiles };
}

/** Compose's name of a secret: `dbPassword` -> `db_password`. */
export function composeSecretName(name: string): string {
  return secretFileName(name);
}

function reference(origin: ValueOrigin): string {
  return origin.default === undefined
    ? `\${${origin.variable}:?set ${origin.variable} in .env}`
    : `\${${origin.variable}:-${escapeDollars(origin.default)}}`;
}

type Value = (field: string, resolved: string) => string;

function renderService(service: ResolvedService, value: Value): Record<string, unknown> {
  const out: Record<string, unknown> = {
    image: value('image', service.image),
    restart: service.restart,
  };
  if (service.build) {
    const build: Record<string, unknown> = {
      context: `./${service.name}`,
      dockerfile: service.build.dockerfile,
    };
    const args = Object.entries(service.build.args);
    if (args.length > 0) {
      build.args = Object.fromEntries(args.map(([k, v]) => [k, value(`build.args.${k}`, v)]));
    }
    out.build = build;
  }
  if (service.command) out.command = service.command.map(escapeDollars);
  const environment = Object.entries(service.environment);
  if (environment.length > 0) {
    out.environment = Object.fromEntries(
      environment.map(([k, v]) => [k, value(`environment.${k}`, v)]),
    );
  }
  if (service.ports.length > 0) {
    out.ports = service.ports.map((p, i) => {
      const host = value(`ports[${i}].hostPort`, String(p.hostPort));
      const proto = p.protocol === 'tcp' ? '' : `/${p.protocol}`;
      return `${p.hostIp}:${host}:${p.containerPort}${proto}`;
    });
  }
  const healthcheck = renderHealthcheck(service);
  if (healthcheck) out.healthcheck = healthcheck;
  if (service.dependsOn.length > 0) {
    out.depends_on = Object.fromEntries(
      service.dependsOn.map((d) => [
        d.service,
        { condition: d.condition === 'healthy' ? 'service_healthy' : 'service_started' },
      ]),
    );
  }
  if (service.replicas > 1) out.scale = service.replicas;
  if (service.volumes.length > 0) {
    out.volumes = service.volumes.map((m) => `${m.volume}:${m.target}${m.readOnly ? ':ro' : ''}`);
  }
  if (service.networks.length > 0) out.networks = [...service.networks];
  if (Object.keys(service.labels).length > 0) {
    out.labels = Object.fromEntries(
      Object.entries(service.labels).map(([k, v]) => [k, escapeDollars(v)]),
    );
  }
  if (service.secrets.length > 0) {
    // The long syntax: docker-compose 1.29 applies uid, gid and mode only with swarm, but
    // takes them; the file's own owner and mode (0600) apply otherwise.
    out.secrets = service.secrets.map((s) => ({
      source: composeSecretName(s.secret),
      target: s.target.slice(secretsDir.length + 1),
      uid: String(s.uid),
      gid: String(s.gid),
      mode: s.mode,
    }));
  }
  if (service.user !== undefined) out.user = escapeDollars(service.user);
  if (service.readOnlyRootFilesystem) out.read_only = true;
  if (service.tmpfs.length > 0) {
    out.tmpfs = service.tmpfs.map((t) => `${t.target}:${t.options}`);
  }
  if (service.capDrop.length > 0) out.cap_drop = [...service.capDrop];
  if (service.capAdd.length > 0) out.cap_add = [...service.capAdd];
  if (service.noNewPrivileges) out.security_opt = ['no-new-privileges:true'];
  if (service.limits.pids !== undefined) out.pids_limit = service.limits.pids;
  if (service.limits.memoryBytes !== undefined) out.mem_limit = service.limits.memoryBytes;
  return out;
}

/** The service's Docker health check (its own, or its HTTP probe's: resolveStack derived it). */
function renderHealthcheck(service: ResolvedService): Record<string, unknown> | undefined {
  const h = service.health;
  if (!h) return undefined;
  return {
    test: h.test.map(escapeDollars),
    interval: duration(h.intervalMs),
    timeout: duration(h.timeoutMs),
    retries: h.retries,
    start_period: duration(h.startPeriodMs),
  };
}

/** Compose durations: `1s`, `1500ms`. */
function duration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** A literal `$` in compose is `$$`, or compose would read it as a variable. */
function escapeDollars(text: string): string {
  return text.replaceAll('$', '$$$$');
}
