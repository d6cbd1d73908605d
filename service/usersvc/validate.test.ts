import { describe, expect, it } from 'vitest';
import { checkLogin, checkNewUser, checkUsername, hostProblem } from './validate.js';

describe('checkUsername', () => {
  it.each(['alice', 'A', 'a.b_c-D9', 'x'.repeat(64), '...', '-'])('accepts %j', (name) => {
    expect(checkUsername(name)).toEqual({ ok: true, value: name });
  });

  it.each([
    '',
    'x'.repeat(65),
    'a b',
    'a/b',
    'al%69ce',
    "a'; DROP TABLE users;--",
    'élodie',
    'a\u0000',
    '😀',
  ])('rejects %j', (name) => {
    expect(checkUsername(name)).toMatchObject({ ok: false });
  });

  it.each(['health', '.', '..'])('rejects reserved %j', (name) => {
    expect(checkUsername(name)).toEqual({ ok: false, error: `username "${name}" is reserved` });
  });
});

describe('checkNewUser', () => {
  const good = { fullname: 'Alice Liddell', password: 'alicerules' };

  it('accepts a fullname and password, ignoring other fields', () => {
    expect(checkNewUser({ ...good, admin: true })).toEqual({ ok: true, value: good });
  });

  it('counts code points, as VARCHAR does', () => {
    expect(checkNewUser({ ...good, fullname: '😀'.repeat(2048) }).ok).toBe(true);
    expect(checkNewUser({ ...good, fullname: '😀'.repeat(2049) }).ok).toBe(false);
    expect(checkNewUser({ ...good, password: '😀'.repeat(8) }).ok).toBe(true);
    expect(checkNewUser({ ...good, password: '😀'.repeat(7) }).ok).toBe(false);
  });

  it.each([
    [null, 'request body must be a JSON object'],
    [[good], 'request body must be a JSON object'],
    ['alice', 'request body must be a JSON object'],
    [{ password: 'alicerules' }, 'fullname is required'],
    [{ fullname: 42, password: 'alicerules' }, 'fullname must be a string'],
    [{ fullname: '   ', password: 'alicerules' }, 'fullname must not be empty'],
    [
      { fullname: 'x'.repeat(2049), password: 'alicerules' },
      'fullname must be at most 2048 characters',
    ],
    [
      { fullname: 'a\u0000b', password: 'alicerules' },
      'fullname must not contain control characters',
    ],
    [{ fullname: 'a\nb', password: 'alicerules' }, 'fullname must not contain control characters'],
    [{ fullname: 'a\ud800b', password: 'alicerules' }, 'fullname is not valid Unicode'],
    [{ fullname: 'Alice' }, 'password is required'],
    [{ fullname: 'Alice', password: ['x'] }, 'password must be a string'],
    [{ fullname: 'Alice', password: 'short' }, 'password must be 8 to 256 characters'],
    [{ fullname: 'Alice', password: 'x'.repeat(257) }, 'password must be 8 to 256 characters'],
    [{ fullname: 'Alice', password: 'abcdefgh\udc00' }, 'password is not valid Unicode'],
  ])('rejects %j with %j', (body, error) => {
    expect(checkNewUser(body)).toEqual({ ok: false, error });
  });
});

describe('checkLogin', () => {
  it('accepts any string password of at most 256 characters', () => {
    expect(checkLogin({ password: 'x' })).toEqual({ ok: true, value: { password: 'x' } });
    const longest = '\u{1F600}'.repeat(256);
    expect(checkLogin({ password: longest })).toEqual({ ok: true, value: { password: longest } });
  });

  it.each([
    [{}, 'password is required'],
    [{ password: 12345678 }, 'password must be a string'],
    [{ password: 'x'.repeat(257) }, 'password must be at most 256 characters'],
    [{ password: 'x'.repeat(512) }, 'password must be at most 256 characters'],
    [{ password: 'x'.repeat(513) }, 'password must be at most 256 characters'],
    [{ password: '\u{1F600}'.repeat(257) }, 'password must be at most 256 characters'],
    [[], 'request body must be a JSON object'],
  ])('rejects %j with %j', (body, error) => {
    expect(checkLogin(body)).toEqual({ ok: false, error });
  });
});

describe('hostProblem (RFC 9112 section 3.2)', () => {
  it.each([
    [['Host', 'example.com']],
    [['host', 'example.com:8080']],
    [['HOST', '127.0.0.1:5000']],
    [['Host', '[::1]:5000']],
    [['Host', '[2001:db8::7]']],
    [['Host', '[v1.fe80::a+en1]']],
    [['Host', 'usersvc']],
    [['Host', 'a%20b.example']],
    [['Host', 'x:']],
    // An empty value is how a client says the target has no authority (RFC 9112 3.2).
    [['Host', '']],
    [['Accept', '*/*', 'Host', 'x', 'X-Host', 'y']],
  ])('accepts %j', (raw) => {
    expect(hostProblem(raw, true)).toBeUndefined();
  });

  it.each([
    [['Host', 'a', 'Host', 'a'], 'more than one Host header'],
    [['Host', 'a', 'host', 'b'], 'more than one Host header'],
    [['Host', 'a b'], 'invalid Host header'],
    [['Host', 'exa/mple'], 'invalid Host header'],
    [['Host', 'x:y'], 'invalid Host header'],
    [['Host', 'x:80:80'], 'invalid Host header'],
    [['Host', '[::1'], 'invalid Host header'],
    [['Host', '[not-ipv6]'], 'invalid Host header'],
    [['Host', 'user@example.com'], 'invalid Host header'],
    [['Host', 'a%2'], 'invalid Host header'],
    [['Host', 'é.example'], 'invalid Host header'],
    [['Accept', '*/*'], 'missing Host header'],
  ])('refuses %j: %s', (raw, problem) => {
    expect(hostProblem(raw, true)).toBe(problem);
  });

  it('lets an HTTP/1.0 request go without one, but not with two', () => {
    expect(hostProblem([], false)).toBeUndefined();
    expect(hostProblem(['Host', 'a', 'Host', 'b'], false)).toBe('more than one Host header');
  });
});
