import { describe, expect, it } from 'vitest';
import { withAnonymousVolumes } from './anonymous-volumes.js';

const anon = 'a'.repeat(64);
const other = 'b'.repeat(64);

describe('withAnonymousVolumes', () => {
  it("mounts the old container's anonymous volumes where they were", () => {
    const options = withAnonymousVolumes(
      {
        Image: 'pg',
        HostConfig: { Mounts: [{ Type: 'volume', Source: 'p_secrets', Target: '/run/secrets' }] },
      },
      [{ name: anon, target: '/var/lib/postgresql/data' }],
    );
    expect(options.HostConfig?.Mounts).toEqual([
      { Type: 'volume', Source: 'p_secrets', Target: '/run/secrets' },
      { Type: 'volume', Source: anon, Target: '/var/lib/postgresql/data' },
    ]);
  });

  it('leaves a path the new options mount (volume or tmpfs) to them', () => {
    const spec = {
      Image: 'pg',
      HostConfig: {
        Mounts: [
          { Type: 'volume' as const, Source: 'p_pgdata', Target: '/var/lib/postgresql/data' },
        ],
        Tmpfs: { '/tmp': 'size=1m' },
      },
    };
    expect(
      withAnonymousVolumes(spec, [
        { name: anon, target: '/var/lib/postgresql/data' },
        { name: other, target: '/tmp' },
      ]),
    ).toBe(spec);
  });
});
