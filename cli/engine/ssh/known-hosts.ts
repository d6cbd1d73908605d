import { createHmac, timingSafeEqual } from 'node:crypto';

/*
 * OpenSSH's known_hosts format (sshd(8), "SSH_KNOWN_HOSTS FILE FORMAT"), read as OpenSSH reads
 * it: one key per line, `[marker] patterns keytype base64-key [comment]`, where a pattern is a
 * name or address (`[host]:port` when the port is not 22), a hashed name
 * (`|1|base64 salt|base64 HMAC-SHA1 of the name`), a wildcard (`*`, `?`) or a negation (`!`).
 * No npm package of standing reads this format (ssh2 leaves checking host keys to its caller),
 * so it is here, small and unit tested. `@cert-authority` lines are skipped: ssh2 does not
 * check host certificates, so such a host is unknown to esteps, never trusted by mistake.
 */

export interface KnownHostKey {
  /** e.g. `ssh-ed25519` */
  readonly type: string;
  /** The key blob, as the server sends it. */
  readonly key: Buffer;
  /** The file and line, for messages. */
  readonly where: string;
  readonly revoked: boolean;
}

/** The name OpenSSH looks up: `host` on port 22, else `[host]:port`. */
export function knownHostName(hostname: string, port: number): string {
  return port === 22 ? hostname : `[${hostname}]:${port}`;
}

/** The keys `text` (a known_hosts file called `file`) holds for `name`. */
export function knownHostKeys(text: string, file: string, name: string): KnownHostKey[] {
  const found: KnownHostKey[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    let marker: string | undefined;
    if (fields[0]?.startsWith('@')) marker = fields.shift();
    const [patterns, type, base64] = fields;
    if (!patterns || !type || !base64 || marker === '@cert-authority') return;
    if (!patternsMatch(patterns, name)) return;
    found.push({
      type,
      key: Buffer.from(base64, 'base64'),
      where: `${file}:${index + 1}`,
      revoked: marker === '@revoked',
    });
  });
  return found;
}

/** A comma-separated pattern list matches when one pattern does and no negated one does. */
function patternsMatch(patterns: string, name: string): boolean {
  if (patterns.startsWith('|')) return hashedMatches(patterns, name);
  let matched = false;
  for (const pattern of patterns.split(',')) {
    const negated = pattern.startsWith('!');
    if (!globMatches(negated ? pattern.slice(1) : pattern, name)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

function hashedMatches(entry: string, name: string): boolean {
  const [, kind, salt, hash] = entry.split('|');
  if (kind !== '1' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** OpenSSH's match_pattern: `*` any run, `?` one character, case-insensitive for names. */
function globMatches(pattern: string, name: string): boolean {
  const regex = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${regex}$`, 'i').test(name);
}

/** What a host's key is, checked against the known keys for it. */
export type HostKeyVerdict =
  | { readonly kind: 'known'; readonly where: string }
  | { readonly kind: 'unknown' }
  | { readonly kind: 'revoked'; readonly where: string }
  /** The host is known with other keys of the same type: OpenSSH's "IDENTIFICATION HAS CHANGED". */
  | { readonly kind: 'changed'; readonly where: string };

/** The verdict on `key`, which the server sent as its host key of `type`. */
export function checkHostKey(
  known: readonly KnownHostKey[],
  type: string,
  key: Buffer,
): HostKeyVerdict {
  const same = known.filter((k) => k.key.equals(key));
  const revoked = same.find((k) => k.revoked);
  if (revoked) return { kind: 'revoked', where: revoked.where };
  const match = same[0];
  if (match) return { kind: 'known', where: match.where };
  const sameType = known.find((k) => !k.revoked && k.type === type);
  return sameType ? { kind: 'changed', where: sameType.where } : { kind: 'unknown' };
}

/** The type written in a key blob (its first string): `ssh-ed25519`, `ssh-rsa`, ... */
export function keyBlobType(key: Buffer): string {
  if (key.length < 4) return '';
  const length = key.readUInt32BE(0);
  return key.subarray(4, 4 + length).toString('latin1');
}

/**
 * The host key algorithms to ask for first, from the types known for the host: as OpenSSH
 * does, so that a host known by its RSA key is not asked for its Ed25519 one (which would be
 * "unknown").
 */
export function preferredHostKeyAlgorithms(known: readonly KnownHostKey[]): string[] {
  const out: string[] = [];
  for (const { type, revoked } of known) {
    if (revoked) continue;
    const algorithms = type === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [type];
    for (const a of algorithms) if (!out.includes(a)) out.push(a);
  }
  return out;
}
