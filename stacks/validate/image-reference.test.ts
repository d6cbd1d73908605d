import { describe, expect, it } from 'vitest';
import { imageReferenceProblem } from './image-reference.js';

describe('imageReferenceProblem', () => {
  it.each([
    'postgres',
    'postgres:16-bookworm',
    'envoyproxy/envoy:v1.32-latest',
    'esteps-local/node:20.20.2-host',
    'esteps/step1-usersvc:latest',
    'localhost:5000/a/b:c',
    '127.0.0.1:23750/esteps-local/node:20.20.2-host',
    'esteps-swarm-registry:5000/x',
    'Registry.Example.com/team/app_v2__x:TAG_1',
    `x@sha256:${'a'.repeat(64)}`,
    `x:1@sha256:${'a'.repeat(64)}`,
  ])('accepts %s', (ref) => {
    expect(imageReferenceProblem(ref)).toBeUndefined();
  });

  it.each([
    ['', /empty/],
    ['foo bar', /white space/],
    ['Foo:Bar', /must be lowercase/],
    ['../../x', /is not a repository name/],
    ['x:', /tag after ":" is empty/],
    ['x:-a', /tag "-a"/],
    ['x@sha256:abc', /not a digest/],
    ['a//b', /is not a repository name/],
    ['a-/b', /is not a repository name/],
    [`${'a'.repeat(256)}`, /longer than 255/],
  ])('refuses %j', (ref, reason) => {
    expect(imageReferenceProblem(ref)).toMatch(reason);
  });
});
