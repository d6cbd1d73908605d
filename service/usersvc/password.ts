/**
 * Password hashing: salted scrypt from node:crypto at OWASP's minimum (N=2^17, r=8, p=1:
 * 128 MiB and a few hundred ms of CPU per hash), stored with its parameters as
 * `scrypt$N$r$p$<salt base64>$<hash base64>`, so hashes made at an older cost still verify
 * and are replaced at today's cost on the next successful login. Verification is
 * constant-time. Every verification costs at least one hash at today's cost, whoever asks
 * and whatever was stored, so the answer time does not reveal who exists.
 *
 * argon2id would need a native module: none runs in the bundled, node_modules-free image,
 * and Node 20 has no argon2 of its own.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

export interface ScryptParams {
  /** CPU/memory cost, a power of two. @default 131072 (2^17) */
  readonly N: number;
  /** Block size. @default 8 */
  readonly r: number;
  /** Parallelism. @default 1 */
  readonly p: number;
}

/** OWASP's minimum for scrypt (Password Storage Cheat Sheet). */
export const defaultParams: ScryptParams = { N: 2 ** 17, r: 8, p: 1 };

const saltBytes = 16;
const keyBytes = 32;

/** Bytes OpenSSL's scrypt allocates for `params`: 128·r·(N + p + 2). */
export function hashMemoryBytes(params: ScryptParams): number {
  return 128 * params.r * (params.N + params.p + 2);
}

/**
 * Bounds on stored parameters, so a tampered row can neither take more memory than a hash
 * at today's cost (the bound service/README.md states) nor make one login take minutes.
 */
const maxHashMemoryBytes = hashMemoryBytes(defaultParams);
const maxWork = 4 * defaultParams.N * defaultParams.r * defaultParams.p;

interface ParsedHash {
  readonly params: ScryptParams;
  readonly salt: Buffer;
  readonly key: Buffer;
}

function derive(password: string, salt: Buffer, params: ScryptParams, bytes: number) {
  const maxmem = hashMemoryBytes(params) + 1024 * 1024;
  return new Promise<Buffer>((resolve, reject) => {
    scrypt(password, salt, bytes, { ...params, maxmem }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

export function formatHash(params: ScryptParams, salt: Buffer, key: Buffer): string {
  return `scrypt$${params.N}$${params.r}$${params.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 1 && (n & (n - 1)) === 0;
}

/** Reads a stored hash; undefined when it is not one of ours or its parameters are out of range. */
export function parseHash(stored: string): ParsedHash | undefined {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [N, r, p] = parts.slice(1, 4).map((part) => (/^\d{1,8}$/.test(part) ? Number(part) : NaN));
  if (!isPowerOfTwo(N!) || !(r! >= 1 && p! >= 1)) return undefined;
  const params = { N: N!, r: r!, p: p! };
  if (hashMemoryBytes(params) > maxHashMemoryBytes || N! * r! * p! > maxWork) return undefined;
  const salt = Buffer.from(parts[4]!, 'base64');
  const key = Buffer.from(parts[5]!, 'base64');
  if (salt.length < 8 || key.length < 16) return undefined;
  return { params, salt, key };
}

export async function hashPassword(password: string, params = defaultParams): Promise<string> {
  const salt = randomBytes(saltBytes);
  const key = await derive(password, salt, params, keyBytes);
  return formatHash(params, salt, key);
}

/** True when `password` matches `stored`; false for a wrong password or an unreadable hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseHash(stored);
  if (parsed === undefined) return false;
  const key = await derive(password, parsed.salt, parsed.params, parsed.key.length);
  return timingSafeEqual(key, parsed.key);
}

/** True when `stored` was made with other parameters than today's, or another key length. */
export function needsRehash(stored: string): boolean {
  const parsed = parseHash(stored);
  if (parsed === undefined) return false;
  const { N, r, p } = parsed.params;
  return (
    N !== defaultParams.N ||
    r !== defaultParams.r ||
    p !== defaultParams.p ||
    parsed.key.length !== keyBytes
  );
}

export interface LoginCheck {
  readonly matches: boolean;
  /** Set when the password matched a hash of an older cost: the hash to store instead. */
  readonly rehashed?: string;
}

/**
 * Verifies a login. A hash of an older cost that matches is re-made at today's cost; one
 * that does not match is followed by a verification against the dummy hash, so that a
 * wrong password costs what it costs for anyone else. At most one hash at today's cost runs
 * at any moment of this call (the memory bound holds per call).
 */
export async function verifyLogin(password: string, stored: string): Promise<LoginCheck> {
  const matches = await verifyPassword(password, stored);
  if (!needsRehash(stored)) return { matches };
  if (matches) return { matches, rehashed: await hashPassword(password) };
  await verifyPassword(password, dummyHash());
  return { matches };
}

let dummy: string | undefined;

/**
 * A hash at today's cost that no password matches (its key is random), made once per
 * process: verifying against it costs what verifying a real one does.
 */
export function dummyHash(): string {
  dummy ??= formatHash(defaultParams, randomBytes(saltBytes), randomBytes(keyBytes));
  return dummy;
}
