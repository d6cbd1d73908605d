import { describe, expect, it } from 'vitest';
import { ConfigInvalidError } from '../model/errors.js';
import { mergeEnvFile, parseEnvFile, readEnvFile } from './env-file.js';

describe('parseEnvFile', () => {
  it('reads KEY=VALUE lines, comments, blank lines and quotes', () => {
    const text = [
      '# images for machines without a registry',
      '',
      'ESTEPS_POSTGRES_IMAGE=esteps-local/postgres:15-bookworm',
      '  ESTEPS_NODE_IMAGE = "esteps-local/node:20.20.2-host"  ',
      "ESTEPS_ENVOY_IMAGE='esteps-local/envoy-base:bookworm-no-envoy'",
      'COMPOSE_PROJECT_NAME=demo # a comment after a value',
      'QUOTED="a \\"b\\" c#d\\nnext"',
      "SINGLE='kept \\n as is'",
      'EMPTY=',
      'ESTEPS_SECRET_DB_PASSWORD=s3cret',
      'ESTEPS_USERSVC_PORT=5001',
      'ESTEPS_USERSVC_PORT=5002',
    ].join('\n');
    expect(parseEnvFile(text)).toEqual({
      entries: {
        ESTEPS_POSTGRES_IMAGE: 'esteps-local/postgres:15-bookworm',
        ESTEPS_NODE_IMAGE: 'esteps-local/node:20.20.2-host',
        ESTEPS_ENVOY_IMAGE: 'esteps-local/envoy-base:bookworm-no-envoy',
        COMPOSE_PROJECT_NAME: 'demo',
        QUOTED: 'a "b" c#d\nnext',
        SINGLE: 'kept \\n as is',
        EMPTY: '',
        ESTEPS_SECRET_DB_PASSWORD: 's3cret',
        ESTEPS_USERSVC_PORT: '5002',
      },
      problems: [],
    });
  });

  it('reports malformed lines and unknown esteps variables with their line numbers', () => {
    const text = [
      'OK=1',
      'just some words',
      '=value',
      'BAD-KEY=1',
      'OPEN="never closed',
      'ESTEPS_POSTGRES_IMAG=postgres:16',
      'ESTEPS_WHATEVER=1',
      'ESTEPS_SECRET_lower=1',
    ].join('\r\n');
    expect(parseEnvFile(text).problems).toEqual([
      { line: 2, message: 'expected KEY=VALUE, found "just some words"' },
      { line: 3, message: 'expected KEY=VALUE, found "=value"' },
      { line: 4, key: 'BAD-KEY', message: '"BAD-KEY" is not a valid variable name' },
      { line: 5, key: 'OPEN', message: "OPEN: the value's opening quote is never closed" },
      {
        line: 6,
        key: 'ESTEPS_POSTGRES_IMAG',
        message: 'unknown variable ESTEPS_POSTGRES_IMAG; did you mean "ESTEPS_POSTGRES_IMAGE"?',
      },
      { line: 7, key: 'ESTEPS_WHATEVER', message: 'unknown variable ESTEPS_WHATEVER' },
      { line: 8, key: 'ESTEPS_SECRET_lower', message: 'unknown variable ESTEPS_SECRET_lower' },
    ]);
  });
});

describe('readEnvFile', () => {
  it('throws one CONFIG_INVALID error naming the file and every bad line', () => {
    let error: ConfigInvalidError | undefined;
    try {
      readEnvFile('A=1\nnope\nESTEPS_PROJCT=x\n', '/w/.env');
    } catch (err) {
      error = err as ConfigInvalidError;
    }
    expect(error).toBeInstanceOf(ConfigInvalidError);
    expect(error?.code).toBe('CONFIG_INVALID');
    expect(error?.message).toBe(
      [
        '/w/.env is invalid (2 problems):',
        '  /w/.env:2: expected KEY=VALUE, found "nope"',
        '  /w/.env:3: unknown variable ESTEPS_PROJCT; did you mean "ESTEPS_PROJECT"?',
      ].join('\n'),
    );
    expect(error?.hint).toContain('ESTEPS_POSTGRES_IMAGE');
  });

  it('returns the entries of a valid file', () => {
    expect(readEnvFile('ESTEPS_PROJECT=demo\n')).toEqual({ ESTEPS_PROJECT: 'demo' });
  });
});

describe('mergeEnvFile', () => {
  it('replaces keys in place, keeps other lines, appends new keys sorted', () => {
    const existing = '# setup\nESTEPS_POSTGRES_IMAGE=old:1\nOTHER=keep\n';
    expect(
      mergeEnvFile(existing, {
        ESTEPS_SECRET_DB_PASSWORD: 'abc-_123',
        ESTEPS_POSTGRES_IMAGE: 'new:2',
        ESTEPS_NODE_IMAGE: 'node:20',
      }),
    ).toBe(
      '# setup\nESTEPS_POSTGRES_IMAGE=new:2\nOTHER=keep\nESTEPS_NODE_IMAGE=node:20\nESTEPS_SECRET_DB_PASSWORD=abc-_123\n',
    );
  });

  it('quotes values that need it, and reads back what it wrote', () => {
    const text = mergeEnvFile('', { A: 'has space', B: 'quote " and \\ and\nnewline' });
    expect(text).toBe('A="has space"\nB="quote \\" and \\\\ and\\nnewline"\n');
    expect(parseEnvFile(text).entries).toEqual({
      A: 'has space',
      B: 'quote " and \\ and\nnewline',
    });
  });
});
