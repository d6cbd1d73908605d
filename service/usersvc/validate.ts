/**
 * Input rules for the user API, as pure functions: each returns the clean value or a
 * one-sentence reason that becomes a 400 `{"ok": false, "error": reason}`. Lengths count
 * Unicode code points, as Postgres' VARCHAR(n) does.
 */
import { isIPv6 } from 'node:net';

export type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

export const limits = {
  usernameMaxChars: 64,
  fullnameMaxChars: 2048,
  passwordMinChars: 8,
  passwordMaxChars: 256,
} as const;

const usernamePattern = /^[A-Za-z0-9._-]{1,64}$/;
/** Names that are routes or path tricks rather than users. */
const reservedUsernames = new Set(['health', '.', '..']);
/** Lone surrogates: text that is not valid Unicode and cannot be stored as UTF-8 faithfully. */
const loneSurrogate = /\p{Cs}/u;
/** C0 controls (NUL cannot be stored in Postgres text at all) and DEL, and C1 controls. */
const controlChar = /\p{Cc}/u;

function codePoints(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

/** True when `text` has more than `max` code points; a text far too long is not counted. */
function codePointsAbove(text: string, max: number): boolean {
  if (text.length > max * 2) return true;
  return codePoints(text) > max;
}

export function checkUsername(name: string): Checked<string> {
  if (!usernamePattern.test(name)) {
    return {
      ok: false,
      error: 'username must be 1 to 64 characters of A-Z, a-z, 0-9, ".", "_" or "-"',
    };
  }
  if (reservedUsernames.has(name)) return { ok: false, error: `username "${name}" is reserved` };
  return { ok: true, value: name };
}

function checkFullname(value: unknown): Checked<string> {
  if (value === undefined) return { ok: false, error: 'fullname is required' };
  if (typeof value !== 'string') return { ok: false, error: 'fullname must be a string' };
  if (value.trim().length === 0) return { ok: false, error: 'fullname must not be empty' };
  if (value.length > limits.fullnameMaxChars * 2 || codePoints(value) > limits.fullnameMaxChars) {
    return { ok: false, error: `fullname must be at most ${limits.fullnameMaxChars} characters` };
  }
  if (loneSurrogate.test(value)) return { ok: false, error: 'fullname is not valid Unicode' };
  if (controlChar.test(value)) {
    return { ok: false, error: 'fullname must not contain control characters' };
  }
  return { ok: true, value };
}

function checkPassword(value: unknown): Checked<string> {
  if (value === undefined) return { ok: false, error: 'password is required' };
  if (typeof value !== 'string') return { ok: false, error: 'password must be a string' };
  const length = value.length > limits.passwordMaxChars * 2 ? Infinity : codePoints(value);
  if (length < limits.passwordMinChars || length > limits.passwordMaxChars) {
    return {
      ok: false,
      error: `password must be ${limits.passwordMinChars} to ${limits.passwordMaxChars} characters`,
    };
  }
  if (loneSurrogate.test(value)) return { ok: false, error: 'password is not valid Unicode' };
  return { ok: true, value };
}

function checkObject(body: unknown): Checked<Record<string, unknown>> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, error: 'request body must be a JSON object' };
  }
  return { ok: true, value: body as Record<string, unknown> };
}

export interface NewUser {
  readonly fullname: string;
  readonly password: string;
}

/** The body of `PUT /user/<name>`: `{"fullname": string, "password": string}`. */
export function checkNewUser(body: unknown): Checked<NewUser> {
  const object = checkObject(body);
  if (!object.ok) return object;
  const fullname = checkFullname(object.value.fullname);
  if (!fullname.ok) return fullname;
  const password = checkPassword(object.value.password);
  if (!password.ok) return password;
  return { ok: true, value: { fullname: fullname.value, password: password.value } };
}

/**
 * The body of `POST /user/<name>/login`: `{"password": string}`. Its length has one bound,
 * the one every stored password kept: more than 256 characters is a 400 with the same
 * message at any length. A password too short to have been set is only checked against
 * the stored hash: the login fails (401) and reveals nothing about the rules.
 */
export function checkLogin(body: unknown): Checked<{ password: string }> {
  const object = checkObject(body);
  if (!object.ok) return object;
  const password = object.value.password;
  if (password === undefined) return { ok: false, error: 'password is required' };
  if (typeof password !== 'string') return { ok: false, error: 'password must be a string' };
  if (
    password.length > limits.passwordMaxChars &&
    codePointsAbove(password, limits.passwordMaxChars)
  ) {
    return { ok: false, error: `password must be at most ${limits.passwordMaxChars} characters` };
  }
  return { ok: true, value: { password } };
}

/**
 * `uri-host [":" port]` (RFC 9110 section 7.2): a bracketed IPv6 (or IPvFuture) literal, or
 * a reg-name of unreserved characters, percent-encodings and sub-delims (an IPv4 address
 * is one too), possibly empty; the port, digits, possibly none.
 */
const regName = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})*(?::[0-9]*)?$/;
const ipLiteral = /^\[([^\]]*)\](?::[0-9]*)?$/;
const ipFuture = /^v[0-9A-Fa-f]+\.[A-Za-z0-9\-._~!$&'()*+,;=:]+$/;

export function isValidHost(value: string): boolean {
  if (!value.startsWith('[')) return regName.test(value);
  const literal = ipLiteral.exec(value)?.[1];
  return literal !== undefined && (isIPv6(literal) || ipFuture.test(literal));
}

/**
 * What is wrong with a request's Host header, as RFC 9112 section 3.2 has a server answer
 * 400: more than one Host field line, a value that is not a host (and port), or none in an
 * HTTP/1.1 request. Undefined when nothing is. From the raw header lines: Node keeps only
 * the first of several Host lines in `headers`.
 */
export function hostProblem(rawHeaders: readonly string[], http11: boolean): string | undefined {
  let host: string | undefined;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    if (name.length !== 4 || name.toLowerCase() !== 'host') continue;
    if (host !== undefined) return 'more than one Host header';
    host = rawHeaders[i + 1]!;
  }
  if (host === undefined) return http11 ? 'missing Host header' : undefined;
  return isValidHost(host) ? undefined : 'invalid Host header';
}
