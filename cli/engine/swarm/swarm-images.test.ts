import { describe, expect, it } from 'vitest';
import step3 from '../../../stacks/builtin/step3.js';
import { resolveStack } from '../../../stacks/resolve/resolve-stack.js';
import type { ObservedSwarmService } from './observe-swarm.js';
import { chooseImage, type ImageFacts, keepCandidate, splitReference } from './swarm-images.js';

const stack = resolveStack(step3, {
  file: '/repo/stacks/builtin/step3.ts',
  project: 'demo',
  env: {},
});
const usersvc = stack.services.find((s) => s.name === 'usersvc')!;
const running = 'reg:5000/esteps/demo-usersvc:latest@sha256:aa';
const facts: ImageFacts = { kind: 'built', hash: 'h1', built: true, codeVersion: 'c0de' };

function service(image: string, imageSource?: string): ObservedSwarmService {
  return {
    id: 's1',
    name: 'demo_usersvc',
    service: 'usersvc',
    versionIndex: 3,
    configHash: 'x',
    pinnedNode: undefined,
    imageSource,
    codeVersion: undefined,
    spec: { TaskTemplate: { ContainerSpec: { Image: image } } },
  };
}

const input = (over: Partial<Parameters<typeof chooseImage>[0]> = {}) => ({
  service: usersvc,
  facts,
  running: service(running, 'build:h1'),
  registry: 'reg:5000',
  pushRegistry: '127.0.0.1:5000',
  ...over,
});

describe('choosing a Swarm service image without building', () => {
  it('keeps the running digest when the build inputs are the same and the registry serves it', () => {
    expect(keepCandidate(input())).toBe(running);
    expect(chooseImage({ ...input(), answer: { serves: true } })).toEqual({
      kind: 'kept',
      ref: running,
      source: 'build:h1',
      codeVersion: 'c0de',
    });
  });

  it('pushes again, with the cause, when the registry lost the digest', () => {
    expect(
      chooseImage({
        ...input(),
        answer: { serves: false, reason: 'the registry no longer serves sha256:aa' },
      }),
    ).toMatchObject({ kind: 'push', cause: 'the registry no longer serves sha256:aa' });
  });

  it('changed build inputs: a push, and a build only when the build engine lacks the image', () => {
    const changed = input({ running: service(running, 'build:h0') });
    expect(keepCandidate(changed)).toBeUndefined();
    expect(chooseImage(changed)).toEqual({
      kind: 'push',
      source: 'build:h1',
      image: 'esteps/demo-usersvc:latest',
      pushRef: '127.0.0.1:5000/esteps/demo-usersvc:latest',
      ref: 'reg:5000/esteps/demo-usersvc:latest',
      cause: 'build inputs changed',
      codeVersion: 'c0de',
    });
    expect(chooseImage({ ...changed, facts: { ...facts, built: false } })).toMatchObject({
      build: { hash: 'h1' },
    });
  });

  it('says why it pushes: no service, no recorded source, a changed stand-in, another registry', () => {
    expect(chooseImage(input({ running: undefined }))).toMatchObject({
      cause: 'no service runs it yet',
    });
    expect(chooseImage(input({ running: service(running) }))).toMatchObject({
      cause: 'the running image has no recorded source',
    });
    const standIn = input({
      facts: { kind: 'stand-in', id: 'sha256:new' },
      running: service(running, 'image:sha256:old'),
    });
    expect(chooseImage(standIn)).toMatchObject({ cause: 'stand-in image changed' });
    expect(chooseImage(input({ registry: 'other:5000' }))).toMatchObject({
      cause: 'the service runs it from another registry',
    });
  });

  it('leaves an image the nodes pull themselves as the stack names it', () => {
    expect(chooseImage(input({ facts: { kind: 'pulled' } }))).toEqual({
      kind: 'as-is',
      ref: 'esteps/demo-usersvc:latest',
    });
  });

  it('splits a reference into repository and tag, without its registry', () => {
    expect(splitReference('host:5000/a/b:1@sha256:x')).toEqual({ repository: 'a/b', tag: '1' });
    expect(splitReference('esteps-local/postgres:15')).toEqual({
      repository: 'esteps-local/postgres',
      tag: '15',
    });
    expect(splitReference('postgres')).toEqual({ repository: 'postgres', tag: 'latest' });
  });
});
