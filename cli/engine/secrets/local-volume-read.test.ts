import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labels } from '../labels.js';
import { readVolumesLocally, volumeIdFile } from './local-volume-read.js';

// Folders laid out as the local driver lays out volumes: <root>/volumes/<name>/_data.
let root: string;
const id = 'f4a9bc04b3e440b32b01ef78d1d1ca0e';

function volume(name: string, extra: Partial<Docker.VolumeInspectInfo> = {}) {
  return {
    Name: name,
    Driver: 'local',
    Mountpoint: join(root, 'volumes', name, '_data'),
    Labels: {},
    Options: null,
    Scope: 'local',
    ...extra,
  } as unknown as Docker.VolumeInspectInfo;
}
const values = () => volume('p.secrets', { Labels: { [labels.volumeId]: id } });
// Clients only: constructing one connects nowhere.
const local = new Docker({ socketPath: '/var/run/docker.sock', host: undefined });
const overTcp = new Docker({ host: '127.0.0.1', port: 2376, protocol: 'https' });
const overSsh = new Docker({ host: 'build-box', port: 22, protocol: 'http' });

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'esteps-volumes-'));
  const data = (name: string) => join(root, 'volumes', name, '_data');
  await mkdir(data('p.secrets'), { recursive: true });
  await mkdir(data('p.secrets.db'), { recursive: true });
  await writeFile(join(data('p.secrets'), volumeIdFile), id);
  await writeFile(join(data('p.secrets'), 'dbPassword'), 'pw', { mode: 0o600 });
  await writeFile(join(data('p.secrets.db'), 'db_password'), 'pw');
  await chmod(join(data('p.secrets.db'), 'db_password'), 0o440);
  if (process.getuid?.() === 0) await chown(join(data('p.secrets.db'), 'db_password'), 999, 998);
  await mkdir(join(data('p.secrets.db'), 'not-a-file'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('reading secret volumes from their folders on the engine host', () => {
  it('gives every regular file at each root with its bytes, mode and owner', async () => {
    const read = await readVolumesLocally(local, values(), [volume('p.secrets.db')]);
    expect(read).toHaveLength(2);
    expect([...read![0]!.keys()].sort()).toEqual([volumeIdFile, 'dbPassword']);
    expect(read![0]!.get('dbPassword')).toMatchObject({ data: Buffer.from('pw'), mode: 0o600 });
    const file = read![1]!.get('db_password');
    expect(file).toMatchObject({ data: Buffer.from('pw'), mode: 0o440 });
    if (process.getuid?.() === 0) expect(file).toMatchObject({ uid: 999, gid: 998 });
    expect(read![1]!.has('not-a-file')).toBe(false);
  });

  it('reads nothing for an engine reached over TCP, TLS or SSH, even where the folders match', async () => {
    expect(await readVolumesLocally(local, values(), [])).toBeDefined();
    expect(await readVolumesLocally(overTcp, values(), [])).toBeUndefined();
    expect(await readVolumesLocally(overSsh, values(), [volume('p.secrets.db')])).toBeUndefined();
  });

  it('reads nothing unless the folder holds the id the engine labelled the volume with', async () => {
    const other = volume('p.secrets', { Labels: { [labels.volumeId]: 'another engine' } });
    expect(await readVolumesLocally(local, other, [])).toBeUndefined();
    expect(await readVolumesLocally(local, volume('p.secrets'), [])).toBeUndefined();
  });

  it('reads nothing of volumes mounted elsewhere while in use, or kept in another root', async () => {
    const tmpfs = volume('p.secrets.db', { Options: { type: 'tmpfs' } as never });
    expect(await readVolumesLocally(local, values(), [tmpfs])).toBeUndefined();
    const plugin = volume('p.secrets.db', { Driver: 'nfs-plugin' });
    expect(await readVolumesLocally(local, values(), [plugin])).toBeUndefined();
    const elsewhere = volume('p.secrets.db', { Mountpoint: '/srv/other/volumes/x/_data' });
    expect(await readVolumesLocally(local, values(), [elsewhere])).toBeUndefined();
  });

  it('reads nothing when a folder is missing (a remote engine)', async () => {
    const gone = volume('p.secrets.gone');
    expect(await readVolumesLocally(local, values(), [gone])).toBeUndefined();
  });
});
