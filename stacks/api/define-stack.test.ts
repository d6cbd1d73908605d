import { describe, expect, it } from 'vitest';
import step1 from '../builtin/step1.js';
import { StackInvalidError } from '../model/errors.js';
import type { ServiceSpec, StackSpec } from '../model/model.js';
import { defineStack } from './define-stack.js';

const db: ServiceSpec = {
  image: 'postgres:16',
  healthcheck: { test: ['CMD', 'pg_isready'] },
  volumes: [{ volume: 'data', target: '/var/lib/postgresql/data' }],
};
const app: ServiceSpec = {
  image: 'esteps/{project}-app:latest',
  ports: [{ hostPort: 5000, containerPort: 5000 }],
  dependsOn: [{ service: 'postgres', condition: 'healthy' }],
  networks: ['mesh'],
};

function stack(services: Record<string, ServiceSpec>, extra: Partial<StackSpec> = {}): StackSpec {
  return { name: 'demo', services, networks: { mesh: {} }, volumes: { data: {} }, ...extra };
}

/** The problems defineStack reports, as `path: message` lines. */
function problems(spec: StackSpec): string[] {
  try {
    defineStack(spec);
  } catch (err) {
    expect(err).toBeInstanceOf(StackInvalidError);
    const e = err as StackInvalidError;
    expect(e.code).toBe('STACK_INVALID');
    expect(e.hint).toBeTruthy();
    return e.problems.map((p) => `${p.path}: ${p.message}`);
  }
  return [];
}

describe('defineStack', () => {
  it('accepts a valid stack and returns it unchanged', () => {
    const spec = stack({ postgres: db, app });
    expect(defineStack(spec)).toBe(spec);
    expect(problems(step1)).toEqual([]);
  });

  it('names an unknown dependency with a suggestion', () => {
    const spec = stack({ postgres: db, app: { ...app, dependsOn: [{ service: 'postgress' }] } });
    expect(problems(spec)).toEqual([
      'services.app.dependsOn[0]: no service "postgress"; did you mean "postgres"?',
    ]);
  });

  it('reports every problem at once, in one message listing them all', () => {
    const spec = stack({
      postgres: { ...db, image: 'postgres' },
      app: { ...app, replicas: 0, networks: ['mesh2'] },
    });
    let error: StackInvalidError | undefined;
    try {
      defineStack(spec);
    } catch (err) {
      error = err as StackInvalidError;
    }
    expect(error?.problems).toHaveLength(3);
    expect(error?.message).toBe(
      [
        'Stack "demo" is invalid (3 problems):',
        '  services.postgres.image: image "postgres" has no tag; pin one, e.g. "postgres:1.0"',
        '  services.app.replicas: must be a whole number of at least 1, got 0',
        '  services.app.networks[0]: no network "mesh2" in the stack; did you mean "mesh"?',
      ].join('\n'),
    );
  });

  it('finds dependency cycles and self-dependencies', () => {
    const a: ServiceSpec = { image: 'a:1', dependsOn: [{ service: 'b' }] };
    const b: ServiceSpec = { image: 'b:1', dependsOn: [{ service: 'c' }] };
    const c: ServiceSpec = { image: 'c:1', dependsOn: [{ service: 'a' }] };
    expect(problems(stack({ a, b, c }))).toEqual([
      'services.c.dependsOn[0]: dependency cycle: a -> b -> c -> a',
    ]);
    expect(problems(stack({ a: { image: 'a:1', dependsOn: [{ service: 'a' }] } }))).toEqual([
      'services.a.dependsOn[0]: service "a" cannot depend on itself',
    ]);
  });

  it('refuses the same host address and port twice, but not port 0 or other addresses', () => {
    const port = (hostPort: number, hostIp?: string): ServiceSpec => ({
      image: 'x:1',
      ports: [{ hostIp, hostPort, containerPort: 80 }],
    });
    expect(problems(stack({ a: port(8080), b: port(8080) }))).toEqual([
      'services.b.ports[0].hostPort: host port 127.0.0.1:8080/tcp is already published by services.a.ports[0].hostPort',
    ]);
    expect(problems(stack({ a: port(0), b: port(0) }))).toEqual([]);
    expect(problems(stack({ a: port(8080), b: port(8080, '127.0.0.2') }))).toEqual([]);
    // Every interface includes 127.0.0.1: the engine cannot bind both.
    expect(problems(stack({ a: port(8080, '0.0.0.0'), b: port(8080) }))).toEqual([
      'services.b.ports[0].hostPort: host port 127.0.0.1:8080/tcp is already published by services.a.ports[0].hostPort (0.0.0.0:8080/tcp)',
    ]);
    expect(problems(stack({ a: port(8080, '127.0.0.2'), b: port(8080, '0.0.0.0') }))).toEqual([
      'services.b.ports[0].hostPort: host port 0.0.0.0:8080/tcp is already published by services.a.ports[0].hostPort (127.0.0.2:8080/tcp)',
    ]);
    // A port from a variable is checked with the variable's value, once resolved
    // (resolve-stack.test.ts): its default says nothing about the value.
    const fromEnv: ServiceSpec = {
      image: 'x:1',
      ports: [{ hostPort: { env: 'ESTEPS_USERSVC_PORT', default: '8080' }, containerPort: 80 }],
    };
    expect(problems(stack({ a: port(8080), b: fromEnv }))).toEqual([]);
  });

  it('refuses a container port published twice by one service', () => {
    const spec = stack({
      a: {
        image: 'x:1',
        ports: [
          { hostPort: 8080, containerPort: 80 },
          { hostPort: 8081, containerPort: 80 },
          { hostPort: 8082, containerPort: 80, protocol: 'udp' },
        ],
      },
    });
    expect(problems(spec)).toEqual([
      'services.a.ports[1].containerPort: container port 80/tcp is already published by services.a.ports[0]: publish each container port once',
    ]);
  });

  it('refuses a fixed host port on a replicated service', () => {
    expect(
      problems(
        stack({ a: { image: 'x:1', replicas: 2, ports: [{ hostPort: 80, containerPort: 80 }] } }),
      ),
    ).toEqual([
      'services.a.ports[0].hostPort: 2 replicas cannot all publish host port 80; use 0 to let the engine pick',
    ]);
  });

  it('checks ports and addresses', () => {
    const spec = stack({
      a: {
        image: 'x:1',
        ports: [
          { hostPort: 70000, containerPort: 0 },
          { hostIp: '0.0.0.300', hostPort: { env: 'PORT', default: 'http' }, containerPort: 80 },
        ],
      },
    });
    expect(problems(spec)).toEqual([
      'services.a.ports[0].containerPort: must be a whole number from 1 to 65535, got 0',
      'services.a.ports[0].hostPort: must be a whole number from 0 to 65535, got 70000',
      'services.a.ports[1].hostPort: default must be a whole number from 0 to 65535, got "http"',
      'services.a.ports[1].hostIp: "0.0.0.300" is not an IPv4 address',
    ]);
  });

  it('reports unknown networks and volumes, and relative mount targets', () => {
    const spec = stack({
      a: { image: 'x:1', networks: ['nope'], volumes: [{ volume: 'date', target: 'data' }] },
    });
    expect(problems(spec)).toEqual([
      'services.a.networks[0]: no network "nope" in the stack',
      'services.a.volumes[0].volume: no volume "date" in the stack; did you mean "data"?',
      'services.a.volumes[0].target: must be an absolute path, got "data"',
    ]);
  });

  it('wants a tag or digest on every image, literal or default', () => {
    const digest = `busybox@sha256:${'a'.repeat(64)}`;
    const spec = stack({
      a: { image: 'localhost:5000/app' },
      b: { image: { env: 'B_IMAGE', default: 'envoyproxy/envoy' } },
      c: { image: digest },
      d: { image: { env: 'D_IMAGE' } },
      e: { image: 'Not An Image:1' },
      f: {
        image: 'f:1',
        build: { context: '.', args: { BASE_IMAGE: 'debian', OTHER: 'plain text' } },
      },
    });
    expect(problems(spec)).toEqual([
      'services.a.image: image "localhost:5000/app" has no tag; pin one, e.g. "localhost:5000/app:1.0"',
      'services.b.image: default image "envoyproxy/envoy" has no tag; pin one, e.g. "envoyproxy/envoy:1.0"',
      'services.e.image: "Not An Image:1" is not an image reference',
      'services.f.build.args.BASE_IMAGE: image "debian" has no tag; pin one, e.g. "debian:1.0"',
    ]);
  });

  it('checks names of the stack, services, networks, volumes, variables and secrets', () => {
    const spec: StackSpec = {
      name: 'Demo',
      services: {
        Web_1: {
          image: 'x:1',
          environment: { 'BAD-KEY': 'x', REF: { env: '1X' } },
          secrets: ['Db_password'],
        },
      },
      networks: { 'Mesh!': {} },
      volumes: { _data: {} },
      secrets: { Db_password: {} },
    };
    expect(problems(spec)).toEqual([
      'name: "Demo" is not a valid name: use lower-case letters, digits and "-", starting with a letter',
      'networks.Mesh!: "Mesh!" is not a valid name: use lower-case letters, digits, "-" and "_", starting with a letter',
      'volumes._data: "_data" is not a valid name: use lower-case letters, digits, "-" and "_", starting with a letter',
      'secrets.Db_password: "Db_password" is not a valid name: use camelCase letters and digits, starting with a lower-case letter',
      'services.Web_1: "Web_1" is not a valid name: use lower-case letters, digits and "-", starting with a letter',
      'services.Web_1.environment.BAD-KEY: "BAD-KEY" is not a valid environment variable name',
      'services.Web_1.environment.REF: "1X" is not a valid environment variable name',
    ]);
    expect(problems({ name: 'empty', services: {} })).toEqual([
      'services: a stack needs at least one service',
    ]);
  });

  it('refuses replicas that are not whole numbers of at least 1', () => {
    expect(problems(stack({ a: { image: 'x:1', replicas: 1.5 } }))).toEqual([
      'services.a.replicas: must be a whole number of at least 1, got 1.5',
    ]);
  });

  it('refuses a healthy condition on a service that can never be healthy', () => {
    const spec = stack({
      db: { image: 'postgres:16' },
      app: { image: 'a:1', dependsOn: [{ service: 'db', condition: 'healthy' }] },
    });
    expect(problems(spec)).toEqual([
      'services.app.dependsOn[0]: "db" has no healthcheck or httpProbe, so it can never be healthy; add one or use condition "started"',
    ]);
    const probed = stack({
      db: { image: 'postgres:16', httpProbe: { path: '/', containerPort: 80 } },
      app: { image: 'a:1', dependsOn: [{ service: 'db', condition: 'healthy' }] },
    });
    expect(problems(probed)).toEqual([]);
  });

  it('checks health checks, probes and builds', () => {
    const spec = stack({
      a: {
        image: 'a:1',
        healthcheck: { test: ['curl', 'x'] },
        httpProbe: { path: 'health', containerPort: 0 },
        build: {
          context: '.',
          dockerfile: '../Dockerfile',
          bundles: { '/abs.js': { entry: 'main.ts' }, 'b.js': { entry: 'esteps/supervisr' } },
        },
      },
    });
    expect(problems(spec)).toEqual([
      'services.a.build.dockerfile: must be a path inside the context, got "../Dockerfile"',
      'services.a.build.bundles["/abs.js"]: the key must be a path inside the context, got "/abs.js"',
      'services.a.build.bundles["b.js"].entry: esteps provides no "esteps/supervisr"; did you mean "esteps/supervisor"?',
      'services.a.healthcheck.test: must start with "CMD", "CMD-SHELL" or "NONE"',
      'services.a.httpProbe.path: must start with "/", got "health"',
      'services.a.httpProbe.containerPort: must be a whole number from 1 to 65535, got 0',
    ]);
  });

  it('checks what makes a service hot-patchable', () => {
    const built = { context: '.', bundles: { 'app/main.js': { entry: 'main.ts' } } };
    const spec = stack({
      a: { image: 'a:1', hotpatch: { bundle: 'app/main.js', path: '/app/main.js', owner: '1000' } },
      b: {
        image: 'b:1',
        build: built,
        hotpatch: { bundle: 'app/mian.js', path: 'app/main.js', owner: 'node' },
      },
    });
    expect(problems(spec)).toEqual([
      'services.a.hotpatch: a hot-patchable service must be built (build.bundles holds its code)',
      'services.a.hotpatch.probe: a hot patch needs a probe that names the running version: give one, or an httpProbe',
      'services.b.hotpatch.bundle: no bundle "app/mian.js" in build.bundles; did you mean "app/main.js"?',
      'services.b.hotpatch.path: must be an absolute path in the container, got "app/main.js"',
      'services.b.hotpatch.owner: must be a numeric "uid:gid", got "node"',
      'services.b.hotpatch.probe: a hot patch needs a probe that names the running version: give one, or an httpProbe',
    ]);
  });

  it('checks the smoke checks name a probed service and are code', () => {
    const spec = {
      ...stack({ postgres: db, app }),
      smoke: { service: 'ap', checks: 'GET /' },
    } as unknown as StackSpec;
    expect(problems(spec)).toEqual(['smoke.checks: must be a function, got "GET /"']);
    const fixed = { ...spec, smoke: { service: 'ap', checks: async () => undefined } };
    expect(problems(fixed)).toEqual(['smoke.service: no service "ap"; did you mean "app"?']);
  });
});

describe('defineStack: the shape of what a stack file exports', () => {
  it('names values of the wrong kind and misspelt keys, with their paths, before anything else', () => {
    const spec = {
      name: 'demo',
      services: {
        app: {
          image: 'a:1',
          dependOn: [{ service: 'db' }],
          ports: [{ hostPort: '5000', containerPort: 5000 }],
          restart: 'allways',
          environment: { A: 1 },
        },
        db: 'postgres:16',
      },
    } as unknown as StackSpec;
    expect(problems(spec)).toEqual([
      'services.app.dependOn: is not a known key; did you mean "dependsOn"?',
      'services.app.ports[0].hostPort: must be a number or { env: ... }, got "5000"',
      'services.app.restart: must be one of "no", "always", "unless-stopped", "on-failure", got "allways"; did you mean "always"?',
      'services.app.environment.A: must be a string or { env: ... } or { secret: ... }, got number 1',
      'services.db: must be an object, got "postgres:16"',
    ]);
    expect(problems(null as unknown as StackSpec)).toEqual([
      '(the stack): must be an object, got null',
    ]);
  });
});

describe('secrets and hardening', () => {
  it('refuses a secret as an environment value, saying how it reaches the container instead', () => {
    const spec = {
      name: 's',
      secrets: { dbPassword: {} },
      services: { a: { image: 'a:1', environment: { PGPASSWORD: { secret: 'dbPassword' } } } },
    } as unknown as StackSpec;
    expect(problems(spec)).toEqual([
      'services.a.environment.PGPASSWORD: secrets reach containers as files: list "dbPassword" in services.a.secrets and pass PGPASSWORD_FILE=/run/secrets/db_password',
    ]);
  });

  it('checks secret references and hardening fields with their paths', () => {
    const spec: StackSpec = {
      name: 's',
      secrets: { dbPassword: { lengthBytes: 8 } },
      services: {
        a: {
          image: 'a:1',
          secrets: [
            'dbPasword',
            { secret: 'dbPassword', target: '../x', owner: 'root', mode: 0o1000 },
          ],
          tmpfs: [
            { target: 'tmp', sizeBytes: 10 },
            { target: '/t', owner: 'me' },
          ],
          capDrop: ['cap_chown'],
          capAdd: ['ALL'],
          limits: { pids: 0, memoryBytes: 1024 },
        },
      },
    };
    expect(problems(spec)).toEqual([
      'secrets.dbPassword.lengthBytes: must be a whole number from 16 to 1024, got 8',
      'services.a.secrets[0]: no secret "dbPasword" in the stack\'s secrets; did you mean "dbPassword"?',
      'services.a.secrets[1].target: must be a file name (letters, digits, ".", "_", "-"), got "../x"',
      'services.a.secrets[1].owner: must be a numeric "uid:gid", got "root"',
      'services.a.secrets[1].mode: must be permission bits from 0 to 0o777, got 512',
      'services.a.tmpfs[0].sizeBytes: must be a whole number of at least 4096, got 10',
      'services.a.tmpfs[1].owner: must be a numeric "uid:gid", got "me"',
      'services.a.capDrop[0]: "cap_chown" is not a capability name: use upper case without "CAP_", e.g. "CHOWN"',
      'services.a.capAdd: "ALL" gives every capability back: name the ones the service needs',
      "services.a.limits.pids: must be a whole number from 1 to 4194304, got 0 (the kernel's largest)",
      "services.a.limits.memoryBytes: must be a whole number of bytes, at least 6 MiB (the engine's minimum), got 1024",
      'services.a.tmpfs[0].target: must be an absolute path, got "tmp"',
    ]);
  });
});
