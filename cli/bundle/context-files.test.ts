import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { contextFiles } from './context-files.js';

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
});
