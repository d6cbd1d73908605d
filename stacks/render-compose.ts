import type { EnvRef, ImageSource, ServiceSpec, StackSpec, ValueSource } from './model.js';
import { dependencyOrder } from './resolve-stack.js';
import { secretVariable } from './variables.js';

/**
 * A compose-spec document as plain data: what `esteps render` writes as YAML. Keys are in no
 * particular order here (the YAML writer sorts them) and nothing is `undefined`.
 */
export type ComposeDocument = {
  services: Record<string, Record<string, unknown>>;
  networks?: Record<string, Record<string, unknown>>;
  volumes?: Record<string, Record<string, unknown>>;
};

export interface RenderedCompose {
  readonly document: ComposeDocument;
  /** Variables the document reads (`${NAME...}`), for the env file written beside it. */
  readonly variables: readonly string[];
  /** Built services' build contexts, relative to the compose file: `{ usersvc: './usersvc' }`. */
  readonly contexts: Readonly<Record<string, string>>;
}

/**
 * Renders a stack as a compose file that docker compose v2 and Debian's docker-compose 1.29
 * both accept. Images, ports and settings from the environment become `${VAR:-default}`;
 * secrets become `${ESTEPS_SECRET_...:?...}`, to be filled from the env file written beside
 * the compose file, so no secret is ever a literal in it. The HTTP probe of a service
 * without a Docker health check becomes one (run by the container's own node). Pure.
 * No `name:` key: docker-compose 1.29 rejects it; pass `-p PROJECT`.
 */
export function renderCompose(spec: StackSpec, options: { project: string }): RenderedCompose {
  const variables = new Set<string>();
  const contexts: Record<string, string> = {};
  const ref = (source: EnvRef): string => {
    variables.add(source.env);
    return source.default === undefined
      ? `\${${source.env}:?set ${source.env} in .env}`
      : `\${${source.env}:-${escapeDollars(source.default)}}`;
  };
  const image = (source: ImageSource): string =>
    typeof source === 'string'
      ? escapeDollars(source.replaceAll('{project}', options.project))
      : ref(source);
  const value = (source: ValueSource): string => {
    if (typeof source === 'string') return escapeDollars(source);
    if ('secret' in source) {
      const name = secretVariable(source.secret);
      variables.add(name);
      return `\${${name}:?run esteps render -o FILE to write it into the .env beside FILE}`;
    }
    return ref(source);
  };
  const services: ComposeDocument['services'] = {};
  for (const name of dependencyOrder(spec)) {
    const service = spec.services[name]!;
    if (service.build) contexts[name] = `./${name}`;
    services[name] = renderService(name, service, { image, value });
  }
  const document: ComposeDocument = { services };
  const networks = Object.entries(spec.networks ?? {});
  if (networks.length > 0) {
    document.networks = Object.fromEntries(
      networks.map(([n, net]) => [n, { driver: net.driver ?? 'bridge' }]),
    );
  }
  const volumes = Object.keys(spec.volumes ?? {});
  if (volumes.length > 0) document.volumes = Object.fromEntries(volumes.map((v) => [v, {}]));
  return { document, variables: [...variables].sort(), contexts };
}

interface Renderers {
  image(source: ImageSource): string;
  value(source: ValueSource): string;
}

function renderService(name: string, service: ServiceSpec, r: Renderers): Record<string, unknown> {
  const out: Record<string, unknown> = {
    image: r.image(service.image),
    restart: service.restart ?? 'unless-stopped',
  };
  if (service.build) {
    const build: Record<string, unknown> = {
      context: `./${name}`,
      dockerfile: service.build.dockerfile ?? 'Dockerfile',
    };
    const args = Object.entries(service.build.args ?? {});
    if (args.length > 0) build.args = Object.fromEntries(args.map(([k, v]) => [k, r.image(v)]));
    out.build = build;
  }
  if (service.command) out.command = service.command.map(escapeDollars);
  const environment = Object.entries(service.environment ?? {});
  if (environment.length > 0) {
    out.environment = Object.fromEntries(environment.map(([k, v]) => [k, r.value(v)]));
  }
  if (service.ports?.length) {
    out.ports = service.ports.map((p) => {
      const host = typeof p.hostPort === 'number' ? String(p.hostPort) : r.value(p.hostPort);
      const proto = (p.protocol ?? 'tcp') === 'tcp' ? '' : `/${p.protocol}`;
      return `${p.hostIp ?? '127.0.0.1'}:${host}:${p.containerPort}${proto}`;
    });
  }
  const healthcheck = renderHealthcheck(service);
  if (healthcheck) out.healthcheck = healthcheck;
  if (service.dependsOn?.length) {
    out.depends_on = Object.fromEntries(
      service.dependsOn.map((d) => [
        d.service,
        { condition: d.condition === 'healthy' ? 'service_healthy' : 'service_started' },
      ]),
    );
  }
  if ((service.replicas ?? 1) > 1) out.scale = service.replicas;
  if (service.volumes?.length) {
    out.volumes = service.volumes.map((m) => `${m.volume}:${m.target}${m.readOnly ? ':ro' : ''}`);
  }
  if (service.networks?.length) out.networks = [...service.networks];
  if (service.labels && Object.keys(service.labels).length > 0) {
    out.labels = Object.fromEntries(
      Object.entries(service.labels).map(([k, v]) => [k, escapeDollars(v)]),
    );
  }
  if (service.user !== undefined) out.user = escapeDollars(service.user);
  return out;
}

function renderHealthcheck(service: ServiceSpec): Record<string, unknown> | undefined {
  if (service.healthcheck) {
    const h = service.healthcheck;
    return {
      test: h.test.map(escapeDollars),
      interval: duration(h.intervalMs ?? 2000),
      timeout: duration(h.timeoutMs ?? 2000),
      retries: h.retries ?? 30,
      start_period: duration(h.startPeriodMs ?? 0),
    };
  }
  if (!service.httpProbe) return undefined;
  const { path, containerPort, expectJson = {} } = service.httpProbe;
  const intervalMs = 2000;
  const url = `http://127.0.0.1:${containerPort}${path}`;
  // The same rule as esteps' own probe (cli/engine/wait-http.ts): 2xx, and the expected fields.
  const fields = Object.entries(expectJson)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => `&&j[${JSON.stringify(key)}]===${JSON.stringify(value)}`)
    .join('');
  const script =
    `require('http').get('${url}',r=>{let b='';r.on('data',d=>b+=d).on('end',()=>{` +
    `let j={};try{j=JSON.parse(b)}catch(e){}` +
    `process.exit(r.statusCode>=200&&r.statusCode<300${fields}?0:1)})}).on('error',()=>process.exit(1))`;
  return {
    test: ['CMD', 'node', '-e', escapeDollars(script)],
    interval: duration(intervalMs),
    timeout: duration(intervalMs),
    retries: Math.max(1, Math.ceil((service.httpProbe.timeoutMs ?? 60_000) / intervalMs)),
    start_period: '0s',
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
