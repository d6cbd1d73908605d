import { describe, expect, it } from 'vitest';
import { readConfig } from './config.js';
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
