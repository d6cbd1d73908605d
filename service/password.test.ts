import { describe, expect, it } from 'vitest';
import { dummyHash, hashPassword, parseHash, verifyPassword } from './password.js';

describe('password hashing', () => {
  it('stores scrypt with its parameters, a random salt, never the password', async () => {
    const [a, b] = await Promise.all([hashPassword('alicerules'), hashPassword('alicerules')]);
    expect(a).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('alicerules');
    expect(a.length).toBeLessThanOrEqual(256);
  });

  it('verifies the right password and rejects others', async () => {
    const stored = await hashPassword('alicerules');
    expect(await verifyPassword('alicerules', stored)).toBe(true);
    expect(await verifyPassword('alicerulez', stored)).toBe(false);
    expect(await verifyPassword('', stored)).toBe(false);
  });

  it('verifies with the parameters stored in the hash', async () => {
    const cheap = await hashPassword('bobrules!', { N: 1024, r: 8, p: 1 });
    expect(cheap.startsWith('scrypt$1024$8$1$')).toBe(true);
    expect(await verifyPassword('bobrules!', cheap)).toBe(true);
  });

  it.each([
    '',
    'plaintext',
    'scrypt$16384$8$1$c2FsdA==',
    'scrypt$16383$8$1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA==',
    'scrypt$2097152$8$1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA==',
    'scrypt$16384$0$1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA==',
    'bcrypt$16384$8$1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA==',
  ])('refuses to read %j', async (stored) => {
    expect(parseHash(stored)).toBeUndefined();
    expect(await verifyPassword('anything', stored)).toBe(false);
  });

  it('keeps one dummy hash per process, of the default cost', async () => {
    const dummy = await dummyHash();
    expect(await dummyHash()).toBe(dummy);
    expect(parseHash(dummy)?.params).toEqual({ N: 16384, r: 8, p: 1 });
  });
});
