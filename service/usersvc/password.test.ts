import { describe, expect, it } from 'vitest';
import {
  defaultParams,
  dummyHash,
  hashMemoryBytes,
  hashPassword,
  needsRehash,
  parseHash,
  verifyLogin,
  verifyPassword,
} from './password.js';

/** The cost of the hashes stored before issue 10: still read, replaced on login. */
const older = { N: 16384, r: 8, p: 1 };
const cheap = { N: 1024, r: 8, p: 1 };

// Real hashes at today's cost (128 MiB, a few hundred ms each on a quiet core): on a busy CI
// machine several in one test outlast the default 5 s.
describe('password hashing', { timeout: 30_000 }, () => {
  it('stores scrypt at OWASP minimum with its parameters, a random salt, never the password', async () => {
    expect(defaultParams).toEqual({ N: 131072, r: 8, p: 1 });
    expect(hashMemoryBytes(defaultParams)).toBeLessThan(129 * 2 ** 20);
    const [a, b] = await Promise.all([hashPassword('alicerules'), hashPassword('alicerules')]);
    expect(a).toMatch(/^scrypt\$131072\$8\$1\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('alicerules');
    expect(a.length).toBeLessThanOrEqual(256);
    expect(await verifyPassword('alicerules', a)).toBe(true);
  });

  it('verifies the right password and rejects others', async () => {
    const stored = await hashPassword('alicerules', cheap);
    expect(await verifyPassword('alicerules', stored)).toBe(true);
    expect(await verifyPassword('alicerulez', stored)).toBe(false);
    expect(await verifyPassword('', stored)).toBe(false);
  });

  it('verifies with the parameters stored in the hash', async () => {
    const stored = await hashPassword('bobrules!', older);
    expect(stored.startsWith('scrypt$16384$8$1$')).toBe(true);
    expect(await verifyPassword('bobrules!', stored)).toBe(true);
  });

  it.each([
    '',
    'plaintext',
    'scrypt$16384$8$1$c2FsdA==',
    'scrypt$16383$8$1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA==',
    // More memory than a hash at today's cost: 256 MiB.
    'scrypt$262144$8$1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA==',
    'scrypt$131072$16$1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA==',
    // Over four times today's work.
    'scrypt$131072$8$5$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA==',
    'scrypt$16384$0$1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA==',
    'bcrypt$16384$8$1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA==',
  ])('refuses to read %j', async (stored) => {
    expect(parseHash(stored)).toBeUndefined();
    expect(await verifyPassword('anything', stored)).toBe(false);
  });

  it('wants hashes of other parameters re-made, not those of today', async () => {
    expect(needsRehash(await hashPassword('x', older))).toBe(true);
    expect(needsRehash(await hashPassword('x', cheap))).toBe(true);
    expect(needsRehash(dummyHash())).toBe(false);
    expect(needsRehash('plaintext')).toBe(false);
  });

  it('keeps one dummy hash per process, of today’s cost, that no password matches', async () => {
    const dummy = dummyHash();
    expect(dummyHash()).toBe(dummy);
    expect(parseHash(dummy)?.params).toEqual(defaultParams);
    expect(await verifyPassword('', dummy)).toBe(false);
  });
});

describe('verifyLogin', { timeout: 30_000 }, () => {
  it('re-makes a matching hash of an older cost at today’s cost', async () => {
    const stored = await hashPassword('carolrules', older);
    const check = await verifyLogin('carolrules', stored);
    expect(check.matches).toBe(true);
    expect(check.rehashed).toMatch(/^scrypt\$131072\$8\$1\$/);
    expect(await verifyPassword('carolrules', check.rehashed!)).toBe(true);
  });

  it('re-makes nothing for a wrong password, but costs a hash at today’s cost', async () => {
    const stored = await hashPassword('carolrules', cheap);
    const started = performance.now();
    expect(await verifyLogin('wrong-password', stored)).toEqual({ matches: false });
    const wrongMs = performance.now() - started;
    const reference = performance.now();
    await verifyPassword('wrong-password', dummyHash());
    expect(wrongMs).toBeGreaterThan((performance.now() - reference) * 0.5);
  });

  it('leaves a hash of today’s cost as it is', async () => {
    const stored = await hashPassword('daverules');
    expect(await verifyLogin('daverules', stored)).toEqual({ matches: true });
  });
});
