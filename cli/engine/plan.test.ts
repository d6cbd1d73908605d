import { describe, expect, it } from 'vitest';
import type { ResolvedService, ResolvedStack } from '../../stacks/model/model.js';
import { withDerivedRules } from '../../stacks/resolve/derived-rules.js';
import { buildHash, configHash } from './config-hash.js';
import { describeOperation, formatPlan } from './format-plan.js';
import type { ObservedContainer, ObservedState } from './observed-state.js';
import { planStack } from './plan.js';

const postgres: ResolvedService = withDerivedRules({
  name: 'postgres',
  image: 'postgres:16-bookworm',
  environment: { POSTGRES_PASSWORD_FILE: '/run/secrets/db_password', POSTGRES_DB: 'users' },
  ports: [],
  healthcheck: {
    test: ['CMD', 'pg_isready', '-U', 'postgres'],
    intervalMs: 1000,
    timeoutMs: 2000,
    retries: 30,
    startPeriodMs: 0,
  },
  dependsOn: [],
  replicas: 1,
  restart: 'unless-stopped',
  volumes: [{ volume: 'pgdata', target: '/var/lib/postgresql/data', readOnly: false }],
  networks: ['appmesh'],
  labels: {},
  secrets: [
    { secret: 'dbPassword', target: '/run/secrets/db_password', uid: 999, gid: 999, mode: 0o400 },
  ],
  readOnlyRootFilesystem: false,
  tmpfs: [],
  capDrop: [],
  capAdd: [],
  noNewPrivileges: false,
  limits: {},
});

const usersvc: ResolvedService = withDerivedRules({
  name: 'usersvc',
  image: 'esteps/step1-usersvc:latest',
  build: {
    context: '/stacks/../templates/usersvc',
    dockerfile: 'Dockerfile',
    args: { ENVOY_IMAGE: 'envoy:base', NODE_IMAGE: 'node:20' },
    bundles: { 'app/service.js': { entry: '/service/main.ts', target: 'node18' } },
  },
  environment: { PGHOST: 'postgres', PGPASSWORD_FILE: '/run/secrets/db_password' },
  ports: [{ hostIp: '127.0.0.1', hostPort: 5000, containerPort: 5000, protocol: 'tcp' }],
  httpProbe: { path: '/user/health', containerPort: 5000, timeoutMs: 60000, expectJson: {} },
  dependsOn: [{ service: 'postgres', condition: 'healthy' }],
  replicas: 1,
  restart: 'unless-stopped',
  volumes: [],
  networks: ['appmesh'],
  labels: {},
  secrets: [
    {
      secret: 'dbPassword',
      target: '/run/secrets/db_password',
      uid: 10001,
      gid: 10001,
      mode: 0o400,
    },
  ],
  readOnlyRootFilesystem: false,
  tmpfs: [],
  capDrop: [],
  capAdd: [],
  noNewPrivileges: false,
  limits: {},
  hotpatch: {
    bundle: 'app/service.js',
    path: '/app/service.js',
    watch: ['/service'],
    owner: { uid: 10001, gid: 10001 },
    probe: { path: '/user/health', containerPort: 5000, timeoutMs: 60000, expectJson: {} },
    versionField: 'version',
  },
});

const stack: ResolvedStack = {
  name: 'step1',
  project: 'demo',
  services: [postgres, usersvc],
  networks: { appmesh: { driver: 'bridge' } },
  volumes: ['pgdata'],
  secrets: ['dbPassword'],
  secretLengths: { dbPassword: 32 },
  file: '/stacks/builtin/step1.ts',
  root: '/',
  origins: {},
};

const digests = { usersvc: 'ctx1' };
const baseImages = {
  'postgres:16-bookworm': { id: 'sha256:pg', buildHash: undefined },
  'envoy:base': { id: 'sha256:envoy', buildHash: undefined },
  'node:20': { id: 'sha256:node', buildHash: undefined },
};

function container(service: ResolvedService, over: Partial<ObservedContainer> = {}) {
  return {
    id: `id-${service.name}`,
    name: `demo-${service.name}-1`,
    service: service.name,
    replica: 1,
    configHash: configHash(service),
    imageId: service.name === 'postgres' ? 'sha256:pg' : 'sha256:built',
    imageRef: service.image,
    state: 'running',
    health: 'healthy',
    exitCode: 0,
    restartCount: 0,
    startedAt: '2024-01-01T00:00:00Z',
    ports: [],
    ...over,
  } satisfies ObservedContainer;
}

const empty: ObservedState = {
  project: 'demo',
  containers: [],
  networks: [],
  volumes: [],
  images: baseImages,
};

function upState(over: Partial<ObservedState> = {}): ObservedState {
  const hash = buildHash(usersvc, 'ctx1', empty);
  return {
    project: 'demo',
    containers: [container(postgres), container(usersvc)],
    networks: ['demo_appmesh'],
    volumes: ['demo_pgdata'],
    images: { ...baseImages, [usersvc.image]: { id: 'sha256:built', buildHash: hash } },
    ...over,
  };
}

const plan = (observed: ObservedState, s: ResolvedStack = stack) =>
  formatPlan(planStack({ stack: s, observed, contextDigests: digests }));

describe('planStack', () => {
  it('creates everything from nothing, waiting on postgres before usersvc', () => {
    expect(plan(empty)).toBe(
      [
        'plan for project demo:',
        '  create  network demo_appmesh               no existing network',
        '  create  volume demo_pgdata                 no existing volume',
        '  build   image esteps/step1-usersvc:latest  no existing image',
        '  create  container demo-postgres-1          no existing container',
        '  wait    postgres healthy                   usersvc depends on it',
        '  create  container demo-usersvc-1           no existing container',
        '  wait    usersvc answering its HTTP probe   ready check',
      ].join('\n'),
    );
  });

  it('changes nothing when everything is up to date', () => {
    const result = planStack({ stack, observed: upState(), contextDigests: digests });
    expect(result.changed).toBe(false);
    expect(formatPlan(result)).toBe(
      [
        'plan for project demo:',
        '  unchanged  network demo_appmesh               exists',
        '  unchanged  volume demo_pgdata                 exists',
        '  unchanged  image esteps/step1-usersvc:latest  build inputs unchanged',
        '  unchanged  container demo-postgres-1          up to date',
        '  wait       postgres healthy                   still ready?',
        '  unchanged  container demo-usersvc-1           up to date',
        '  wait       usersvc answering its HTTP probe   still ready?',
        'nothing to do',
      ].join('\n'),
    );
  });

  it('recreates only the service whose configuration changed', () => {
    const changed = { ...usersvc, environment: { ...usersvc.environment, LOG: 'debug' } };
    expect(plan(upState(), { ...stack, services: [postgres, changed] })).toBe(
      [
        'plan for project demo:',
        '  unchanged  network demo_appmesh               exists',
        '  unchanged  volume demo_pgdata                 exists',
        '  unchanged  image esteps/step1-usersvc:latest  build inputs unchanged',
        '  unchanged  container demo-postgres-1          up to date',
        '  wait       postgres healthy                   usersvc depends on it',
        '  recreate   container demo-usersvc-1           config hash changed',
        '  wait       usersvc answering its HTTP probe   ready check',
      ].join('\n'),
    );
  });

  it('leaves the replica count out of the hash', () => {
    expect(configHash({ ...usersvc, replicas: 3 })).toBe(configHash(usersvc));
    expect(configHash({ ...usersvc, user: 'root' })).not.toBe(configHash(usersvc));
  });

  it('rebuilds and recreates usersvc when its bundle changed', () => {
    const text = formatPlan(
      planStack({ stack, observed: upState(), contextDigests: { usersvc: 'ctx2' } }),
    );
    expect(text).toContain('build      image esteps/step1-usersvc:latest  build inputs changed');
    expect(text).toContain('recreate   container demo-usersvc-1           image will be rebuilt');
    expect(text).toContain('unchanged  container demo-postgres-1');
  });

  it('rebuilds when a base image changed', () => {
    const observed = upState();
    const images = { ...observed.images, 'node:20': { id: 'sha256:node2', buildHash: undefined } };
    expect(plan({ ...observed, images })).toContain('build inputs changed');
  });

  it('starts a stopped container instead of creating another', () => {
    const observed = upState({
      containers: [container(postgres, { state: 'exited' }), container(usersvc)],
    });
    const text = plan(observed);
    expect(text).toContain('start      container demo-postgres-1');
    expect(text).toContain('container exited');
    expect(text).not.toContain('create ');
  });

  it('recreates a container whose image tag now points elsewhere', () => {
    const observed = upState({
      containers: [container(postgres, { imageId: 'sha256:old' }), container(usersvc)],
    });
    expect(plan(observed)).toBe(
      [
        'plan for project demo:',
        '  unchanged  network demo_appmesh               exists',
        '  unchanged  volume demo_pgdata                 exists',
        '  unchanged  image esteps/step1-usersvc:latest  build inputs unchanged',
        '  recreate   container demo-postgres-1          image changed',
        '  wait       postgres healthy                   ready check',
        '  unchanged  container demo-usersvc-1           up to date',
        '  wait       usersvc answering its HTTP probe   still ready?',
      ].join('\n'),
    );
  });

  it('pulls missing images and removes containers the stack no longer has', () => {
    const observed = upState({
      images: { ...upState().images, 'postgres:16-bookworm': undefined },
      containers: [
        container(usersvc),
        container(postgres, { imageId: 'sha256:pg' }),
        { ...container(usersvc), id: 'x', name: 'demo-usersvc-2', replica: 2 },
        { ...container(usersvc), id: 'y', name: 'demo-old-1', service: 'old' },
        { ...container(usersvc), id: 'z', name: 'eager_turing', replica: 0 },
      ],
    });
    const text = plan(observed);
    expect(text).toContain('remove     container eager_turing');
    expect(text).toContain('left by an interrupted esteps command (build step or helper)');
    expect(text).toContain('pull       image postgres:16-bookworm');
    expect(text).toContain('recreate   container demo-postgres-1');
    expect(text).toContain('image will be pulled');
    expect(text).toContain('remove     container demo-usersvc-2');
    expect(text).toContain('replica 2 beyond the usersvc replica count');
    expect(text).toContain('service old is not in stack step1');
  });

  it('pulls the base images a build names, never its plain arguments', () => {
    const build = { ...usersvc.build!, args: { ...usersvc.build!.args, NODE_ENV: 'production' } };
    const withArg: ResolvedStack = {
      ...stack,
      services: stack.services.map((s) => (s.name === 'usersvc' ? { ...s, build } : s)),
    };
    const text = plan(upState({ images: { ...upState().images, 'node:20': undefined } }), withArg);
    expect(text).toContain('pull       image node:20');
    expect(text).not.toContain('production');
  });
});

describe('names the project does not own', () => {
  it("refuses an unlabelled volume and another project's network before any operation", () => {
    const observed: ObservedState = {
      ...empty,
      unowned: [
        { kind: 'volume', name: 'demo_pgdata', owner: undefined },
        { kind: 'network', name: 'demo_appmesh', owner: 'other' },
      ],
    };
    let thrown: unknown;
    try {
      planStack({ stack, observed, contextDigests: digests });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toMatchObject({
      code: 'NAME_CONFLICT',
      exitCode: 15,
      message:
        'Project demo needs names already taken: volume demo_pgdata (not created by esteps), network demo_appmesh (of project other). Nothing was changed.',
      hint: 'Choose another project name (-p NAME), or, if nothing there is needed, remove them (a volume takes its data with it): docker volume rm demo_pgdata; docker network rm demo_appmesh.',
    });
  });
});

describe('a project another stack file made', () => {
  const mine = '/home/me/app/esteps.stack.ts';
  const theirs = '/home/me/other/esteps.stack.ts';
  const made = (stackFile?: string) =>
    upState({
      containers: [container(postgres, { stackFile }), container(usersvc, { stackFile })],
    });

  it('refuses it before any operation, with the ways out', () => {
    expect(() =>
      planStack({ stack, observed: made(theirs), contextDigests: digests, stackFile: mine }),
    ).toThrow(
      expect.objectContaining({
        code: 'NAME_CONFLICT',
        message: `Project demo was brought up from another stack file, ${theirs} (containers demo-postgres-1, demo-usersvc-1), not ${mine}. Nothing was changed.`,
        hint: 'Give this stack a project of its own (-p NAME, or ESTEPS_PROJECT in its .env); or, if this is the same project moved or copied, remove the running one first (esteps down -p demo; its volumes, the data, stay), then run esteps up here.',
      }),
    );
    expect(() =>
      planStack({
        stack,
        observed: made('builtin:step1'),
        contextDigests: digests,
        stackFile: mine,
      }),
    ).toThrow(/from another stack file, the built-in stack step1 \(containers/);
  });

  it('goes on for its own stack file, and for containers made before the record', () => {
    for (const observed of [made(mine), made(undefined)]) {
      const planned = planStack({ stack, observed, contextDigests: digests, stackFile: mine });
      expect(planned.changed).toBe(false);
    }
  });
});

describe('operation dependencies', () => {
  it('lets the image build while postgres starts, and usersvc wait for both', () => {
    const result = planStack({ stack, observed: empty, contextDigests: digests });
    const named = result.operations.map((op, i) => {
      const { action, target } = describeOperation(op);
      const deps = result.after[i]!.map((j) => describeOperation(result.operations[j]!).target);
      return `${action} ${target} <- ${deps.join(', ') || '-'}`;
    });
    expect(named).toEqual([
      'create network demo_appmesh <- -',
      'create volume demo_pgdata <- -',
      'build image esteps/step1-usersvc:latest <- -',
      'create container demo-postgres-1 <- network demo_appmesh, volume demo_pgdata',
      'wait postgres healthy <- container demo-postgres-1',
      'create container demo-usersvc-1 <- network demo_appmesh, volume demo_pgdata, image esteps/step1-usersvc:latest, postgres healthy',
      'wait usersvc answering its HTTP probe <- container demo-usersvc-1',
    ]);
  });
});
