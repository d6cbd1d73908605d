import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { contextFiles } from './context-files.js';
import { renderRecordFile, renderRecordText } from './render-record.js';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('contextFiles', () => {
  it("never sends esteps' own state (secrets, the lock), with or without a .dockerignore", async () => {
    dir = await mkdtemp(join(tmpdir(), 'esteps-context-'));
    await writeFile(join(dir, 'Dockerfile'), 'FROM scratch\n');
    await writeFile(join(dir, 'app.js'), '1\n');
    await mkdir(join(dir, '.esteps', 'demo'), { recursive: true });
    await writeFile(join(dir, '.esteps', 'demo', 'secrets.env'), 'ESTEPS_SECRET_X=y\n');
    await writeFile(join(dir, '.esteps', 'demo', 'lock'), '{}');
    const paths = async () => (await contextFiles(dir!, 'Dockerfile')).map((f) => f.path).sort();
    expect(await paths()).toEqual(['Dockerfile', 'app.js']);
    await writeFile(join(dir, '.dockerignore'), '!.esteps\n');
    expect(await paths()).toEqual(['.dockerignore', 'Dockerfile', 'app.js']);
  });

  it('keeps symbolic links as links, inside the context or pointing out of it', async () => {
    dir = await mkdtemp(join(tmpdir(), 'esteps-context-'));
    await writeFile(join(dir, 'Dockerfile'), 'FROM scratch\n');
    await mkdir(join(dir, 'lib'));
    await writeFile(join(dir, 'lib', 'real.js'), 'x\n');
    await symlink('lib/real.js', join(dir, 'alias.js'));
    await symlink('lib', join(dir, 'lib-link'));
    await symlink('/etc/hostname', join(dir, 'outside'));
    const files = await contextFiles(dir, 'Dockerfile');
    const links = files
      .filter((f) => f.linkTarget !== undefined)
      .map((f) => [f.path, f.linkTarget]);
    expect(links.sort()).toEqual([
      ['alias.js', 'lib/real.js'],
      ['lib-link', 'lib'],
      ['outside', '/etc/hostname'],
    ]);
    expect(files.map((f) => f.path).sort()).toEqual([
      'Dockerfile',
      'alias.js',
      'lib-link',
      'lib/real.js',
      'outside',
    ]);
  });

  it('never takes in what esteps render wrote into the context', async () => {
    dir = await mkdtemp(join(tmpdir(), 'esteps-context-'));
    await writeFile(join(dir, 'Dockerfile'), 'FROM scratch\n');
    await writeFile(join(dir, 'app.js'), '1\n');
    await mkdir(join(dir, 'eject', 'secrets'), { recursive: true });
    await writeFile(join(dir, 'eject', 'compose.yml'), 'services: {}\n');
    await writeFile(join(dir, 'eject', 'secrets', 'db_password'), 'hunter2');
    await writeFile(join(dir, 'eject', 'notes.txt'), 'mine\n');
    await writeFile(
      join(dir, 'eject', renderRecordFile),
      renderRecordText(['compose.yml', 'secrets/db_password']),
    );
    // Rendered into the context's own folder too.
    await mkdir(join(dir, 'web'));
    await writeFile(join(dir, 'web', 'app.js'), '1\n');
    await writeFile(join(dir, renderRecordFile), renderRecordText(['web/app.js']));
    const paths = (await contextFiles(dir, 'Dockerfile')).map((f) => f.path).sort();
    expect(paths).toEqual(['Dockerfile', 'app.js', 'eject/notes.txt']);
  });

  it('says the context changed when a file goes away while it is read', async () => {
    dir = await mkdtemp(join(tmpdir(), 'esteps-context-'));
    await writeFile(join(dir, 'Dockerfile'), 'FROM scratch\n');
    const names = Array.from({ length: 400 }, (_, i) => `f${i}.txt`);
    let raced = 0;
    for (let round = 0; round < 10 && raced === 0; round++) {
      await Promise.all(names.map((n) => writeFile(join(dir!, n), 'x'.repeat(4096))));
      const reading = contextFiles(dir, 'Dockerfile').then(
        () => undefined,
        (err: unknown) => err,
      );
      await Promise.all(names.map((n) => rm(join(dir!, n), { force: true })));
      const err = await reading;
      if (err === undefined) continue;
      raced += 1;
      expect(err).toMatchObject({ code: 'BUILD_FAILED' });
      expect((err as Error).message).toMatch(/changed while it was read: f\d+\.txt went away/);
    }
    expect(raced, 'a removal raced the read').toBe(1);
  });
});
