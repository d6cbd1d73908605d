import { describe, expect, it } from 'vitest';
import { saysReady } from './wait-http.js';

describe('saysReady', () => {
  it('accepts any answer when the probe expects nothing', () => {
    expect(saysReady('OK', {})).toBe(true);
    expect(saysReady('{"ok":false}', {})).toBe(true);
  });

  it('accepts a JSON answer carrying every expected field', () => {
    const expected = { ok: true, database: 'up' };
    expect(saysReady('{"ok":true,"database":"up","version":"abc"}', expected)).toBe(true);
  });

  it('waits while a field differs, is missing, or the answer is not JSON', () => {
    const expected = { ok: true, database: 'up' };
    expect(saysReady('{"ok":true,"database":"down"}', expected)).toBe(false);
    expect(saysReady('{"ok":true}', expected)).toBe(false);
    expect(saysReady('{"ok":"true","database":"up"}', expected)).toBe(false);
    expect(saysReady('OK', expected)).toBe(false);
    expect(saysReady('null', expected)).toBe(false);
  });
});
