import { describe, expect, it } from 'vitest';
import {
  checkHostKey,
  keyBlobType,
  knownHostKeys,
  knownHostName,
  preferredHostKeyAlgorithms,
} from './known-hosts.js';

// Made with OpenSSH: ssh-keygen -t ed25519 (two keys), a known_hosts naming the first for
// `[127.0.0.1]:2222` and `build-box`, then `ssh-keygen -H` for the hashed form.
const hostKey = 'AAAAC3NzaC1lZDI1NTE5AAAAIG5iVJsojmaPQ4JS/+hz0owcgZ1a0VU1C4q9enOd8bVv';
const otherKey = 'AAAAC3NzaC1lZDI1NTE5AAAAIJV2U0TWxtLlbll6xBokMa6/sxWJBfKyQGaP6lvBNx1J';
const hashed = [
  `|1|ymekpnSoco2wsaMv7hO/xIlaPjA=|qKpTlVFueZ5wlLjQE24cwFVz530= ssh-ed25519 ${hostKey}`,
  `|1|sa1TDmO8YJef1FxpX1GHd7VAyII=|mSxUQKASpVc3XPZmpg/devQa3dA= ssh-ed25519 ${hostKey}`,
].join('\n');
const key = Buffer.from(hostKey, 'base64');

describe('knownHostKeys', () => {
  it('finds plain names, [host]:port and hashed names as OpenSSH writes them', () => {
    const plain = `# a comment\n[127.0.0.1]:2222 ssh-ed25519 ${hostKey}\nbuild-box,10.0.0.9 ssh-ed25519 ${hostKey} me@there\n`;
    expect(knownHostKeys(plain, 'kh', knownHostName('127.0.0.1', 2222))).toEqual([
      { type: 'ssh-ed25519', key, where: 'kh:2', revoked: false },
    ]);
    expect(knownHostKeys(plain, 'kh', knownHostName('10.0.0.9', 22))).toHaveLength(1);
    expect(knownHostKeys(plain, 'kh', knownHostName('127.0.0.1', 22))).toEqual([]);
    expect(knownHostKeys(hashed, 'kh', '[127.0.0.1]:2222').map((k) => k.where)).toEqual(['kh:1']);
    expect(knownHostKeys(hashed, 'kh', 'build-box').map((k) => k.where)).toEqual(['kh:2']);
    expect(knownHostKeys(hashed, 'kh', 'build-box2')).toEqual([]);
  });

  it('reads wildcards and negations, and skips @cert-authority lines', () => {
    const text = [
      `*.lan,!secret.lan ssh-ed25519 ${hostKey}`,
      `@cert-authority * ssh-ed25519 ${otherKey}`,
      `@revoked old.example ssh-ed25519 ${otherKey}`,
    ].join('\n');
    expect(knownHostKeys(text, 'kh', 'box.LAN')).toHaveLength(1);
    expect(knownHostKeys(text, 'kh', 'secret.lan')).toEqual([]);
    expect(knownHostKeys(text, 'kh', 'old.example')).toEqual([
      expect.objectContaining({ revoked: true, where: 'kh:3' }),
    ]);
  });
});

describe('checkHostKey', () => {
  const known = knownHostKeys(
    `h ssh-ed25519 ${hostKey}\n@revoked h ssh-ed25519 ${otherKey}`,
    'kh',
    'h',
  );

  it('tells known, unknown, changed and revoked keys apart', () => {
    expect(checkHostKey(known, 'ssh-ed25519', key)).toEqual({ kind: 'known', where: 'kh:1' });
    expect(checkHostKey([], 'ssh-ed25519', key)).toEqual({ kind: 'unknown' });
    expect(checkHostKey(known, 'ssh-ed25519', Buffer.from(otherKey, 'base64'))).toEqual({
      kind: 'revoked',
      where: 'kh:2',
    });
    const onlyFirst = known.slice(0, 1);
    expect(checkHostKey(onlyFirst, 'ssh-ed25519', Buffer.from(otherKey, 'base64'))).toEqual({
      kind: 'changed',
      where: 'kh:1',
    });
    expect(checkHostKey(onlyFirst, 'ecdsa-sha2-nistp256', Buffer.from('x'))).toEqual({
      kind: 'unknown',
    });
  });

  it('reads the type out of a key blob, and asks first for the types known', () => {
    expect(keyBlobType(key)).toBe('ssh-ed25519');
    expect(
      preferredHostKeyAlgorithms(
        knownHostKeys(`h ssh-rsa ${hostKey}\nh ssh-ed25519 ${hostKey}`, 'kh', 'h'),
      ),
    ).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa', 'ssh-ed25519']);
  });
});
