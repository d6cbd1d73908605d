/**
 * Password hashing: salted scrypt from node:crypto, stored with its parameters as
 * `scrypt$N$r$p$<salt base64>$<hash base64>` so they can be raised later without breaking
 * existing users. Verification is constant-time, and a login for an unknown user verifies
 * against a dummy hash of the same cost, so the answer time does not reveal who exists.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

export interface ScryptParams {
  /** CPU/memory cost, a power of two. @default 16384 */
  readonly N: number;
  /** Block size. @default 8 */
  readonly r: number;
  /** Parallelism. @default 1 */
  readonly p: number;
}

export const defaultParams: ScryptParams = { N: 16384, r: 8, p: 1 };

const saltBytes = 16;
const keyBytes = 32;
/** Bounds on stored parameters, so a tampered row cannot make one login take minutes. */
const maxN = 1 << 20;
const maxRp = 64;

interface ParsedHash {
  readonly params: ScryptParams;
  readonly salt: Buffer;
  readonly key: Buffer;
}

function derive(password: string, salt: Buffer, params: ScryptParams, bytes: number) {
  const maxmem = 128 * params.N * params.r * params.p + 1024 * 1024;
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
  if (!isPowerOfTwo(N!) || N! > maxN) return undefined;
  if (!(r! >= 1 && r! <= maxRp && p! >= 1 && p! <= maxRp)) return undefined;
  const salt = Buffer.from(parts[4]!, 'base64');
  const key = Buffer.from(parts[5]!, 'base64');
  if (salt.length < 8 || key.length < 16) return undefined;
  return { params: { N: N!, r: r!, p: p! }, salt, key };
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

let dummy: Promise<string> | undefined;

/** A hash of a random password with the default cost, made once per process. */
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword(randomBytes(18).toString('base64'));
  return dummy;
}
