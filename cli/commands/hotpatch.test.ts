import { describe, expect, it } from 'vitest';
import type { HotpatchOutcome } from '../operations/hotpatch.js';
import { formatHotpatch } from './hotpatch.js';

/** A one-service result, as step 1's hot patch gives. */
function withServices(result: Omit<HotpatchOutcome, 'services' | 'steps'>): HotpatchOutcome {
  const { service, version, replicas } = result;
  return { ...result, services: [{ service, version, replicas }], steps: [] };
}

describe('formatHotpatch', () => {
  it('shows each replica and where the time went', () => {
    expect(
      formatHotpatch(
        withServices({
          project: 'demo',
          service: 'usersvc',
          version: 'bbbbbbbbbbbb',
          durationMs: 640,
          phases: { locateMs: 40, bundleMs: 150, patchMs: 450 },
          replicas: [
            {
              container: 'demo-usersvc-1',
              previousVersion: 'aaaaaaaaaaaa',
              version: 'bbbbbbbbbbbb',
              durationMs: 450,
              unchanged: false,
              phases: { copyMs: 30, reloadMs: 400, supervisorMs: 350, verifyMs: 20 },
            },
          ],
        }),
      ),
    ).toBe(
      [
        'CONTAINER       FROM          TO            TIME',
        'demo-usersvc-1  aaaaaaaaaaaa  bbbbbbbbbbbb  450 ms',
        'patched in 640 ms: find 40, bundle 150, copy 30, reload 400 (supervisor 350), verify 20 ms',
      ].join('\n'),
    );
  });

  it('says when nothing changed', () => {
    expect(
      formatHotpatch(
        withServices({
          project: 'demo',
          service: 'usersvc',
          version: 'bbbbbbbbbbbb',
          durationMs: 200,
          phases: { locateMs: 40, bundleMs: 150, patchMs: 10 },
          replicas: [
            {
              container: 'demo-usersvc-1',
              previousVersion: 'bbbbbbbbbbbb',
              version: 'bbbbbbbbbbbb',
              durationMs: 0,
              unchanged: true,
            },
          ],
        }),
      ),
    ).toContain('demo-usersvc-1  bbbbbbbbbbbb  bbbbbbbbbbbb  unchanged');
  });
});
