import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import step1 from '../../stacks/step1.js';
import { loadProject } from './load-project.js';
import { loadOrCreateSecrets, stackSecretNames } from './secrets-file.js';
import { secretsFilePath } from './state-dir.js';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('project secrets', () => {
  it('lists the secrets a stack uses', () => {
    expect(stackSecretNames(step1)).toEqual(['dbPassword']);
  });

  it('generates once, saves with mode 0600, then reads the same values; concurrent callers agree', async () => {
    dir = await mkdtemp(join(tmpdir(), 'esteps-secrets-'));
    const file = secretsFilePath(dir, 'demo');
    const [a, b] = await Promise.all([
      loadOrCreateSecrets(file, ['dbPassword']),
      loadOrCreateSecrets(file, ['dbPassword']),
    ]);
    expect(a.values.dbPassword).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(b.values).toEqual(a.values);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readFile(file, 'utf8')).toContain(
      `ESTEPS_SECRET_DB_PASSWORD=${a.values.dbPassword}`,
    );
    const again = await loadOrCreateSecrets(file, ['dbPassword', 'apiKey']);
    expect(again.values.dbPassword).toBe(a.values.dbPassword);
    expect(again.created).toEqual(['apiKey']);
  });
});

describe('loadProject', () => {
  it('resolves with .env, picks the project name, and redacts without touching files', async () => {
    dir = await mkdtemp(join(tmpdir(), 'esteps-project-'));
    await writeFile(join(dir, '.env'), 'ESTEPS_PROJECT=fromfile\nESTEPS_NODE_IMAGE=n:1\n');
    const redacted = await loadProject({ cwd: dir, env: {}, secrets: 'redact' });
    expect(redacted.name).toBe('fromfile');
    expect(redacted.resolved.services[0]?.environment.POSTGRES_PASSWORD).toBe('<secret>');
    expect(redacted.resolved.origins['services.usersvc.build.args.NODE_IMAGE']).toMatchObject({
      kind: '.env',
      variable: 'ESTEPS_NODE_IMAGE',
    });
    await expect(stat(redacted.secretsFile)).rejects.toThrow();
    const real = await loadProject({ cwd: dir, env: { ESTEPS_PROJECT: 'env' }, project: 'cli' });
    expect(real.name).toBe('cli');
    expect(real.secretsCreated).toEqual(['dbPassword']);
    expect(real.secretsFile).toBe(join(dir, '.esteps', 'cli', 'secrets.env'));
  });

  it('rejects unknown stacks, bad project names and bad .env lines with stable codes', async () => {
    dir = await mkdtemp(join(tmpdir(), 'esteps-project-'));
    await expect(loadProject({ cwd: dir, env: {}, stack: 'stepone' })).rejects.toMatchObject({
      code: 'USAGE',
    });
    await expect(loadProject({ cwd: dir, env: {}, project: 'Bad Name' })).rejects.toMatchObject({
      code: 'USAGE',
    });
    await writeFile(join(dir, '.env'), 'ESTEPS_POSTGRES_IMAG=x:1\n');
    await expect(loadProject({ cwd: dir, env: {} })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
    });
  });
});
