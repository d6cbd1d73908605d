import { describe, expect, it } from 'vitest';
import { saysReady } from './wait-http.js';

describe('saysReady', () => {
  it('accepts plain and JSON answers that do not object', () => {
    expect(saysReady('OK')).toBe(true);
    expect(saysReady('{"ok":true,"database":"up"}')).toBe(true);
    expect(saysReady('{"status":"fine"}')).toBe(true);
  });

  it('waits while the answer reports not ok or its database not up', () => {
    expect(saysReady('{"ok":false}')).toBe(false);
    expect(saysReady('{"ok":true,"database":"connecting"}')).toBe(false);
  });
});
