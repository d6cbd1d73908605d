import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, readConfig } from './config.js';
import { isUnavailable } from './database.js';
import { isJsonContentType } from './http-io.js';
import { newUuid } from './users.js';

describe('readConfig', () => {
  it('has the documented defaults', () => {
    const config = readConfig({});
    expect(config).toMatchObject({ host: '0.0.0.0', port: 5000, version: 'dev' });
    expect(config.db).toMatchObject({
      host: 'postgres',
      port: 5432,
      user: 'postgres',
      password: '',
      database: 'users',
      maintenanceDatabase: 'postgres',
    });
  });

  it('reads the environment and ignores values out of range', () => {
    const config = readConfig({ PORT: '8080', PGHOST: 'db', PGPORT: '99999', PGPOOL_MAX: 'x' });
    expect(config.port).toBe(8080);
    expect(config.db.host).toBe('db');
    expect(config.db.port).toBe(5432);
    expect(config.db.poolMax).toBe(10);
  });
});

describe('the database password', () => {
  const dir = mkdtempSync(join(tmpdir(), 'esteps-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, contents: string) => {
    const path = join(dir, name);
    writeFileSync(path, contents, { mode: 0o600 });
    return path;
  };

  it('comes from PGPASSWORD when no file is named', () => {
    expect(readConfig({ PGPASSWORD: 's3cret' }).db.password).toBe('s3cret');
    expect(readConfig({ PGPASSWORD: 's3cret', PGPASSWORD_FILE: '' }).db.password).toBe('s3cret');
  });

  it('comes from the file PGPASSWORD_FILE names, before PGPASSWORD, trailing newlines stripped', () => {
    const path = file('pw', 'from-file\n');
    expect(readConfig({ PGPASSWORD_FILE: path, PGPASSWORD: 'from-env' }).db.password).toBe(
      'from-file',
    );
    expect(readConfig({ PGPASSWORD_FILE: file('pw2', 'two\n\n') }).db.password).toBe('two');
    expect(readConfig({ PGPASSWORD_FILE: file('pw3', ' spaced \r') }).db.password).toBe(
      ' spaced \r',
    );
    expect(readConfig({ PGPASSWORD_FILE: file('pw4', 'in\nside') }).db.password).toBe('in\nside');
    expect(readConfig({ PGPASSWORD_FILE: file('pw5', '') }).db.password).toBe('');
  });

  it('stops the start when the file cannot be read, naming it and never a password', () => {
    const missing = join(dir, 'missing');
    const attempt = () => readConfig({ PGPASSWORD_FILE: missing, PGPASSWORD: 'from-env' });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(`PGPASSWORD_FILE=${missing} (ENOENT)`);
    expect(() => readConfig({ PGPASSWORD_FILE: dir })).toThrow('(EISDIR)');
    try {
      attempt();
    } catch (err) {
      expect((err as ConfigError).code).toBe('CONFIG_INVALID');
      expect((err as Error).message).not.toContain('from-env');
    }
  });

  it('reads through the file reader it is given', () => {
    const read = (path: string) => `${path}-contents\n`;
    expect(readConfig({ PGPASSWORD_FILE: '/run/secrets/db' }, read).db.password).toBe(
      '/run/secrets/db-contents',
    );
  });
});

describe('isJsonContentType', () => {
  it.each([
    ['application/json', true],
    ['Application/JSON; charset=UTF-8', true],
    ['application/json;charset="utf-8"', true],
    ['application/json; charset=latin1', false],
    ['text/plain', false],
    ['application/jsonx', false],
    [undefined, false],
  ])('%j → %j', (header, expected) => {
    expect(isJsonContentType(header)).toBe(expected);
  });
});

describe('isUnavailable', () => {
  it.each([
    [{ code: 'ECONNREFUSED' }, true],
    [new Error('Connection terminated unexpectedly'), true],
    [{ code: '57P01' }, true],
    [{ code: '3D000' }, true],
    [{ code: '08006' }, true],
    [{ code: '57014' }, true],
    [{ code: '42P01' }, true],
    [{ code: '26000' }, true],
    [{ code: '23505' }, false],
    [{ code: '22001' }, false],
  ])('%j → %j', (err, expected) => {
    expect(isUnavailable(err)).toBe(expected);
  });
});

describe('newUuid', () => {
  it('is 32 upper-case hex digits', () => {
    expect(newUuid()).toMatch(/^[0-9A-F]{32}$/);
    expect(newUuid()).not.toBe(newUuid());
  });
});
