import { mkdtempSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  containerIdentity,
  fileSystemOf,
  parseMountinfo,
  pruneReleases,
  readCurrent,
  releasesDir,
  writeCurrent,
} from './releases.js';

const id = 'df6e7a45ede30444f7403611f0917d02318161ddc5b9c3e4d107a4906bc97917';

/** Lines of a step-1 container's /proc/self/mountinfo, shortened. */
const mountinfo = [
  '641 69 0:207 / / ro,relatime master:10 - overlay overlay rw,lowerdir=/x',
  '706 641 0:216 / /tmp rw,nosuid,nodev,noexec,relatime - tmpfs tmpfs rw',
  '707 641 254:0 /var/lib/docker/volumes/9242/_data /app/releases rw,relatime master:1 - ext4 /dev/vda rw',
  `709 641 254:0 /var/lib/docker/containers/${id}/hostname /etc/hostname ro,relatime - ext4 /dev/vda rw`,
  '710 641 0:217 / /app/with\\040space rw - tmpfs tmpfs rw',
  '',
].join('\n');

describe('mounts', () => {
  const mounts = parseMountinfo(mountinfo);

  it('tells the file system a path lies on, by the longest mount point above it', () => {
    expect(fileSystemOf(mounts, '/app/releases')).toBe('ext4');
    expect(fileSystemOf(mounts, '/app/releases/current.json')).toBe('ext4');
    expect(fileSystemOf(mounts, '/app/releasesX')).toBe('overlay');
    expect(fileSystemOf(mounts, '/tmp/esteps-supervisor.sock')).toBe('tmpfs');
    expect(fileSystemOf(mounts, '/app/service.js')).toBe('overlay');
    expect(fileSystemOf(mounts, '/app/with space/x')).toBe('tmpfs');
    expect(fileSystemOf([], '/app')).toBeUndefined();
  });

  it('names the container from the files the engine mounts into it, else the host', () => {
    expect(containerIdentity(mounts)).toBe(id);
    expect(containerIdentity(parseMountinfo(mountinfo.split('\n')[0]!))).toBe(hostname());
  });
});

describe('the release restarts run', () => {
  it('is recorded and read back; anything unreadable or pointing elsewhere is none', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'esteps-releases-'));
    expect(await readCurrent(dir)).toBeUndefined();
    const release = { version: 'abc', file: 'service-abc.js', base: 'def', container: id };
    await writeCurrent(dir, release);
    expect(await readCurrent(dir)).toEqual(release);
    writeFileSync(
      join(dir, 'current.json'),
      '{"version":"abc","file":"../x.js","base":"d","container":"c"}',
    );
    expect(await readCurrent(dir)).toBeUndefined();
    writeFileSync(join(dir, 'current.json'), '{"version":"abc"');
    expect(await readCurrent(dir)).toBeUndefined();
    expect(releasesDir('/app/service.js')).toBe('/app/releases');
  });

  it('keeps only the release in use, and temporary files younger than a minute', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'esteps-releases-'));
    for (const name of ['service-aaa.js', 'service-bbb.js', 'current.json', 'x.1.tmp', 'y.2.tmp']) {
      writeFileSync(join(dir, name), '');
    }
    const old = new Date(Date.now() - 120_000);
    utimesSync(join(dir, 'y.2.tmp'), old, old);
    await pruneReleases(dir, ['service-bbb.js']);
    expect(readdirSync(dir).sort()).toEqual(['current.json', 'service-bbb.js', 'x.1.tmp']);
  });
});
