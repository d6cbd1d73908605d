import { describe, expect, it } from 'vitest';
import step1 from '../builtin/step1.js';
import type { StackSpec } from '../model/model.js';
import { readinessScript } from '../resolve/readiness.js';
import { resolveStack } from '../resolve/resolve-stack.js';
import { renderCompose } from './render-compose.js';
import { toYaml } from './to-yaml.js';

const resolve = (spec: StackSpec, env: Record<string, string> = {}) =>
  resolveStack(spec, {
    file: '/repo/stacks/stack.ts',
    project: spec.name,
    env,
  });

describe('renderCompose', () => {
  it('renders step 1 as stable compose YAML: secrets as files, hardening, no secret variable', () => {
    const rendered = renderCompose(resolve(step1));
    const yaml = toYaml(rendered.document);
    expect(yaml).toMatchSnapshot();
    expect(toYaml(renderCompose(resolve(step1)).document)).toBe(yaml);
    expect(yaml).not.toContain('ESTEPS_SECRET');
    expect(yaml).not.toContain('name:');
    expect(rendered.variables).toEqual([
      'ESTEPS_ENVOY_IMAGE',
      'ESTEPS_NODE_IMAGE',
      'ESTEPS_POSTGRES_IMAGE',
      'ESTEPS_USERSVC_PORT',
    ]);
    expect(rendered.contexts).toEqual({ usersvc: './usersvc' });
    expect(rendered.secretFiles).toEqual({ dbPassword: './secrets/db_password' });
    expect(rendered.document.secrets).toEqual({ db_password: { file: './secrets/db_password' } });
    const { postgres, usersvc } = rendered.document.services;
    expect(postgres?.ports).toBeUndefined();
    expect(postgres).toMatchObject({
      cap_drop: ['ALL'],
      cap_add: ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'SETGID', 'SETUID'],
      security_opt: ['no-new-privileges:true'],
      pids_limit: 512,
      mem_limit: 1024 * 1024 * 1024,
      secrets: [
        { source: 'db_password', target: 'db_password', uid: '999', gid: '999', mode: 0o400 },
      ],
    });
    expect(usersvc).toMatchObject({
      user: '10001:10001',
      read_only: true,
      tmpfs: ['/tmp:size=16777216,mode=1777,uid=10001,gid=10001'],
      cap_drop: ['ALL'],
      security_opt: ['no-new-privileges:true'],
      pids_limit: 256,
      mem_limit: 1024 * 1024 * 1024,
    });
    expect(usersvc?.cap_add).toBeUndefined();
  });

  it('escapes literal dollars, renders started dependencies, replicas, read-only mounts, udp', () => {
    const spec: StackSpec = {
      name: 's',
      services: {
        db: { image: 'd:1' },
        app: {
          image: 'a:1',
          command: ['sh', '-c', 'echo $HOME'],
          environment: { PRICE: '$5', FROM: { env: 'X', default: 'y' }, NEED: { env: 'Z' } },
          dependsOn: [{ service: 'db' }],
          replicas: 3,
          restart: 'no',
          ports: [{ hostPort: 0, containerPort: 53, protocol: 'udp' }],
          volumes: [{ volume: 'v', target: '/v', readOnly: true }],
          labels: { team: 'a' },
        },
      },
      volumes: { v: {} },
    };
    const { document } = renderCompose(resolve(spec, { X: 'from-env', Z: 'set' }));
    expect(document.services.app).toEqual({
      image: 'a:1',
      restart: 'no',
      command: ['sh', '-c', 'echo $$HOME'],
      // biome-ignore lint/suspicious/noTemplateCurlyInString: compose variables, not JS templates
      environment: { PRICE: '$$5', FROM: '${X:-y}', NEED: '${Z:?set Z in .env}' },
      ports: ['127.0.0.1:0:53/udp'],
      depends_on: { db: { condition: 'service_started' } },
      scale: 3,
      volumes: ['v:/v:ro'],
      labels: { team: 'a' },
    });
    expect(document.networks).toBeUndefined();
    expect(toYaml(document)).toContain('restart: "no"');
  });

  it('writes a value from the environment as its reference, not as the value it had', () => {
    const rendered = renderCompose(resolve(step1, { ESTEPS_USERSVC_PORT: '6000' }));
    expect(rendered.document.services.usersvc?.ports).toEqual([
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a compose variable
      '127.0.0.1:${ESTEPS_USERSVC_PORT:-5000}:5000',
    ]);
  });

  it('turns an HTTP probe into a health check that runs the one readiness rule', () => {
    const spec: StackSpec = {
      name: 's',
      services: {
        web: {
          image: 'w:1',
          httpProbe: { path: '/ready', containerPort: 80, expectJson: { ok: true } },
        },
      },
    };
    const stack = resolve(spec);
    const check = renderCompose(stack).document.services.web?.healthcheck as { test: string[] };
    expect(check.test).toEqual([
      'CMD',
      'node',
      '-e',
      readinessScript(stack.services[0]!.httpProbe!),
    ]);
    expect(check.test[3]).toContain('probePasses');
  });
});

describe('toYaml', () => {
  it('sorts keys, never folds, and quotes what YAML 1.1 would misread', () => {
    const long = 'x'.repeat(150);
    expect(toYaml({ b: ['5000:5000', 'on', '1.5'], a: long }, 'made by a test')).toBe(
      `# made by a test\na: ${long}\nb:\n  - "5000:5000"\n  - "on"\n  - "1.5"\n`,
    );
  });
});
