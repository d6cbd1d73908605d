/**
 * What the engine refuses, the stack refuses first, with its path: each value here passed
 * validation once and then failed at the engine (exit 6, "check the engine"), or crashed
 * esteps (exit 1, "a bug"). The engine's own words are in the comments, as Docker 20.10
 * (API 1.41) answered them.
 */
import { describe, expect, it } from 'vitest';
import { defineStack } from '../api/define-stack.js';
import { StackInvalidError } from '../model/errors.js';
import type { ServiceSpec, StackSpec } from '../model/model.js';
import { validateStack } from './validate-stack.js';

function stack(services: Record<string, ServiceSpec>, extra: Partial<StackSpec> = {}): StackSpec {
  return { name: 'demo', services, networks: { mesh: {} }, volumes: { data: {} }, ...extra };
}

/** `path: message` of every problem. */
function problems(spec: StackSpec): string[] {
  return validateStack(spec).map((p) => `${p.path}: ${p.message}`);
}

/** The problems of one service `a`. */
function serviceProblems(service: Partial<ServiceSpec>, extra: Partial<StackSpec> = {}) {
  return problems(stack({ a: { image: 'a:1', ...service } }, extra));
}

describe('validateStack: capabilities', () => {
  it('refuses names that are no Linux capability, with the closest one', () => {
    // Engine: invalid CapAdd: unknown capability: "CAP_NET_ADMN"
    expect(
      serviceProblems({ capAdd: ['NET_ADMN', 'NET_BIND_SERVICE'], capDrop: ['ALL', 'CHWON'] }),
    ).toEqual([
      'services.a.capDrop[1]: "CHWON" is not a Linux capability; did you mean "CHOWN"?',
      'services.a.capAdd[0]: "NET_ADMN" is not a Linux capability; did you mean "NET_ADMIN"?',
    ]);
    expect(serviceProblems({ capAdd: ['FROB'] })).toEqual([
      'services.a.capAdd[0]: "FROB" is not a Linux capability',
    ]);
    expect(serviceProblems({ capAdd: ['CAP_CHOWN'] })).toEqual([
      'services.a.capAdd[0]: "CAP_CHOWN" is not a capability name: use upper case without "CAP_", e.g. "CHOWN"',
    ]);
    expect(serviceProblems({ capDrop: ['ALL'], capAdd: ['AUDIT_READ', 'BPF'] })).toEqual([]);
  });
});

describe('validateStack: health checks and probes', () => {
  it('refuses durations and retries the engine refuses or reads as its own default', () => {
    // Engine: "Interval in Healthcheck cannot be less than 1ms"; 1500.5 ms is no whole
    // number of nanoseconds ("cannot unmarshal number"); "Retries in Healthcheck cannot be
    // negative"; 0 means the engine's default (30 s, 3 retries), not what the stack says.
    const healthcheck = {
      test: ['CMD', 'true'],
      intervalMs: -5,
      timeoutMs: 0,
      retries: 1.5,
      startPeriodMs: 0.5,
    };
    expect(serviceProblems({ healthcheck })).toEqual([
      'services.a.healthcheck.intervalMs: must be a whole number of milliseconds from 1 to 2147483647, got -5',
      'services.a.healthcheck.timeoutMs: must be a whole number of milliseconds from 1 to 2147483647, got 0',
      'services.a.healthcheck.startPeriodMs: must be a whole number of milliseconds from 0 to 2147483647, got 0.5',
      'services.a.healthcheck.retries: must be a whole number from 1 to 2147483647, got 1.5',
    ]);
    expect(
      serviceProblems({ healthcheck: { test: ['CMD', 'true'], intervalMs: 1e30, retries: 0 } }),
    ).toEqual([
      'services.a.healthcheck.intervalMs: must be a whole number of milliseconds from 1 to 2147483647, got 1e+30',
      'services.a.healthcheck.retries: must be a whole number from 1 to 2147483647, got 0',
    ]);
    const valid = {
      test: ['CMD', 'true'],
      intervalMs: 1,
      timeoutMs: 1,
      retries: 1,
      startPeriodMs: 0,
    };
    expect(serviceProblems({ healthcheck: valid })).toEqual([]);
  });

  it('refuses tests that run nothing or take what the engine ignores', () => {
    const test = (...t: string[]) => serviceProblems({ healthcheck: { test: t } });
    expect(test('CMD')).toEqual([
      'services.a.healthcheck.test: "CMD" needs the program to run and its arguments: ["CMD", "pg_isready", ...]',
    ]);
    expect(test('CMD-SHELL', 'pg_isready', '-U app')).toEqual([
      'services.a.healthcheck.test: "CMD-SHELL" takes one command line: ["CMD-SHELL", "pg_isready -U app"]',
    ]);
    expect(test('CMD-SHELL', ' ')).toHaveLength(1);
    expect(test('NONE', 'x')).toEqual([
      'services.a.healthcheck.test: "NONE" turns the image\'s health check off and takes nothing else',
    ]);
    expect(test('CMD', 'echo', 'a\0b')).toEqual([
      'services.a.healthcheck.test[2]: contains a NUL character, which no command argument or environment value can carry',
    ]);
    expect(test()).toEqual([
      'services.a.healthcheck.test: must start with "CMD", "CMD-SHELL" or "NONE"',
    ]);
    expect(test('CMD-SHELL', 'pg_isready -U app')).toEqual([]);
    expect(test('NONE')).toEqual([]);
  });

  it('refuses a healthy condition on a service whose health check is off', () => {
    const spec = stack({
      db: { image: 'db:1', healthcheck: { test: ['NONE'] } },
      app: { image: 'a:1', dependsOn: [{ service: 'db', condition: 'healthy' }] },
    });
    expect(problems(spec)).toEqual([
      'services.app.dependsOn[0]: "db" turns its health check off ("NONE"), so it can never be healthy; use condition "started"',
    ]);
  });

  it('refuses probe timeouts that are not a wait', () => {
    // A negative timeout made `up` give up at once (HEALTH_TIMEOUT); past 2^31 - 1 ms a
    // Node.js timer fires at once too.
    const probe = (timeoutMs: number) => ({ path: '/health', containerPort: 80, timeoutMs });
    expect(serviceProblems({ httpProbe: probe(-1) })).toEqual([
      'services.a.httpProbe.timeoutMs: must be a whole number of milliseconds from 1 to 2147483647, got -1',
    ]);
    expect(serviceProblems({ httpProbe: probe(2 ** 31) })).toHaveLength(1);
    expect(serviceProblems({ httpProbe: probe(0.5) })).toHaveLength(1);
    expect(
      serviceProblems({
        build: { context: '.', bundles: { 'app.js': { entry: 'main.ts' } } },
        httpProbe: probe(1000),
        hotpatch: { bundle: 'app.js', path: '/app.js', owner: '1:1', probe: probe(-3) },
      }),
    ).toEqual([
      'services.a.hotpatch.probe.timeoutMs: must be a whole number of milliseconds from 1 to 2147483647, got -3',
    ]);
  });
});

describe('validateStack: smoke', () => {
  it('takes a smoke timeout in whole milliseconds, naming its path', () => {
    const probed: ServiceSpec = { image: 'a:1', httpProbe: { path: '/', containerPort: 80 } };
    const smoke = (timeoutMs: unknown) =>
      problems(
        stack(
          { a: probed },
          { smoke: { service: 'a', checks: async () => undefined, timeoutMs } as never },
        ),
      );
    expect(smoke(5000)).toEqual([]);
    expect(smoke(0)).toEqual([
      'smoke.timeoutMs: must be a whole number of milliseconds from 1 to 2147483647, got 0',
    ]);
    expect(smoke(1.5)).toEqual([
      'smoke.timeoutMs: must be a whole number of milliseconds from 1 to 2147483647, got 1.5',
    ]);
    expect(smoke('30s')).toEqual(['smoke.timeoutMs: must be a number, got "30s"']);
  });
});

describe('validateStack: what the process is given', () => {
  it('refuses a command that names no program, and NUL characters', () => {
    // Engine: "No command specified" (an image without CMD); exec: "": executable file not
    // found; runc: environment variable value can't contain null(\x00).
    expect(serviceProblems({ command: [] })).toEqual([
      "services.a.command: must name the program to run; leave it out to run the image's CMD",
    ]);
    expect(serviceProblems({ command: ['', 'x'] })).toEqual([
      'services.a.command[0]: must name the program to run, got ""',
    ]);
    expect(serviceProblems({ command: ['echo', 'a\0b'] })).toEqual([
      'services.a.command[1]: contains a NUL character, which no command argument or environment value can carry',
    ]);
    expect(
      serviceProblems({
        environment: { A: 'a\0b', B: { env: 'B', default: 'x\0' }, C: 'fine', 'D=E': 'x' },
      }),
    ).toEqual([
      'services.a.environment.A: contains a NUL character, which no command argument or environment value can carry',
      'services.a.environment.B: the default contains a NUL character, which no command argument or environment value can carry',
      'services.a.environment.D=E: "D=E" is not a valid environment variable name',
    ]);
  });

  it('checks the user as the engine takes it', () => {
    // runc: "uids and gids must be in range 0-2147483647"; "unable to find user  1000".
    expect(serviceProblems({ user: '' })).toEqual([
      'services.a.user: must be "name", "uid", "name:group" or "uid:gid", got ""',
    ]);
    expect(serviceProblems({ user: ' 1000' })).toHaveLength(1);
    expect(serviceProblems({ user: '1000:1000:1' })).toHaveLength(1);
    expect(serviceProblems({ user: '3000000000' })).toEqual([
      'services.a.user: ids go from 0 to 2147483647, got "3000000000"',
    ]);
    for (const user of ['postgres', '10001:10001', 'app:staff', '0']) {
      expect(serviceProblems({ user })).toEqual([]);
    }
  });
});

describe('validateStack: mounts and limits', () => {
  it('refuses the same folder mounted twice, at /, or over the secret files', () => {
    // Engine: "Duplicate mount point: /data/"; "destination can't be '/'"; a tmpfs at a
    // volume's target hid the volume without a word.
    const spec = stack(
      {
        a: {
          image: 'a:1',
          secrets: ['token'],
          volumes: [
            { volume: 'data', target: '/data' },
            { volume: 'data', target: '/data/' },
            { volume: 'data', target: '/' },
            { volume: 'data', target: '/run/secrets' },
          ],
          tmpfs: [{ target: '/srv/../data' }, { target: '/tmp' }, { target: '/tmp' }],
        },
      },
      { secrets: { token: {} } },
    );
    expect(problems(spec)).toEqual([
      'services.a.volumes[1].target: "/data/" is already mounted by services.a.volumes[0]',
      'services.a.volumes[2].target: cannot be "/": the root filesystem is the image\'s',
      'services.a.volumes[3].target: "/run/secrets" is where the service\'s secret files are mounted',
      'services.a.tmpfs[0].target: "/srv/../data" is already mounted by services.a.volumes[0]',
      'services.a.tmpfs[2].target: "/tmp" is already mounted by services.a.tmpfs[1]',
    ]);
  });

  it('refuses limits and sizes beyond what the engine and kernel take', () => {
    // runc: write pids.max: invalid argument (above the kernel's 4194304); the engine's JSON
    // decoder: cannot unmarshal number 1e+19 into ... Memory of type int64.
    expect(
      serviceProblems({
        limits: { pids: 99_999_999_999, memoryBytes: 1e19 },
        tmpfs: [{ target: '/tmp', sizeBytes: 1e300, owner: '3000000000:0' }],
      }),
    ).toEqual([
      'services.a.tmpfs[0].sizeBytes: must be a whole number from 4096 to 9007199254740991, got 1e+300',
      'services.a.tmpfs[0].owner: ids go from 0 to 2147483647, got "3000000000:0"',
      "services.a.limits.pids: must be a whole number from 1 to 4194304, got 99999999999 (the kernel's largest)",
      "services.a.limits.memoryBytes: must be a whole number of bytes, at least 6 MiB (the engine's minimum) and at most 9007199254740991, got 10000000000000000000",
    ]);
    expect(serviceProblems({ limits: { pids: 4_194_304 }, replicas: 1e300 })).toEqual([
      'services.a.replicas: must be a whole number from 1 to 9007199254740991, got 1e+300',
    ]);
  });

  it('keeps secret files within what their archive carries', () => {
    // Past 7 octal digits, a ustar header's uid spills into the next field: the engine
    // extracted uid 16777216 as 2097152, without a word.
    const spec = (service: Partial<ServiceSpec>, name = 'token') =>
      problems(stack({ a: { image: 'a:1', ...service } }, { secrets: { [name]: {} } }));
    expect(spec({ secrets: [{ secret: 'token', owner: '16777216:0' }] })).toEqual([
      'services.a.secrets[0].owner: ids go from 0 to 2097151, got "16777216:0"',
    ]);
    expect(spec({ user: '3000000', secrets: ['token'] })).toEqual([
      'services.a.secrets[0].owner: defaults to the service\'s user "3000000", but a secret file\'s ids go from 0 to 2097151: give an owner',
    ]);
    expect(spec({ user: '3000000', secrets: [{ secret: 'token', owner: '0:0' }] })).toEqual([]);
    expect(spec({ secrets: [{ secret: 'token', target: 'x'.repeat(101) }] })).toEqual([
      "services.a.secrets[0].target: is 101 characters long: a secret file's name has at most 100 (the ustar header it is written with)",
    ]);
    const long = `t${'oken'.repeat(16)}`;
    expect(spec({ secrets: [long] }, long)).toEqual([
      `secrets.${long}: "${long.slice(0, 37)}..." is 65 characters long: use at most 63`,
    ]);
  });
});

describe('validateStack: names and references', () => {
  it('says a name is too long rather than badly made', () => {
    const long = `a${'b'.repeat(63)}`;
    expect(problems({ ...stack({ a: { image: 'a:1' } }), name: long })).toEqual([
      `name: "${long.slice(0, 37)}..." is 64 characters long: use at most 63`,
    ]);
    expect(problems(stack({ a: { image: 'a:1' } }, { volumes: { [long]: {} } }))).toEqual([
      `volumes.${long}: "${long.slice(0, 37)}..." is 64 characters long: use at most 63`,
    ]);
  });

  it("finds names among the stack's own keys only, never Object.prototype's", () => {
    // `toString` passed as a service and crashed resolution (INTERNAL, exit 1).
    const spec = stack(
      {
        app: {
          image: 'a:1',
          dependsOn: [{ service: 'toString' }, { service: 'constructor' }],
          networks: ['hasOwnProperty'],
          volumes: [{ volume: 'valueOf', target: '/data' }],
          secrets: ['toString'],
        },
      },
      { smoke: { service: '__proto__', checks: async () => undefined } },
    );
    expect(problems(spec)).toEqual([
      'services.app.secrets[0]: no secret "toString" in the stack\'s secrets',
      'services.app.dependsOn[0]: no service "toString"',
      'services.app.dependsOn[1]: no service "constructor"',
      'services.app.networks[0]: no network "hasOwnProperty" in the stack',
      'services.app.volumes[0].volume: no volume "valueOf" in the stack',
      'smoke.service: no service "__proto__"',
    ]);
    expect(() => defineStack(spec)).toThrow(StackInvalidError);
    const edge: ServiceSpec = {
      image: 'edge:1',
      build: { context: '.', args: { ENVOY_IMAGE: 'envoy:1' } },
      envoy: { routes: [{ pathPrefix: '/', service: 'toString' }] },
    };
    expect(problems(stack({ edge }))).toEqual([
      'services.edge.envoy.routes[0].service: no service "toString"',
    ]);
    const shaped = { name: 'demo', services: { a: { image: 'a:1', constructor: 1 } } };
    expect(problems(shaped as unknown as StackSpec)).toEqual([
      'services.a.constructor: is not a known key',
    ]);
  });

  it("refuses a network named twice and labels in esteps' own namespace", () => {
    expect(
      serviceProblems({
        networks: ['mesh', 'mesh'],
        labels: { 'com.esteps.project': 'other', 'com.example.team': 'x' },
      }),
    ).toEqual([
      'services.a.networks[1]: "mesh" is already networks[0]',
      'services.a.labels["com.esteps.project"]: "com.esteps.*" labels are esteps\' own (it finds what it created by them): use a prefix of yours',
    ]);
  });
});
