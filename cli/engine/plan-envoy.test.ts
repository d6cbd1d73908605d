import { describe, expect, it } from 'vitest';
import step1 from '../../stacks/builtin/step1.js';
import step2 from '../../stacks/builtin/step2.js';
import { resolveStack } from '../../stacks/resolve/resolve-stack.js';
import { EstepsError } from '../errors.js';
import { buildHash } from './config-hash.js';
import { envoyVersion } from './envoy-probe.js';
import { formatPlan } from './format-plan.js';
import type { ObservedState } from './observed-state.js';
import { planStack } from './plan.js';
import { edgesWithoutEnvoy, envoyImagesToProbe } from './plan-envoy.js';

const envoyImage = 'envoyproxy/envoy:v1.32.3';
const standIn = 'esteps-local/envoy-base:bookworm-no-envoy';

function stack(envoy: string, fromDotEnv = true) {
  return resolveStack(step2, {
    file: '/repo/stacks/builtin/step2.ts',
    project: 'demo',
    env: {},
    dotEnv: fromDotEnv
      ? {
          ESTEPS_ENVOY_IMAGE: envoy,
          ESTEPS_POSTGRES_IMAGE: 'postgres:16.4',
          ESTEPS_NODE_IMAGE: 'node:20.18',
        }
      : {},
  });
}

const digests = { usersvc: 'ctx-usersvc', edge: 'ctx-edge' };

function observed(images: ObservedState['images'], envoy?: ObservedState['envoy']): ObservedState {
  return {
    project: 'demo',
    containers: [],
    networks: [],
    volumes: [],
    images: {
      'postgres:16.4': { id: 'sha256:pg', buildHash: undefined },
      'node:20.18': { id: 'sha256:node', buildHash: undefined },
      ...images,
    },
    ...(envoy && { envoy }),
  };
}

function refusal(run: () => unknown): EstepsError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(EstepsError);
    return err as EstepsError;
  }
  throw new Error('expected ENVOY_MISSING');
}

describe('planStack: an edge whose image has no Envoy', () => {
  it('refuses the stand-in before any operation, naming it and the variable to set', () => {
    const s = stack(standIn);
    const state = observed({
      [standIn]: {
        id: 'sha256:standin',
        buildHash: undefined,
        standInFor: 'envoyproxy/envoy:v1.32-latest',
      },
    });
    const error = refusal(() => planStack({ stack: s, observed: state, contextDigests: digests }));
    expect(error.code).toBe('ENVOY_MISSING');
    expect(error.exitCode).toBe(12);
    expect(error.message).toBe(
      'Service edge runs Envoy, but its Envoy image esteps-local/envoy-base:bookworm-no-envoy (ESTEPS_ENVOY_IMAGE) has none: it is the local stand-in for envoyproxy/envoy:v1.32-latest that `npm run setup` built, with no Envoy binary. Nothing was changed.',
    );
    expect(error.hint).toMatch(
      /^Set ESTEPS_ENVOY_IMAGE \(environment or \.env\) to an image with Envoy/,
    );
    expect(error.details).toEqual({
      edges: [
        {
          service: 'edge',
          image: standIn,
          variable: 'ESTEPS_ENVOY_IMAGE',
          standInFor: 'envoyproxy/envoy:v1.32-latest',
          reason: expect.stringContaining('stand-in'),
        },
      ],
    });
    // The stand-in is known by its label: nothing is run to find out.
    expect(envoyImagesToProbe(s, state, digests)).toEqual([]);
  });

  it('refuses an image in which `envoy --version` did not run', () => {
    const s = stack('debian:12');
    const state = observed(
      { 'debian:12': { id: 'sha256:debian', buildHash: undefined } },
      {
        'debian:12': { found: false, reason: 'exec: "envoy": executable file not found in $PATH' },
      },
    );
    expect(envoyImagesToProbe(s, state, digests)).toEqual(['debian:12']);
    const error = refusal(() => planStack({ stack: s, observed: state, contextDigests: digests }));
    expect(error.message).toContain('debian:12 (ESTEPS_ENVOY_IMAGE) has none: exec: "envoy"');
  });

  it('plans the stack where Envoy was found, the edge after the user service is ready', () => {
    const s = stack(envoyImage);
    const state = observed(
      { [envoyImage]: { id: 'sha256:envoy', buildHash: undefined } },
      { [envoyImage]: { found: true, version: '1.32.3' } },
    );
    expect(edgesWithoutEnvoy(s, state)).toEqual([]);
    const plan = planStack({ stack: s, observed: state, contextDigests: digests });
    expect(formatPlan(plan)).toBe(
      [
        'plan for project demo:',
        '  create  network demo_appmesh              no existing network',
        '  create  volume demo_pgdata                no existing volume',
        '  build   image esteps/demo-usersvc:latest  no existing image',
        '  build   image esteps/demo-edge:latest     no existing image',
        '  create  container demo-postgres-1         no existing container',
        '  wait    postgres healthy                  usersvc depends on it',
        '  create  container demo-usersvc-1          no existing container',
        '  wait    usersvc answering its HTTP probe  edge depends on it',
        '  create  container demo-edge-1             no existing container',
        '  wait    edge healthy                      ready check',
      ].join('\n'),
    );
    const ops = plan.operations;
    const createEdge = ops.findIndex((o) => o.kind === 'create-container' && o.service === 'edge');
    const waitUsersvc = ops.findIndex((o) => o.kind === 'wait' && o.service === 'usersvc');
    expect(plan.after[createEdge]).toContain(waitUsersvc);
    expect(ops.find((o) => o.kind === 'wait' && o.service === 'edge')).toMatchObject({
      condition: 'healthy',
    });
  });

  it('does not ask an Envoy image that is not on the engine yet: it is pulled, and the build validates', () => {
    const s = stack(envoyImage);
    const state = observed({});
    expect(envoyImagesToProbe(s, state, digests)).toEqual([]);
    const plan = planStack({ stack: s, observed: state, contextDigests: digests });
    expect(plan.operations[2]).toMatchObject({ kind: 'pull-image' });
  });

  it('does not ask again when the edge image is up to date', () => {
    const s = stack(envoyImage);
    const base = observed({ [envoyImage]: { id: 'sha256:envoy', buildHash: undefined } });
    const edge = s.services.find((x) => x.name === 'edge')!;
    const built = observed({
      [envoyImage]: { id: 'sha256:envoy', buildHash: undefined },
      [edge.image]: { id: 'sha256:edge', buildHash: buildHash(edge, 'ctx-edge', base) },
    });
    expect(envoyImagesToProbe(s, built, digests)).toEqual([]);
    expect(envoyImagesToProbe(s, built, { ...digests, edge: 'ctx-edge-changed' })).toEqual([
      envoyImage,
    ]);
  });

  it('leaves stacks without an edge alone, stand-in or not', () => {
    const s = resolveStack(step1, {
      file: '/repo/stacks/builtin/step1.ts',
      project: 'demo',
      env: { ESTEPS_ENVOY_IMAGE: standIn },
    });
    const state = observed({
      [standIn]: { id: 'sha256:standin', buildHash: undefined, standInFor: 'envoyproxy/envoy' },
    });
    expect(edgesWithoutEnvoy(s, state)).toEqual([]);
    expect(envoyImagesToProbe(s, state, digests)).toEqual([]);
  });
});

describe('envoyVersion', () => {
  it("takes the version out of Envoy's version line", () => {
    expect(
      envoyVersion(
        'envoy  version: 6b9db09c69965d5bfb37bdd29693f8b7f9e9e9ec/1.32.3/Clean/RELEASE/BoringSSL',
      ),
    ).toBe('1.32.3');
    expect(envoyVersion('something else')).toBe('something else');
  });
});
