import { describe, expect, it } from 'vitest';
import { createTar } from '../tar.js';
import { readTarEntries, readTarFiles } from './volume-helper.js';

describe('reading the engine archive of a helper mount point', () => {
  // The engine answers /volume with entries under `volume/`; several volumes sit at volume/i.
  const archive = createTar([
    { path: 'volume/top', data: Buffer.from('t'), mode: 0o600 },
    { path: 'volume/0/db_password', data: Buffer.from('secret'), mode: 0o400, uid: 999, gid: 998 },
    { path: 'volume/1/db_password', data: Buffer.from('other'), mode: 0o440, uid: 10001 },
  ]);

  it('gives every file below the top folder with its bytes, mode and owner', () => {
    const entries = readTarEntries(archive);
    expect([...entries.keys()].sort()).toEqual(['0/db_password', '1/db_password', 'top']);
    expect(entries.get('0/db_password')).toEqual({
      data: Buffer.from('secret'),
      mode: 0o400,
      uid: 999,
      gid: 998,
    });
    expect(entries.get('1/db_password')).toMatchObject({ mode: 0o440, uid: 10001, gid: 0 });
  });

  it('keeps readTarFiles to the files directly under the top folder', () => {
    expect([...readTarFiles(archive)]).toEqual([['top', Buffer.from('t')]]);
  });
});
